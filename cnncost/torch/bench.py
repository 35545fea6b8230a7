"""The bench: every layer timed in context and alone, and the whole forward pass, set against the roofline; a run
that the machine disturbed says so with its figures, and a run can check itself."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypedDict

import torch

from ..analysis import graph_of
from ..analysis.memory import inference_memory
from ..engine import propagate
from ..graph import Graph
from ..layers import layer_type
from ..report.timings import DRIFT, HEAVY, SPREAD, Timing
from ..results import LayerCost, Profile
from .clock import time_in_context, time_layer, time_statement
from .device import (
    BENCH_DTYPES,
    DeviceInfo,
    check_device,
    device_info,
    failure,
    is_cuda,
    keeps_random_state,
    random_input,
)
from .network import GraphModule, build_module
from .roofline import Roof, device_roof
from .statistics import spearman

WholeForward = tuple[float | None, float | None, str | None]  # median, IQR (seconds), or the error it raised


class ContextTimes(TypedDict, total=False):
    """A layer's figures from the whole forward passes that timed every layer in context."""

    in_context: float | None
    in_context_iqr: float | None
    kernel: float | None


LayerTiming = Timing  # one layer timed: report.timings.Timing, which a bench table reads


@dataclass(frozen=True)
class BenchResult:
    """A network's per-layer timings, its whole forward pass, the roof and the device."""

    profile: Profile
    device: DeviceInfo
    roof: Roof
    layers: tuple[LayerTiming, ...]
    forward_median: float | None
    forward_iqr: float | None
    forward_error: str | None = None
    context_forward: float | None = None  # median of the forward passes whose layers were timed in context
    forward_after: float | None = None  # the whole forward timed again after the layers: drift shows a busy machine
    empty_call: float | None = None  # in context, the time of a call that does nothing: the floor of a layer's time
    repeats: int = 0  # forward passes timed in context
    roof_origin: str = ""  # measured now, or read from the cache (when, and under which key)
    disturbed: tuple[str, ...] = ()  # why the figures may not be trusted, with the figures; empty when steady

    @property
    def layer_sum(self) -> float:
        """The sum of the per-layer medians, each layer alone."""
        return sum(t.median for t in self.layers if t.median)

    @property
    def context_sum(self) -> float:
        """The sum of the per-layer medians in context."""
        return sum(t.in_context for t in self.layers if t.in_context)

    @property
    def between_layers(self) -> float | None:
        """The in-context forward less its layers: Python's loop over the graph and launches."""
        return self.context_forward - self.context_sum if self.context_forward else None

    def share(self, timing: LayerTiming) -> float:
        """The layer's fraction of the sum of per-layer medians."""
        return timing.median / self.layer_sum if timing.median and self.layer_sum else 0.0

    def rank_correlations(self, in_context: bool = False) -> tuple[float | None, float | None]:
        """Spearman's rank correlation of measured time (alone, or in context) with MACs, and with the roofline's
        prediction."""

        def measured(t: LayerTiming) -> float | None:
            return t.in_context if in_context else t.median

        timed = [(t, seconds) for t in self.layers if (seconds := measured(t)) is not None]
        with_macs = spearman([t.cost.macs for t, _ in timed], [seconds for _, seconds in timed])
        predicted = [(t.predicted, seconds) for t, seconds in timed if t.predicted]
        return with_macs, spearman([p for p, _ in predicted], [seconds for _, seconds in predicted])


def moves_no_data(cost: LayerCost) -> bool:
    """A view (flatten, reshape) or the identity at inference (dropout): torch moves no data."""
    return layer_type(cost.op).view or cost.op == "dropout"


def bytes_moved(cost: LayerCost, batch: int, width: int) -> int:
    """Input(s) read, weights and buffers read, output written; views and identities move nothing."""
    if moves_no_data(cost):
        return 0
    inputs = sum(shape.numel for shape in cost.input_shapes) * cost.scale
    return (inputs + cost.params + cost.buffers + cost.output_shape.total_numel * cost.scale) * width


