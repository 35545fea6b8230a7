"""The device's roof: attainable compute (a large matrix multiply) and memory bandwidth (a large copy).

Measured once per device, dtype, thread count, torch version and (CUDA) the TF32 and cuDNN settings, and cached in
the user's cache folder ($XDG_CACHE_HOME/cnncost/roofline.json, by default ~/.cache/cnncost/roofline.json); a cached
roof older than MAX_AGE_DAYS is measured again. Every roof says where it came from (Roof.origin).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import torch
from torch.utils import benchmark

from ..errors import CnnCostError
from ..files import locked, parse_document, read_text, write_atomic

MATMUL_SIZES = (1024, 2048, 3072)  # the fastest of these is the roof: libraries tune for some sizes more than others
COPY_BYTES = 256 * 1024 * 1024  # far beyond any cache
MAX_MATMUL_SECONDS = 0.5  # a larger product is left out where one would take longer than this
MAX_AGE_DAYS = 30  # a machine's software changes: an older cached roof is measured again


@dataclass(frozen=True)
class Roof:
    """Peak FLOP/s and bytes/s, as measured on this device."""

    peak_flops: float
    bandwidth: float
    key: str
    method: str = (
        f"fastest square matmul of sizes {', '.join(map(str, MATMUL_SIZES))}; "
        f"copy of {COPY_BYTES // 2**20} MiB (read + write)"
    )
    measured_at: str = ""  # UTC, ISO 8601
    origin: str = ""  # 'measured now', or 'cached, measured <when>'
    confirmed: bool = False  # measured again because layers beat the cached one: layers that beat it now are real

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


def roof_key(device_name: str, dtype: torch.dtype, threads: int, settings=()) -> str:
    """What a measurement depends on, the method and the CUDA settings included."""
    flags = "".join(f" | {name} {value}" for name, value in settings)
    return (
        f"{device_name} | {str(dtype).removeprefix('torch.')} | {threads} threads | torch {torch.__version__} | "
        f"{Roof.method}{flags}"
    )


def _median_seconds(stmt: str, env: dict, threads: int, min_run_time: float) -> float:
    timer = benchmark.Timer(stmt=stmt, globals=env, num_threads=threads)
    return timer.blocked_autorange(min_run_time=min_run_time).median


def measure_roof(device: str, dtype: torch.dtype, threads: int, key: str, min_run_time: float = 0.5) -> Roof:
    """Time large matmuls and a large copy on the device: FLOP/s = 2n³ / time, bytes/s = 2 · size / time."""
    peak, sizes = 0.0, []
    for n in MATMUL_SIZES:
        if peak and 2 * n**3 / peak > MAX_MATMUL_SECONDS:
            break  # a dtype this device computes slowly (bf16 on most CPUs): a larger product would take minutes
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        seconds = _median_seconds("torch.mm(a, b)", {"torch": torch, "a": a, "b": b}, threads, min_run_time)
        peak = max(peak, 2 * n**3 / seconds)
        sizes.append(n)
    elements = COPY_BYTES // torch.empty((), dtype=dtype).element_size()
    src = torch.randn(elements, device=device).to(dtype)
    dst = torch.empty_like(src)
    copy_s = _median_seconds("dst.copy_(src)", {"dst": dst, "src": src}, threads, min_run_time)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    method = (
        f"fastest square matmul of sizes {', '.join(map(str, sizes))}; copy of {COPY_BYTES // 2**20} MiB (read + write)"
    )
    return Roof(
        peak_flops=peak,
        bandwidth=2 * src.numel() * src.element_size() / copy_s,
        key=key,
        method=method,
        measured_at=now,
        origin="measured now",
    )


def _age_days(measured_at: str) -> float | None:
    """Days since measured_at; None for a missing, malformed or future date."""
    try:
        age = (datetime.now(UTC) - datetime.fromisoformat(measured_at)).total_seconds() / 86400
    except (TypeError, ValueError):
        return None
    return age if age >= 0 else None


def _cached_roof(found) -> Roof | None:
    """A Roof from a cache entry, or None for an entry that is not one (missing or non-positive figures)."""
    try:
        fields = {k: v for k, v in found.items() if k in Roof.__dataclass_fields__ and k != "origin"}
        roof = Roof(**fields)
        ok = all(_plausible(v, limit) for v, limit in ((roof.peak_flops, MAX_FLOPS), (roof.bandwidth, MAX_BANDWIDTH)))
    except (AttributeError, TypeError, ValueError, OverflowError):
        return None
    return roof if ok else None


MAX_FLOPS = 1e18  # FLOP/s: a thousand times any device's; a cached figure above it was edited, not measured
MAX_BANDWIDTH = 1e15  # bytes/s, likewise


def _plausible(value, limit: float) -> bool:
    """A measured rate: a positive, finite number below limit (not a bool, not Infinity, not 10**400)."""
    return type(value) in (int, float) and 0 < float(value) < limit


def device_roof(
    device: str,
    device_name: str,
    dtype: torch.dtype,
    threads: int,
    remeasure: bool = False,
    min_run_time: float = 0.5,
    settings=(),
    confirmed: bool = False,
) -> Roof:
    """The cached roof for this device, dtype, thread count and settings; measured (and cached) when missing, when
    older than MAX_AGE_DAYS, when its date is unknown, or when asked."""
    key = roof_key(device_name, dtype, threads, settings)
    path = cache_path()
    cached = _read_cache(path)
    found = cached.get(key)
    usable = _cached_roof(found)
    age = _age_days(usable.measured_at) if usable else None
    if usable and not remeasure and age is not None and age <= MAX_AGE_DAYS:
        return replace(usable, origin=f"cached, measured {usable.measured_at} ({age:.0f} days ago) in {path}")
    roof = replace(measure_roof(device, dtype, threads, key, min_run_time), confirmed=confirmed)
    if found and not remeasure:
        roof = replace(
            roof,
            origin="measured now: the cached roof was "
            + (f"{age:.0f} days old" if age is not None else "of unknown date"),
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with locked(path):  # read again: a parallel bench may have cached another roof since
            cached = _read_cache(path)
            cached[key] = {k: v for k, v in asdict(roof).items() if k != "origin"}
            write_atomic(path, json.dumps(cached, indent=2) + "\n")
    except Exception:  # noqa: BLE001  an unwritable cache costs a re-measure next time, nothing more
        pass
    return roof


def _read_cache(path: Path) -> dict:
    """The cached roofs, or none where the file is missing or not a cache (unreadable, not JSON, nested deep)."""
    try:
        cached = parse_document(read_text(path), "JSON", path.name)
    except CnnCostError:
        return {}
    return cached if isinstance(cached, dict) else {}


def fp32_roof(device: str = "cpu") -> Roof:
    """The device's fp32 roof at torch's thread count, as `cnncost bench` measures and caches it."""
    from .device import device_info

    threads = torch.get_num_threads()
    info = device_info(device, "fp32", threads)
    return device_roof(device, info.name, torch.float32, threads, settings=info.settings)
