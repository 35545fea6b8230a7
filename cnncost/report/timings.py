"""Presentation of bench results: the table with measured and predicted columns, and a summary in numbers."""

from __future__ import annotations

from dataclasses import dataclass

from .. import units
from ..results import LayerCost
from .document import Document, Facts, table
from .rows import block_prefix, channels_text, size_text

HEADERS = (
    "layer",
    "type",
    "out C",
    "out H/W",
    "MACs M",
    "FLOPs M",
    "in context ms",
    "alone ms",
    "alone / context",
    "IQR ms",
    "kernel ms",
    "GFLOP/s",
    "GB/s",
    "% time",
    "FLOP/B",
    "roof ms",
    "measured/roof",
    "bound",
    "note",
)
NUMERIC = (False, False, *[True] * 15, False, False)  # layer and type; the figures; bound and note
HIDE = ("FLOPs M", "IQR ms", "GB/s", "GFLOP/s", "FLOP/B", "out C", "out H/W", "type", "% time", "kernel ms", "bound")
FAR_FROM_ROOF = 10.0  # measured/predicted above this is called far from the roofline
CALL_BOUND = 2.0  # a layer under this many empty calls in context is bound by the call, not by its arithmetic
DRIFT = 0.15  # the whole forward before and after the layers differing by more than this: a busy machine
SPREAD = 0.25  # a heavy layer whose IQR exceeds this fraction of its median: a busy machine
HEAVY = 0.05  # share of the forward that makes a layer's spread matter


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else units.milliseconds(seconds)


def _maybe(value: float | None, decimals: int) -> str:
    return "" if value is None else units.fixed(value, decimals)


def bound(timing, roof) -> str:
    """'compute' when FLOPs / peak exceeds bytes / bandwidth, else 'memory'."""
    if timing.intensity is None:
        return ""
    return "compute" if timing.intensity >= roof.ridge else "memory"


def note(timing, roof, cache: int | None, empty_call: float | None = None, cache_name: str = "the cache") -> str:
    """Why a row stands out: an error, a view that moves nothing, a call that costs no more than an empty one, or a
    time away from the roofline."""
    if timing.error:
        return f"failed: {timing.error}"
    if timing.predicted is None:
        return "view / identity: no data moved"
    if empty_call and timing.in_context and timing.in_context < CALL_BOUND * empty_call:
        return f"bound by the call: an empty call takes {empty_call * 1e6:,.1f} µs"
    if timing.ratio is not None and timing.ratio < 1:
        if bound(timing, roof) == "memory" and cache and timing.bytes_moved <= cache:
            return f"stays in {cache_name}: its {units.megabytes(timing.bytes_moved)} fit, so it beats the memory roof"
        return "beats the roof: this kernel outruns the matmul that set it"
    if timing.ratio is not None and timing.ratio > FAR_FROM_ROOF:
        return "far from the roof"
    return ""


@dataclass(frozen=True)
class Timing:
    """One layer timed alone (or a block of them, their times added up): median and interquartile range of the runs,
    in seconds, or the error it raised."""

    cost: LayerCost
    median: float | None
    iqr: float | None
    bytes_moved: int
    predicted: float | None
    error: str | None = None
    in_context: float | None = None  # median seconds of the layer's call inside whole forward passes
    in_context_iqr: float | None = None
    kernel: float | None = None  # CUDA: seconds of the layer's kernels in one profiled pass

    @property
    def alone_over_context(self) -> float | None:
        """Alone / in context: below 1, the layer runs faster alone (warm caches, no neighbours)."""
        return self.median / self.in_context if self.median and self.in_context else None

    @property
    def intensity(self) -> float | None:
        """FLOPs per byte moved (input, weights and output)."""
        return self.cost.flops / self.bytes_moved if self.bytes_moved else None

    @property
    def ratio(self) -> float | None:
        """Measured / predicted time: 1 is at the roof, 10 is ten times slower than it."""
        return self.median / self.predicted if self.median and self.predicted else None

    @property
    def flops_per_second(self) -> float | None:
        return self.cost.flops / self.median if self.median else None

    @property
    def bytes_per_second(self) -> float | None:
        return self.bytes_moved / self.median if self.median else None