def run_checks(result: BenchResult, load: float | None, cores: int | None) -> tuple[str, ...]:
    """Why the run may have been disturbed, each with its figures; empty for a steady run."""
    found = []
    if result.forward_median and result.forward_after:
        drift = result.forward_after / result.forward_median - 1
        if abs(drift) > DRIFT:
            found.append(
                f"the whole forward took {result.forward_median * 1e3:,.3f} ms before the layers and "
                f"{result.forward_after * 1e3:,.3f} ms after ({drift:+.0%})"
            )
    if load is not None and cores and load + result.device.threads > cores + 0.5:
        found.append(
            f"the machine's load was {load:.1f} as the run began, with {result.device.threads} threads of "
            f"ours on {cores} usable cores"
        )
    for t in result.layers:
        for label, median, iqr in (("alone", t.median, t.iqr), ("in context", t.in_context, t.in_context_iqr)):
            if (
                median
                and iqr
                and result.forward_median
                and median >= HEAVY * result.forward_median
                and iqr > SPREAD * median
            ):
                found.append(f"{t.cost.name} {label}: IQR {iqr * 1e3:,.3f} ms on a median of {median * 1e3:,.3f} ms")
    return tuple(found)


@keeps_random_state
def bench(
    graph: Graph,
    input=None,
    batch: int = 1,
    device: str = "cpu",
    dtype: str | None = None,
    threads: int | None = None,
    min_run_time: float = 0.2,
    remeasure_roof: bool = False,
    progress: Callable[[str], None] | None = None,
    forward_min_time: float | None = None,
) -> BenchResult:
    """Time the whole network, each layer in context, each layer alone, and the whole network again (see _bench);
    on cuda:N everything runs with N as the current device, so that events, synchronisation and
    torch.utils.benchmark's clock all act on it. dtype: a recorded module's own by default, else fp32."""
    dtype = dtype or graph.dtype or "fp32"
    check_device(device, dtype)
    if is_cuda(device):
        with torch.cuda.device(torch.device(device)):
            return _bench(
                graph, input, batch, device, dtype, threads, min_run_time, remeasure_roof, progress, forward_min_time
            )
    return _bench(graph, input, batch, device, dtype, threads, min_run_time, remeasure_roof, progress, forward_min_time)


