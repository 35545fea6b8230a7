"""The clock: a statement, a layer alone, and every layer in context (inside whole forward passes).

Alone: each layer on random tensors (never zeros, which some kernels skip through faster) of the input shape the
engine computed for it, with torch.utils.benchmark (warm-up, repeats until min_run_time has passed, CUDA
synchronised before the clock is read).

In context: the network built from its graph runs whole, repeatedly, and each layer's call is timed where it runs,
after its neighbours, with the freeing of the tensors it was the last to read (a model's own forward frees them
there too): on the CPU with time.perf_counter_ns around the step, on CUDA with a pair of CUDA events around it (the
time on the GPU's stream, read after one synchronisation per pass), and one pass under torch.profiler gives each
layer's kernel time. NB: on the CPU, torch.profiler's record_function ranges were not used for the times: its
recording of every op added 0.2% (AlexNet) to 29% (MobileNet-v2) to the forward pass in one interleaved run
(benchmarks/README.md), so the small layers it would charge most.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch.utils import benchmark

from ..results import LayerCost
from .builders import torch_builder
from .device import is_cuda, random_input
from .statistics import quartiles


def time_statement(stmt: str, env: dict, threads: int, min_run_time: float) -> tuple[float, float]:
    timer = benchmark.Timer(stmt=stmt, globals=env, num_threads=threads)
    timer.timeit(3)  # warm-up: first calls allocate, pick kernels, fill caches
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    return measurement.median, measurement.iqr


def time_layer(
    cost: LayerCost,
    attributes: dict,
    batch: int | None,
    device: str,
    dtype: torch.dtype,
    threads: int,
    min_run_time: float,
) -> tuple[float, float]:
    """Median and IQR of one layer alone on random inputs of its computed shapes (batch None: a traced network's
    shapes, which include the batch)."""
    with torch.device(device):
        module = torch_builder(cost.op, one_sample=batch is not None)(*cost.input_shapes, **attributes)
    module = module.to(dtype=dtype).eval()
    inputs = [random_input(shape.dims, batch, device, dtype) for shape in cost.input_shapes]
    with torch.no_grad():
        return time_statement("module(*inputs)", {"module": module, "inputs": inputs}, threads, min_run_time)


@dataclass(frozen=True)
class InContext:
    """Per layer, the median and IQR of its call inside whole forward passes (seconds); the passes' median; the
    time of an empty call in the same loop; CUDA: each layer's kernel time from one profiled pass."""

    medians: dict[str, float]
    iqrs: dict[str, float]
    forward: float
    empty_call: float
    repeats: int
    kernels: dict[str, float] | None = None


class Clock:
    """Times each call of the built network's layers where it runs: perf_counter_ns on the CPU, a pair of CUDA events
    on the GPU's stream."""

    def __init__(self, module, cuda: bool) -> None:
        self.cuda, self.run = cuda, module._step
        self.pending: list[tuple[str, torch.cuda.Event, torch.cuda.Event]] = []  # (layer, start, end)
        self.times: dict[str, list[float]] = {}

    def __call__(self, node, done, env, extra) -> None:
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            self.run(node, done, env, extra)
            end.record()
            self.pending.append((node.name, start, end))
            return
        begin = time.perf_counter_ns()
        self.run(node, done, env, extra)
        self.times.setdefault(node.name, []).append((time.perf_counter_ns() - begin) / 1e9)

    def settle(self) -> None:
        """CUDA: wait for the pass, then read its events (milliseconds) as seconds."""
        if self.cuda:
            torch.cuda.synchronize()
            for name, start, end in self.pending:
                self.times.setdefault(name, []).append(start.elapsed_time(end) / 1e3)
            self.pending.clear()


def time_in_context(module, inputs: list, device: str, threads: int, repeats: int) -> InContext:
    """Run the built network whole `repeats` times (after 3 warm-up passes), timing each layer's call in place, an
    empty call in the same loop, and (CUDA) one pass under torch.profiler for the kernel time per layer."""
    cuda = is_cuda(device)
    clock = Clock(module, cuda)
    empty = torch.nn.Identity()
    forwards: list[float] = []
    empties: list[float] = []
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.no_grad():
            for _ in range(3):
                module(*inputs)
            module._step = clock
            for _ in range(repeats):
                if cuda:
                    torch.cuda.synchronize()
                begin = time.perf_counter_ns()
                module(*inputs)
                if cuda:
                    torch.cuda.synchronize()
                forwards.append((time.perf_counter_ns() - begin) / 1e9)
                clock.settle()
                begin = time.perf_counter_ns()
                empty(inputs[0])
                empties.append((time.perf_counter_ns() - begin) / 1e9)
            module.__dict__.pop("_step", None)
            kernels = kernel_times(module, inputs) if cuda else None
    finally:
        module.__dict__.pop("_step", None)
        torch.set_num_threads(before)
    stats = {name: quartiles(values) for name, values in clock.times.items()}
    return InContext(
        {name: m for name, (m, _) in stats.items()},
        {name: q for name, (_, q) in stats.items()},
        statistics.median(forwards),
        statistics.median(empties),
        repeats,
        kernels,
    )


def kernel_times(module, inputs: list) -> dict[str, float]:
    """Each layer's kernel time on the GPU in one pass, from torch.profiler's ranges (seconds)."""
    from torch.profiler import ProfilerActivity, profile, record_function

    run = module._run

    def ranged(node, env, extra):
        with record_function(node.name):
            return run(node, env, extra)

    module._run = ranged
    try:
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            module(*inputs)
            torch.cuda.synchronize()
    finally:
        module._run = run
    from torch.autograd import DeviceType

    names = {node.name for node in module.graph.nodes}
    return {
        event.name: event.device_time_total / 1e6
        for event in prof.events()  # the CPU-side range holds the
        if event.name in names and event.device_type == DeviceType.CPU
    }  # kernels it launched, GPU-side a span
