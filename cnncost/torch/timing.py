"""Time every layer alone, and the whole forward pass, with torch.utils.benchmark; set them against the roofline.

Each layer runs on random tensors (never zeros, which some kernels skip through faster) of the input shape
the engine computed for it. torch.utils.benchmark warms up, repeats until min_run_time has passed, and
synchronises CUDA before reading the clock.
"""

from __future__ import annotations

import copy
import os
import platform
import warnings
from dataclasses import dataclass
from typing import Callable

import torch
from torch.utils import benchmark

from ..engine import propagate
from ..errors import CnnCostError, CnnCostWarning, Fix, first_line, worded
from ..graph import Graph
from ..layers import layer_type
from ..results import LayerCost, Profile
from .builders import torch_builder
from .network import build_module
from .roofline import Roof, device_roof

BENCH_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass(frozen=True)
class DeviceInfo:
    """Where and how the timings were taken."""

    device: str
    name: str
    threads: int
    torch_version: str
    dtype: str
    settings: tuple[tuple[str, str], ...] = ()  # CUDA: TF32 and cuDNN benchmark flags


@dataclass(frozen=True)
class LayerTiming:
    """One layer timed alone: median and interquartile range of the runs, in seconds, or the error it raised."""

    cost: LayerCost
    median: float | None
    iqr: float | None
    bytes_moved: int
    predicted: float | None
    error: str | None = None

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

    @property
    def layer_sum(self) -> float:
        """The sum of the per-layer medians."""
        return sum(t.median for t in self.layers if t.median)

    def share(self, timing: LayerTiming) -> float:
        """The layer's fraction of the sum of per-layer medians."""
        return timing.median / self.layer_sum if timing.median and self.layer_sum else 0.0

    def rank_correlations(self) -> tuple[float | None, float | None]:
        """Spearman's rank correlation of measured time with MACs, and with the roofline's prediction."""
        timed = [t for t in self.layers if t.median is not None]
        with_macs = spearman([t.cost.macs for t in timed], [t.median for t in timed])
        predicted = [t for t in timed if t.predicted]
        return with_macs, spearman([t.predicted for t in predicted], [t.median for t in predicted])


