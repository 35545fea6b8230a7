"""The device a bench runs on: its name, the settings that change its speed, its cache, the dtypes it times, and
random inputs for it."""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import torch

from ..errors import CnnCostError, Fix, first_line, worded

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
    threads_chosen: str = "torch's default, one per core"  # why this many threads
    load: float | None = None  # the machine's 1-minute load average when the run began (Linux)
    cores: int | None = None


def is_cuda(device: str) -> bool:
    """cuda, or cuda:N."""
    return device == "cuda" or device.startswith("cuda:")


def cuda_settings() -> tuple[tuple[str, str], ...]:
    """The flags that change what a CUDA kernel computes and how fast: the roof is measured under the same ones."""
    return (
        ("TF32 matmul", str(torch.backends.cuda.matmul.allow_tf32)),
        ("TF32 cuDNN", str(torch.backends.cudnn.allow_tf32)),
        ("cuDNN benchmark", str(torch.backends.cudnn.benchmark)),
        ("matmul precision", torch.get_float32_matmul_precision()),
    )


def device_info(device: str, dtype: str, threads: int, threads_chosen: str = "") -> DeviceInfo:
    """The device's name, the settings that change its speed, and the machine's load as the run begins."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    chosen = threads_chosen or "torch's default, one per core"
    if is_cuda(device):
        return DeviceInfo(
            device,
            torch.cuda.get_device_name(torch.device(device)),
            threads,
            torch.__version__,
            dtype,
            cuda_settings(),
            chosen,
            load,
            cores,
        )
    return DeviceInfo(device, cpu_name(), threads, torch.__version__, dtype, (), chosen, load, cores)


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
    if device not in ("cpu", "cuda") and not (device.startswith("cuda:") and device[5:].isdigit()):
        raise CnnCostError(f"bench runs on cpu, cuda or cuda:N, not {device!r}")
    if is_cuda(device) and not torch.cuda.is_available():
        raise worded(
            CnnCostError,
            "{}: no CUDA device is available here (torch.cuda.is_available() is False)",
            Fix(f"device={device!r}", f"--device {device}"),
        )
    if device.startswith("cuda:") and int(device[5:]) >= torch.cuda.device_count():
        raise CnnCostError(
            f"--device {device}: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0"
        )
    if dtype not in BENCH_DTYPES:
        raise CnnCostError(f"bench times {', '.join(BENCH_DTYPES)}, not {dtype!r}")
    return BENCH_DTYPES[dtype]


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


def device_cache(device: str) -> tuple[int | None, str]:
    """(bytes, name) of the cache a layer's tensors may stay in: the CPU's largest cache, or a GPU's L2."""
    if is_cuda(device):
        return getattr(torch.cuda.get_device_properties(torch.device(device)), "L2_cache_size", None), "L2"
    return cache_bytes(), "the CPU's cache"


P = ParamSpec("P")
R = TypeVar("R")


def keeps_random_state(function: Callable[P, R]) -> Callable[P, R]:
    """function with the caller's global random state (the CPU's, and each initialised CUDA device's) as it was
    afterwards: its random inputs and the weights of the modules it builds draw from a fork."""

    @functools.wraps(function)
    def forked(*args: P.args, **kwargs: P.kwargs) -> R:
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):
            return function(*args, **kwargs)

    return forked


def random_input(dims: tuple[int, ...], batch: int | None, device: str, dtype: torch.dtype) -> torch.Tensor:
    """Random data (never zeros, which some kernels skip through faster) of a shape; the batch in front of a
    one-sample shape, none for a traced network's, whose shapes include it."""
    return torch.randn(((batch,) if batch is not None else ()) + tuple(dims), device=device, dtype=dtype)


def failure(error: BaseException) -> str:
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return "out of memory"
    return first_line(error) or type(error).__name__
