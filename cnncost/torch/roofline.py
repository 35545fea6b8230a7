"""The device's roof: attainable compute (a large matrix multiply) and memory bandwidth (a large copy).

Measured once per device, dtype, thread count and torch version, and cached in the user's cache folder
($XDG_CACHE_HOME/cnncost/roofline.json, by default ~/.cache/cnncost/roofline.json).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.utils import benchmark

MATMUL_SIZES = (1024, 2048, 3072)  # the fastest of these is the roof: libraries tune for some sizes more than others
COPY_BYTES = 256 * 1024 * 1024  # far beyond any cache


@dataclass(frozen=True)
class Roof:
    """Peak FLOP/s and bytes/s, as measured on this device."""

    peak_flops: float
    bandwidth: float
    key: str
    method: str = (f"fastest square matmul of sizes {', '.join(map(str, MATMUL_SIZES))}; "
                   f"copy of {COPY_BYTES // 2**20} MiB (read + write)")

    @property
    def ridge(self) -> float:
        """The arithmetic intensity (FLOP/byte) where memory-bound turns compute-bound."""
        return self.peak_flops / self.bandwidth

    def predict(self, flops: int, bytes_moved: int) -> float:
        """Seconds the roofline allows: max(FLOPs / peak, bytes / bandwidth)."""
        return max(flops / self.peak_flops, bytes_moved / self.bandwidth)


def cache_path() -> Path:
    """$XDG_CACHE_HOME/cnncost/roofline.json, ~/.cache/... without it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnncost" / "roofline.json"


def roof_key(device_name: str, dtype: torch.dtype, threads: int) -> str:
    """What a measurement depends on, the method included."""
    return (f"{device_name} | {str(dtype).removeprefix('torch.')} | {threads} threads | torch {torch.__version__} | "
            f"{Roof.method}")


def _median_seconds(stmt: str, env: dict, threads: int, min_run_time: float) -> float:
    timer = benchmark.Timer(stmt=stmt, globals=env, num_threads=threads)
    return timer.blocked_autorange(min_run_time=min_run_time).median


def measure_roof(device: str, dtype: torch.dtype, threads: int, key: str, min_run_time: float = 0.5) -> Roof:
    """Time large matmuls and a large copy on the device: FLOP/s = 2n³ / time, bytes/s = 2 · size / time."""
    peak = 0.0
    for n in MATMUL_SIZES:
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        seconds = _median_seconds("torch.mm(a, b)", {"torch": torch, "a": a, "b": b}, threads, min_run_time)
        peak = max(peak, 2 * n**3 / seconds)
    elements = COPY_BYTES // torch.empty((), dtype=dtype).element_size()
    src = torch.randn(elements, device=device).to(dtype)
    dst = torch.empty_like(src)
    copy_s = _median_seconds("dst.copy_(src)", {"dst": dst, "src": src}, threads, min_run_time)
    return Roof(peak_flops=peak, bandwidth=2 * src.numel() * src.element_size() / copy_s, key=key)


def device_roof(device: str, device_name: str, dtype: torch.dtype, threads: int, remeasure: bool = False,
                min_run_time: float = 0.5) -> Roof:
    """The cached roof for this device, dtype and thread count; measured and cached when missing."""
    key = roof_key(device_name, dtype, threads)
    path = cache_path()
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if key in cached and not remeasure:
        return Roof(**cached[key])
    roof = measure_roof(device, dtype, threads, key, min_run_time)
    cached[key] = asdict(roof)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from ..files import write_atomic

        write_atomic(path, json.dumps(cached, indent=2) + "\n")
    except Exception:  # noqa: BLE001  an unwritable cache costs a re-measure next time, nothing more
        pass
    return roof