def _bench(
    graph: Graph,
    input,
    batch: int,
    device: str,
    dtype: str,
    threads: int | None,
    min_run_time: float,
    remeasure_roof: bool,
    progress: Callable[[str], None] | None,
    forward_min_time: float | None,
) -> BenchResult:
    """Time the whole network, each layer in context, each layer alone, and the whole network again; a layer that
    fails is reported and the rest still run.

    The whole forward pass repeats for forward_min_time seconds (default: at least one second): a deep network's
    forward takes tens of milliseconds, and a median of a handful of runs moves with every other job on the machine.
    """
    torch_dtype = check_device(device, dtype)
    chosen = (
        "given with --threads"
        if threads
        else f"torch's default under OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
        if os.environ.get("OMP_NUM_THREADS")
        else "torch's default, one per core"
    )
    threads = threads or torch.get_num_threads()
    traced = graph.batch is not None  # a recorded module: its shapes include the batch it was recorded at
    profile = propagate(graph, input=None if traced else input, batch=None if traced else batch, dtype=dtype)
    batch = profile.batch
    per_sample = None if traced else batch
    info = device_info(device, dtype, threads, chosen)
    if progress:
        progress("roofline")
    roof = device_roof(device, info.name, torch_dtype, threads, remeasure_roof, min_run_time, info.settings)
    forward_time = forward_min_time if forward_min_time is not None else max(min_run_time, 1.0)
    if progress:
        progress("whole forward")
    module, inputs, forward = _forward(graph, profile, per_sample, device, torch_dtype, threads, forward_time)
    context = None
    if module is not None and inputs is not None:  # built: both are, or neither
        if progress:
            progress("layers in context")
        repeats = max(5, min(50, round(forward_time / forward[0]))) if forward[0] else 5
        try:
            context = time_in_context(module, inputs, device, threads, repeats)
        except Exception as error:  # noqa: BLE001  the layers are still timed alone; the summary says why not here
            forward = (*forward[:2], f"timing the layers in context failed: {failure(error)}")
    timings = []
    for node, cost in zip(graph.nodes, profile.layers, strict=True):
        if progress:
            progress(cost.name)
        moved = bytes_moved(cost, batch, profile.bytes_per_element)
        predicted = roof.predict(cost.flops, moved) if moved or cost.flops else None
        found: ContextTimes = (
            ContextTimes(
                in_context=context.medians.get(cost.name),
                in_context_iqr=context.iqrs.get(cost.name),
                kernel=context.kernels.get(cost.name) if context.kernels else None,
            )
            if context
            else {}
        )
        try:
            median, iqr = time_layer(cost, node.attributes, per_sample, device, torch_dtype, threads, min_run_time)
            timings.append(LayerTiming(cost, median, iqr, moved, predicted, **found))
        except Exception as error:  # noqa: BLE001  a layer torch cannot run here: reported in its row
            timings.append(LayerTiming(cost, None, None, moved, predicted, failure(error), **found))
        finally:
            if is_cuda(device):
                torch.cuda.empty_cache()
    if progress:
        progress("whole forward, again")
    after = _time_module(module, inputs, threads, forward_time)[0] if module is not None else None
    result = BenchResult(
        profile,
        info,
        roof,
        tuple(timings),
        *forward,
        context_forward=context.forward if context else None,
        forward_after=after,
        empty_call=context.empty_call if context else None,
        repeats=context.repeats if context else 0,
        roof_origin=roof.origin,
    )
    result = _check_roof(result, device, torch_dtype, threads, min_run_time, info.settings)
    return replace(result, disturbed=run_checks(result, info.load, info.cores))


BEATS_FAR = 0.5  # a layer at under half the roofline's time, where no cache explains it, questions a cached roof


def _check_roof(result: BenchResult, device: str, dtype, threads: int, min_run_time: float, settings) -> BenchResult:
    """A roof read from the cache that layers beat by far (compute-bound ones, which no cache explains) is
    measured again, and the predictions made anew."""
    if not result.roof.origin.startswith("cached") or result.roof.confirmed:
        return result
    roof = result.roof
    beaten = [
        t
        for t in result.layers
        if t.ratio is not None and t.ratio < BEATS_FAR and t.intensity and t.intensity >= roof.ridge
    ]
    if not beaten:
        return result
    fresh = device_roof(device, result.device.name, dtype, threads, True, min_run_time, settings, confirmed=True)
    fresh = replace(
        fresh,
        origin=f"{fresh.origin}: the cached roof was beaten by far ({beaten[0].cost.name} at "
        f"{beaten[0].ratio:.2f}x of it)",
    )
    layers = tuple(
        replace(t, predicted=fresh.predict(t.cost.flops, t.bytes_moved) if t.predicted else None) for t in result.layers
    )
    return replace(result, roof=fresh, layers=layers, roof_origin=fresh.origin)


def _time_module(module, inputs, threads: int, min_run_time: float) -> tuple[float | None, float | None]:
    try:
        with torch.no_grad():
            return time_statement("module(*inputs)", {"module": module, "inputs": inputs}, threads, min_run_time)
    except Exception:  # noqa: BLE001  reported where the forward was first timed
        return None, None


