"""A layer's predicted time on a device: a roofline with efficiencies, and a fixed cost per kernel.

    compute = FLOPs / (peak rate × efficiency[kind] × depth / (depth + depth_half))   (matrix kinds)
    compute = FLOPs / (peak rate × efficiency[kind])                                   (the others)
    memory  = bytes from memory / (bandwidth × memory_efficiency[kind])
    time    = max(compute, memory) + overhead

Bytes from memory are the bytes the layer moves: inputs, outputs and weights. (A calibration may credit the device's
last cache with holding a layer's inputs from the layer that wrote them, Calibration.last_cache; the shipped one
does not: benchmarks/README.md shows what that would change.)

The peak rate is the device's for the layer's kind and dtype (tensor cores for convolutions and matrix products,
plain cores for the rest: Target.matrix_rate, plain_rate); depth is the layer's MACs per output element, so a
product with a short reduction (a 1×1 convolution of few channels) reaches less of the peak. Efficiencies lie in
(0, 1] for catalog devices, so no prediction for one is faster than its pure roofline (for `local`, whose roof is a
matrix product this machine's convolutions outrun, up to 2.5: cnncost.targets.fit.CEILING). The few parameters are
fitted per group of devices (GPU, CPU, this machine) on measurements (cnncost.targets.fit) and shipped in
calibration.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .catalog import Target
from .work import KINDS, MATRIX_KINDS

CALIBRATION = Path(__file__).with_name("calibration.toml")
BOUNDS = ("compute", "memory", "overhead")
COMPUTE_KINDS = (*MATRIX_KINDS, "grouped conv")  # the kinds whose compute efficiency is fitted; the rest reach peak


@dataclass(frozen=True)
class Calibration:
    """The latency model's parameters for one group of devices ('gpu', 'cpu'), and what they were fitted on."""

    group: str
    compute_efficiency: dict[str, float]  # of COMPUTE_KINDS: the fraction of the peak rate reached
    memory_efficiency: dict[str, float]  # of every kind: the fraction of the bandwidth reached
    depth_half: float  # MACs per output element at which a matrix kernel reaches half its efficiency
    overhead: float  # seconds per kernel
    fitted_on: tuple[str, ...] = ()
    last_cache: bool = False  # inputs no larger than the device's last cache come from it, not from memory

    def efficiencies(self) -> tuple[np.ndarray, np.ndarray]:
        """Compute and memory efficiency per kind, in KINDS order (1 where nothing was fitted)."""
        compute = np.array([self.compute_efficiency.get(kind, 1.0) for kind in KINDS])
        memory = np.array([self.memory_efficiency.get(kind, self.memory_efficiency["elementwise"]) for kind in KINDS])
        return compute, memory


@cache
def calibrations() -> dict[str, Calibration]:
    """The shipped calibration of each group of devices."""
    with CALIBRATION.open("rb") as handle:
        found = tomllib.load(handle)
    return {
        group: Calibration(
            group=group,
            compute_efficiency=dict(entry["compute_efficiency"]),
            memory_efficiency=dict(entry["memory_efficiency"]),
            depth_half=float(entry["depth_half"]),
            overhead=float(entry["overhead"]),
            fitted_on=tuple(entry.get("fitted_on", ())),
        )
        for group, entry in found.items()
    }


def kind_rates(target: Target, dtype: str) -> np.ndarray:
    """Each kind's peak rate on the target at dtype (FLOP/s), in KINDS order."""
    return np.array(
        [target.matrix_rate(dtype, kind)[0] if kind in MATRIX_KINDS else target.plain_rate(dtype)[0] for kind in KINDS]
    )


@dataclass(frozen=True)
class Work:
    """Layers' work as arrays, one entry per layer: kind (index into KINDS), FLOPs, MACs, elements written, bytes
    moved (inputs, outputs, weights), and of those the bytes of inputs."""

    kind: np.ndarray
    flops: np.ndarray
    macs: np.ndarray
    written: np.ndarray
    moved: np.ndarray
    read: np.ndarray

    def select(self, keep) -> Work:
        """The entries at keep (indices or a mask)."""
        return Work(
            *(
                np.asarray(array)[keep]
                for array in (self.kind, self.flops, self.macs, self.written, self.moved, self.read)
            )
        )


def memory_bytes(work: Work, target: Target, last_cache: bool = False) -> np.ndarray:
    """Bytes each layer moves to or from memory: its inputs, outputs and weights; with last_cache, less what the
    device's last cache still holds of its inputs (all of an input no larger than the cache, as much as it holds of
    a larger one)."""
    return work.moved - np.minimum(work.read, target.cache) if last_cache else work.moved


def roofline_seconds(work: Work, target: Target, dtype: str) -> np.ndarray:
    """The pure roofline at the datasheet's peaks: max(FLOPs / peak, bytes / bandwidth), per layer."""
    return np.maximum(work.flops / kind_rates(target, dtype)[work.kind], work.moved / target.bandwidth)


def predict_work(work: Work, target: Target, dtype: str, calibration: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per layer, and the index into BOUNDS of what decides each (compute, memory or overhead)."""
    compute_eff, memory_eff = calibration.efficiencies()
    depth = np.divide(work.macs, work.written, out=np.zeros(len(work.macs)), where=work.written > 0)
    matrix = np.isin(work.kind, [KINDS.index(kind) for kind in MATRIX_KINDS])
    # a matrix kernel with no MACs (nothing to reduce) is not held back by its depth
    deep = matrix & (depth > 0)
    filled = np.divide(depth, depth + calibration.depth_half, out=np.ones(len(depth)), where=deep)
    rate = kind_rates(target, dtype)[work.kind] * compute_eff[work.kind] * filled
    compute = np.divide(work.flops, rate, out=np.zeros(len(rate)), where=rate > 0)
    memory = memory_bytes(work, target, calibration.last_cache) / (target.bandwidth * memory_eff[work.kind])
    busy = np.maximum(compute, memory)
    bound = np.where(calibration.overhead > busy, 2, np.where(compute >= memory, 0, 1))
    return busy + calibration.overhead, bound
