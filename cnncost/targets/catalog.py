"""The devices cnncost predicts for: their peak rates, memory bandwidth and sizes, each figure with its source
(catalog.toml, beside this file), and `local`, this machine, from its measured roofline.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import CnnCostError

CATALOG = Path(__file__).with_name("catalog.toml")
DEVICE_KINDS = ("datacenter-gpu", "desktop-gpu", "embedded-gpu", "desktop-cpu", "laptop-cpu", "embedded-cpu")
LOCAL_KINDS = ("local-cpu",)  # this machine's CPU, rated by its measured roof


def kind_words(kind: str) -> str:
    """'desktop GPU', 'this machine': a kind of device in words."""
    if kind in LOCAL_KINDS:
        return "this machine"
    place, _, unit = kind.rpartition("-")
    return f"{place} {unit.upper()}"


# the peak rates the latency model reads (FLOP/s; int8 in OP/s), dense: plain cores apart from tensor cores
RATES = ("fp32", "fp16", "bf16", "tf32_tensor", "fp16_tensor", "bf16_tensor", "int8_tensor")
LOCAL = "local"


@dataclass(frozen=True)
class Target:
    """A device: its name and kind, peak rates by precision (FLOP/s), bandwidth (bytes/s), every other figure the
    catalog gives (memory, caches, clocks, power), and the source of each figure."""

    id: str
    name: str
    kind: str
    rates: dict[str, float]
    bandwidth: float
    figures: dict[str, float | str] = field(default_factory=dict)  # every figure, rates and bandwidth included
    sources: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    @property
    def group(self) -> str:
        """Which calibration of the latency model applies: 'gpu' or 'cpu' for a catalog device (rated by its
        datasheet), 'local' for this machine (rated by its measured roof)."""
        return "local" if self.kind.startswith("local") else self.kind.rpartition("-")[2]

    @property
    def cache(self) -> float:
        """Bytes of the last cache a layer's output may stay in for the next layer: a GPU's L2, a CPU's L3."""
        value = self.figures.get("l2", self.figures.get("l3", self.figures.get("cache", 0)))
        return float(value) if isinstance(value, int | float) else 0.0

    def matrix_rate(self, dtype: str, op_kind: str) -> tuple[float, str]:
        """The peak a convolution or matrix product reaches at dtype, and which figure it is: the tensor cores'
        where the device has them (fp32 convolutions on TF32 tensor cores, as torch's cuDNN default allows; fp32
        matrix products on the plain cores, as torch's default for them is), else the plain cores'."""
        wanted = {"fp16": "fp16_tensor", "bf16": "bf16_tensor", "int8": "int8_tensor"}.get(dtype)
        if dtype == "fp32" and op_kind == "conv":
            wanted = "tf32_tensor"
        if wanted in self.rates:
            return self.rates[wanted], wanted
        return self.plain_rate(dtype)

    def plain_rate(self, dtype: str) -> tuple[float, str]:
        """The plain cores' peak at dtype: fp16 and bf16 where listed, else fp32's."""
        if dtype in ("fp16", "bf16") and dtype in self.rates:
            return self.rates[dtype], dtype
        return self.rates["fp32"], "fp32"


def _target(key: str, entry: dict[str, Any]) -> Target:
    """A catalog entry as a Target, its figures checked: a known kind, fp32 and bandwidth given, rates positive
    numbers, and a source for every figure."""
    where = f"{CATALOG.name}: [{key}]"
    if entry.get("kind") not in DEVICE_KINDS:
        raise CnnCostError(f"{where}: kind must be one of {', '.join(DEVICE_KINDS)}, got {entry.get('kind')!r}")
    figures = {k: v for k, v in entry.items() if k not in ("name", "kind", "sources", "notes")}
    sources = entry.get("sources", {})
    for figure, value in figures.items():
        if not sources.get(figure):
            raise CnnCostError(f"{where}: {figure} has no source")
        if isinstance(value, bool) or (
            not isinstance(value, str) and not (isinstance(value, int | float) and value > 0)
        ):
            raise CnnCostError(f"{where}: {figure} must be a positive number or a text, got {value!r}")
    for needed in ("fp32", "bandwidth"):
        if not isinstance(figures.get(needed), int | float):
            raise CnnCostError(f"{where}: {needed} is needed")
    return Target(
        id=key,
        name=entry.get("name", key),
        kind=entry["kind"],
        rates={rate: float(figures[rate]) for rate in RATES if rate in figures},
        bandwidth=float(figures["bandwidth"]),
        figures=figures,
        sources=dict(sources),
        notes=entry.get("notes", ""),
    )


@cache
def catalog() -> dict[str, Target]:
    """Every device of catalog.toml by id, in the file's order."""
    with CATALOG.open("rb") as handle:
        entries = tomllib.load(handle)
    return {key: _target(key, entry) for key, entry in entries.items()}


def target_ids() -> list[str]:
    """The ids a target can be named by: the catalog's and 'local'."""
    return [*catalog(), LOCAL]