def _forward(
    graph, profile, batch, device, dtype, threads, min_run_time
) -> tuple[GraphModule | None, list[torch.Tensor] | None, WholeForward]:
    """The network built from its graph, its inputs, and (median, IQR, error) of its whole forward pass."""
    try:
        module = build_module(graph, profile, device, dtype)
        inputs = [random_input(profile.input_shape.dims, batch, device, dtype)]
        inputs += [
            random_input(profile.layer(name).output_shape.dims, batch, device, dtype) for name in module.extra_inputs
        ]
        with torch.no_grad():
            median, iqr = time_statement("module(*inputs)", {"module": module, "inputs": inputs}, threads, min_run_time)
        return module, inputs, (median, iqr, None)
    except Exception as error:  # noqa: BLE001  reported in the summary
        return None, None, (None, None, failure(error))


CONTEXT_TOLERANCE = 0.10  # the in-context layers must sum to the whole in-context forward within this


def self_check(result: BenchResult) -> list[tuple[str, str, str]]:
    """(PASS / FAIL / NOTE, what, the figures) for each thing a bench run must get right to be believed."""
    checks = []

    def check(ok: bool, what: str, figures: str) -> None:
        checks.append(("PASS" if ok else "FAIL", what, figures))

    times = [
        (t.cost.name, label, value)
        for t in result.layers
        for label, value in (("in context", t.in_context), ("alone", t.median))
        if not t.error
    ]
    bad = [
        f"{name} {label} {value!r}" for name, label, value in times if value is None or not (0 < value < float("inf"))
    ]
    check(
        not bad and not any(t.error for t in result.layers),
        "every time finite and positive",
        "; ".join(bad + [f"{t.cost.name} failed: {t.error}" for t in result.layers if t.error])
        or f"{len(times)} times",
    )
    whole, parts = result.context_forward or 0.0, result.context_sum  # 0.0: the forward was not timed
    check(
        bool(whole) and abs(parts / whole - 1) <= CONTEXT_TOLERANCE,
        f"in-context layers sum to the whole forward within {CONTEXT_TOLERANCE:.0%}",
        f"{parts * 1e3:,.3f} ms of {whole * 1e3:,.3f} ms" if whole else "the forward was not timed",
    )
    if is_cuda(result.device.device):
        check(
            bool(whole) and whole >= 0.9 * parts,
            "CUDA events read after synchronising",
            f"wall {whole * 1e3:,.3f} ms >= 0.9 x events {parts * 1e3:,.3f} ms" if whole else "no forward",
        )
        check(
            len(result.device.settings) >= 3,
            "TF32 and cuDNN settings recorded",
            ", ".join(f"{k} {v}" for k, v in result.device.settings),
        )
    check(bool(result.device.name), "device name recorded", result.device.name or "none")
    check(bool(result.roof.origin), "roof's origin recorded", result.roof.origin or "none")
    for reason in result.disturbed:
        checks.append(("NOTE", "disturbed run", reason))
    return checks


def cuda_memory_check(graph: Graph, profile: Profile, device: str, dtype: str) -> tuple[str, str, str]:
    """torch.cuda.max_memory_allocated over one forward pass, less what was allocated before it (weights, input),
    beside cnncost's predicted inference peak of activations; cuBLAS and cuDNN workspaces are inside torch's
    figure, so it may exceed the prediction by them."""
    torch.cuda.set_device(torch.device(device))
    torch_dtype = BENCH_DTYPES[dtype]
    module = build_module(graph, profile, device, torch_dtype)
    x = random_input(profile.input_shape.dims, None if graph.batch is not None else profile.batch, device, torch_dtype)
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device) - x.numel() * x.element_size()
    with torch.no_grad():
        module(x)
    torch.cuda.synchronize(device)
    measured = torch.cuda.max_memory_allocated(device) - base
    predicted = inference_memory(graph_of(profile), profile).peak_bytes
    ratio = measured / predicted if predicted else float("inf")
    status = "PASS" if 0.8 <= ratio <= 2.0 else "FAIL"
    return (
        status,
        "peak memory: torch.cuda.max_memory_allocated against cnncost's predicted peak (0.8x to 2x)",
        f"{measured:,} B measured (workspaces included), {predicted:,} B predicted, {ratio:.2f}x",
    )