def _sum(values) -> float | None:
    """The sum of the known values, None where none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def folded_timings(layers, depth: int) -> tuple:
    """Consecutive layers of one block at depth (rows.block_prefix) as one Timing: times, MACs, FLOPs and bytes
    added up, the interquartile ranges left out (they do not add up)."""
    groups: list[list] = []
    for timing in layers:
        prefix = block_prefix(timing.cost.name, depth)
        if groups and block_prefix(groups[-1][0].cost.name, depth) == prefix:
            groups[-1].append(timing)
        else:
            groups.append([timing])
    folded = []
    for group in groups:
        if len(group) == 1 and group[0].cost.name == block_prefix(group[0].cost.name, depth):
            folded.append(group[0])
            continue
        first, last = group[0].cost, group[-1].cost
        cost = first._replace(
            name=block_prefix(first.name, depth),
            op=f"block of {len(group)} layer{'s' if len(group) > 1 else ''}",
            output_shape=last.output_shape,
            macs=sum(t.cost.macs for t in group),
            flops=sum(t.cost.flops for t in group),
        )
        errors = [t.error for t in group if t.error]
        folded.append(
            Timing(
                cost,
                _sum(t.median for t in group),
                None,
                sum(t.bytes_moved for t in group),
                _sum(t.predicted for t in group),
                errors[0] if errors else None,
                _sum(t.in_context for t in group),
                None,
                _sum(t.kernel for t in group),
            )
        )
    return tuple(folded)


def bench_rows(result, cache: int | None, cache_name: str = "the cache") -> list[list[str]]:
    """One row per layer (or block, where the result's layers were folded)."""
    rows = []
    batched = result.profile.shapes_include_batch  # a recorded module's shapes hold the batch in front
    for t in result.layers:
        c = t.cost
        rows.append(
            [
                c.name,
                c.op,
                channels_text((c.output_shape,), batched),
                size_text(c.output_shape, batched),
                units.millions(c.macs),
                units.millions(c.flops),
                _ms(t.in_context),
                _ms(t.median),
                _maybe(t.alone_over_context, 2),
                _ms(t.iqr),
                _ms(t.kernel),
                _maybe(t.flops_per_second and t.flops_per_second / 1e9, 1),
                _maybe(t.bytes_per_second and t.bytes_per_second / 1e9, 1),
                units.percent(t.in_context / result.context_sum) if t.in_context and result.context_sum else "",
                _maybe(t.intensity, 1),
                _ms(t.predicted),
                _maybe(t.ratio, 2),
                bound(t, result.roof),
                note(t, result.roof, cache, result.empty_call, cache_name),
            ]
        )
    return rows


def _times(value: float | None, whole: float | None) -> str:
    return f" ({value / whole:.2f} x the whole forward)" if value and whole else ""


def summary_lines(result) -> list[tuple[str, str]]:
    """What the timing confirms or contradicts in the analytic table, in numbers; first, whether to trust it."""
    d, roof, p = result.device, result.roof, result.profile
    far = sorted((t for t in result.layers if t.ratio and t.ratio > FAR_FROM_ROOF), key=lambda t: -t.ratio)
    failed = [t for t in result.layers if t.error]
    load = f"; load {d.load:.1f} on {d.cores} cores as it began" if d.load is not None and d.cores else ""
    lines = [
        (
            "Run",
            "DISTURBED, treat the ratios with care: " + "; ".join(result.disturbed)
            if result.disturbed
            else f"steady: the whole forward drifted under {DRIFT:.0%} between before and after the layers, no heavy "
            f"layer's IQR over {SPREAD:.0%} of its median{load}",
        ),
        ("Device", f"{d.device}: {d.name}, torch {d.torch_version}" + "".join(f", {k} {v}" for k, v in d.settings)),
        ("Threads", f"{d.threads} ({d.threads_chosen})"),
        ("Input", f"{p.sample_input_shape}, batch {p.batch}, {p.dtype}"),
        (
            "Roof",
            f"{roof.peak_flops / 1e9:,.1f} GFLOP/s, {roof.bandwidth / 1e9:,.1f} GB/s, ridge at "
            f"{roof.ridge:,.1f} FLOP/B ({roof.method}); {roof.origin or 'measured now'}",
        ),
        (
            "Whole forward",
            f"{_ms(result.forward_median)} ms median (IQR {_ms(result.forward_iqr)} ms); "
            f"{_ms(result.forward_after)} ms again after the layers"
            if result.forward_median
            else f"failed: {result.forward_error}",
        ),
        (
            "Whole forward, layers timed in context",
            f"{_ms(result.context_forward)} ms median of {result.repeats} passes"
            if result.context_forward
            else "not timed",
        ),
        (
            "Sum of in-context medians",
            f"{_ms(result.context_sum)} ms" + _times(result.context_sum, result.context_forward),
        ),
        (
            "Between the layers",
            f"{_ms(result.between_layers)} ms: Python's loop over the graph and launches; an "
            f"empty call takes {_ms(result.empty_call)} ms"
            if result.between_layers is not None
            else "n/a",
        ),
        ("Sum of alone medians", f"{_ms(result.layer_sum)} ms" + _times(result.layer_sum, result.forward_median)),
    ]
    for label, in_context in (("in context", True), ("alone", False)):
        with_macs, with_roof = result.rank_correlations(in_context)
        lines.append(
            (
                f"Rank correlation {label}: MACs, roof prediction vs time",
                f"{_maybe(with_macs, 3) or 'n/a'}, {_maybe(with_roof, 3) or 'n/a'}",
            )
        )
    lines.append(
        (
            f"Layers over {FAR_FROM_ROOF:g}x the roof (alone)",
            ", ".join(f"{t.cost.name} ({t.ratio:,.1f}x)" for t in far[:8])
            + (f" and {len(far) - 8} more" if len(far) > 8 else "")
            or "none",
        )
    )
    if failed:
        lines.append(("Failed layers", ", ".join(f"{t.cost.name}: {t.error}" for t in failed)))
    return lines


CAPTION = (
    "In context: each layer's call timed inside whole forward passes of the network, after its neighbours (the "
    "call and the freeing of the tensors it read last; CPU: perf_counter around them; CUDA: CUDA events on the "
    "stream, and the layer's kernels from torch.profiler in the kernel column); median of the passes. Alone: the "
    "layer on random inputs of its computed shape (torch.utils.benchmark: warm-up, then repeats; median and IQR); "
    "alone / context below 1 means warm caches and no neighbours flatter it. GFLOP/s and GB/s are the cnncost "
    "FLOPs and the bytes moved (inputs, weights and buffers, output; views move none) over the alone median. "
    "FLOP/B is the arithmetic intensity; roof ms = max(FLOPs / peak, bytes / bandwidth); measured/roof (alone) "
    "above 1 is slower than the roofline allows, below 1 faster than the measured roof. % time is the share of "
    "the sum of in-context medians."
)


def bench_document(result, cache: int | None, cache_name: str = "the cache") -> Document:
    """The bench table, then the summary, the run's steadiness first."""
    p = result.profile
    return Document(
        f"{p.name}: measured on {result.device.device}, batch {p.batch}, {p.dtype}",
        (
            table(HEADERS, bench_rows(result, cache, cache_name), NUMERIC, caption=CAPTION, hide=HIDE),
            Facts(tuple(summary_lines(result))),
        ),
    )


def bench_records(result) -> list[dict]:
    """One plain dict per layer: raw integers and seconds, for CSV and JSON; the run's context on every row."""
    d = result.device
    return [
        {
            "layer": t.cost.name,
            "op": t.cost.op,
            "output_shape": str(t.cost.output_shape),
            "macs": t.cost.macs,
            "flops": t.cost.flops,
            "bytes_moved": t.bytes_moved,
            "in_context_s": t.in_context,
            "in_context_iqr_s": t.in_context_iqr,
            "kernel_s": t.kernel,
            "alone_s": t.median,
            "alone_iqr_s": t.iqr,
            "predicted_s": t.predicted,
            "measured_over_predicted": t.ratio,
            "intensity_flop_per_byte": t.intensity,
            "bound": bound(t, result.roof),
            "error": t.error or "",
            "device": d.device,
            "device_name": d.name,
            "threads": d.threads,
            "batch": result.profile.batch,
            "dtype": result.profile.dtype,
            "disturbed": "; ".join(result.disturbed),
        }
        for t in result.layers
    ]