def ranks(values: list[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's correlation of the ranks; None for fewer than 3 points or a constant series."""
    if len(xs) < 3:
        return None
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx, vy = sum((a - mx) ** 2 for a in rx), sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else None


def moves_no_data(cost: LayerCost) -> bool:
    """A view (flatten, reshape) or the identity at inference (dropout): torch moves no data."""
    return layer_type(cost.op).view or cost.op == "dropout"


def bytes_moved(cost: LayerCost, batch: int, width: int) -> int:
    """Input(s) read, weights and buffers read, output written; views and identities move nothing."""
    if moves_no_data(cost):
        return 0
    inputs = sum(shape.numel for shape in cost.input_shapes) * cost.scale
    return (inputs + cost.params + cost.buffers + cost.output_shape.total_numel * cost.scale) * width


def device_info(device: str, dtype: str, threads: int) -> DeviceInfo:
    """The device's name and the settings that change its speed."""
    if device == "cuda":
        settings = (("TF32 matmul", str(torch.backends.cuda.matmul.allow_tf32)),
                    ("TF32 cuDNN", str(torch.backends.cudnn.allow_tf32)),
                    ("cuDNN benchmark", str(torch.backends.cudnn.benchmark)))
        return DeviceInfo(device, torch.cuda.get_device_name(), threads, torch.__version__, dtype, settings)
    return DeviceInfo(device, cpu_name(), threads, torch.__version__, dtype)


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def check_device(device: str, dtype: str) -> torch.dtype:
    """The torch dtype to time in; a clear error for a missing CUDA or a dtype bench cannot time."""
    if device not in ("cpu", "cuda"):
        raise CnnCostError(f"bench runs on cpu or cuda, not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise worded(CnnCostError, "{}: no CUDA device is available here (torch.cuda.is_available() is False)",
                     Fix("device='cuda'", "--device cuda"))
    if dtype not in BENCH_DTYPES:
        raise CnnCostError(f"bench times {', '.join(BENCH_DTYPES)}, not {dtype!r}")
    return BENCH_DTYPES[dtype]


def _time(stmt: str, env: dict, threads: int, min_run_time: float) -> tuple[float, float]:
    timer = benchmark.Timer(stmt=stmt, globals=env, num_threads=threads)
    timer.timeit(3)  # warm-up: first calls allocate, pick kernels, fill caches
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    return measurement.median, measurement.iqr


def _failure(error: BaseException) -> str:
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return "out of memory"
    return first_line(error) or type(error).__name__


def random_input(dims: tuple[int, ...], batch: int | None, device: str, dtype: torch.dtype) -> torch.Tensor:
    """Random data (never zeros, which some kernels skip through faster) of a shape; the batch in front of a
    one-sample shape, none for a traced network's, whose shapes include it."""
    return torch.randn(((batch,) if batch is not None else ()) + tuple(dims), device=device, dtype=dtype)


def time_layer(cost: LayerCost, attributes: dict, batch: int | None, device: str, dtype: torch.dtype, threads: int,
               min_run_time: float) -> tuple[float, float]:
    """Median and IQR of one layer alone on random inputs of its computed shapes (batch None: a traced network's
    shapes, which include the batch)."""
    with torch.device(device):
        module = torch_builder(cost.op, one_sample=batch is not None)(*cost.input_shapes, **attributes)
    module = module.to(dtype=dtype).eval()
    inputs = [random_input(shape.dims, batch, device, dtype) for shape in cost.input_shapes]
    with torch.no_grad():
        return _time("module(*inputs)", {"module": module, "inputs": inputs}, threads, min_run_time)


def bench(graph: Graph, input=None, batch: int = 1, device: str = "cpu", dtype: str = "fp32",
          threads: int | None = None, min_run_time: float = 0.2, remeasure_roof: bool = False,
          progress: Callable[[str], None] | None = None, forward_min_time: float | None = None) -> BenchResult:
    """Time each layer alone and the whole network; a layer that fails is reported and the rest still run.

    The whole forward pass repeats for forward_min_time seconds (default: at least one second): a deep network's
    forward takes tens of milliseconds, and a median of a handful of runs moves with every other job on the machine.
    """
    torch_dtype = check_device(device, dtype)
    threads = threads or torch.get_num_threads()
    traced = graph.batch is not None  # a recorded module: its shapes include the batch it was recorded at
    profile = propagate(graph, input=None if traced else input, batch=None if traced else batch, dtype=dtype)
    batch = profile.batch
    per_sample = None if traced else batch
    info = device_info(device, dtype, threads)
    if progress:
        progress("roofline")
    roof = device_roof(device, info.name, torch_dtype, threads, remeasure_roof, min_run_time)
    timings = []
    for node, cost in zip(graph.nodes, profile.layers):
        if progress:
            progress(cost.name)
        moved = bytes_moved(cost, batch, profile.bytes_per_element)
        predicted = roof.predict(cost.flops, moved) if moved or cost.flops else None
        try:
            median, iqr = time_layer(cost, node.attributes, per_sample, device, torch_dtype, threads, min_run_time)
            timings.append(LayerTiming(cost, median, iqr, moved, predicted))
        except Exception as error:  # noqa: BLE001  a layer torch cannot run here: reported in its row
            timings.append(LayerTiming(cost, None, None, moved, predicted, _failure(error)))
        finally:
            if device == "cuda":
                torch.cuda.empty_cache()
    if progress:
        progress("whole forward")
    forward_time = forward_min_time if forward_min_time is not None else max(min_run_time, 1.0)
    forward = _time_forward(graph, profile, per_sample, device, torch_dtype, threads, forward_time)
    return BenchResult(profile, info, roof, tuple(timings), *forward)


def _time_forward(graph, profile, batch, device, dtype, threads, min_run_time):
    try:
        module = build_module(graph, profile, device, dtype)
        inputs = [random_input(profile.input_shape.dims, batch, device, dtype)]
        inputs += [random_input(profile.layer(name).output_shape.dims, batch, device, dtype)
                   for name in module.extra_inputs]
        with torch.no_grad():
            median, iqr = _time("module(*inputs)", {"module": module, "inputs": inputs}, threads, min_run_time)
        return median, iqr, None
    except Exception as error:  # noqa: BLE001  reported in the summary
        return None, None, _failure(error)


def cache_bytes() -> int | None:
    """The size of the CPU's largest cache, from sysfs, where the system says."""
    sizes = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in os.listdir(base):
            if not entry.startswith("index"):
                continue
            with open(os.path.join(base, entry, "size"), encoding="utf-8") as handle:
                text = handle.read().strip().upper()
            factor = {"K": 1024, "M": 1024**2}.get(text[-1], 1)
            sizes.append(int(text.rstrip("KM")) * factor)
    except (OSError, ValueError):
        return None
    return max(sizes) if sizes else None


@dataclass(frozen=True)
class ForwardTiming:
    """The whole forward pass of a network, timed: what a latency budget is checked against."""

    profile: Profile
    forward_median: float
    forward_iqr: float


def time_forward(profile: Profile, model, device: str = "cpu", min_run_time: float = 0.5) -> ForwardTiming:
    """Median time of the network's forward pass at the profile's input, batch and dtype.

    A torch module (an nn.Module, or a 'pkg.mod:Net' path) is timed itself; any other network is built from its
    graph with cnncost's torch builders.
    """
    from ..sources import import_module_object, is_module_path, load_source

    torch_dtype = check_device(device, profile.dtype)
    if isinstance(model, torch.nn.Module) or (isinstance(model, str) and is_module_path(model)):
        # a copy: moving, casting or setting eval mode on the caller's own module would change it
        module = copy.deepcopy(model) if isinstance(model, torch.nn.Module) else import_module_object(model)
        module = module.to(device=device, dtype=torch_dtype).eval()
    else:
        with warnings.catch_warnings():  # the profile has said what the source's notes say
            warnings.simplefilter("ignore", CnnCostWarning)
            graph = load_source(model).graph
        module = build_module(graph, profile, device, torch_dtype)
    x = random_input(profile.input_shape.dims, None if profile.shapes_include_batch else profile.batch, device,
                     torch_dtype)
    try:
        with torch.no_grad():
            median, iqr = _time("module(x)", {"module": module, "x": x}, torch.get_num_threads(), min_run_time)
    except (RuntimeError, TypeError) as error:  # a module of several inputs, or one that fails on this input
        raise CnnCostError(f"{profile.name} cannot be timed on one random input of {profile.input_shape}: "
                           f"{type(error).__name__}: {first_line(error)}") from None
    return ForwardTiming(profile, median, iqr)
