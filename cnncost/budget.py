"""Budgets: limits on a network's parameters, MACs, FLOPs, activation memory and latency, for CI.

    from cnncost import profile, assert_budget, time_forward
    assert_budget(profile("resnet50"), max_params="30M", max_macs="5G", max_memory="120MB")
    assert_budget(time_forward("resnet50"), max_latency="200ms", max_params="30M")   # times the forward pass

Counts take decimal suffixes (k = 10^3, M = 10^6, G = 10^9, T = 10^12), or none (15000000, 15_000_000, 1.5e7,
a Python int or float); memory takes B, KB, MB, GB with KB = 1024 bytes, as everywhere in cnncost; latency takes s,
ms, us. Memory budgets name what they hold:
activations (the sum of the layers' outputs, as the table's total; max_memory is the same, its older name), peak
memory (the activations live at once in one inference forward pass), weights (parameters and buffers) and training
memory (one training step with an optimizer).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import cast

from .analysis import graph_of
from .analysis.optimizers import Optimizer, named_optimizer
from .errors import CnnCostError

COUNT_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BYTE_UNITS = {
    "B": 1,
    "KB": 1024,
    "MB": 1024**2,
    "GB": 1024**3,
    "TB": 1024**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
}
TIME_UNITS = {"S": Fraction(1), "MS": Fraction(1, 10**3), "US": Fraction(1, 10**6)}
# 15M, 1.5e7, 15_000_000 (underscores as Python allows them); an exponent of at most two digits
_NUMBER = re.compile(r"^\s*(\d+(?:_\d+)*(?:\.\d+)?(?:[eE][+-]?\d{1,2})?)\s*([a-zA-Z]*)\s*$")


class BudgetExceeded(AssertionError):
    """One or more budgets broken; the message names each, with the value and the limit."""


def _parse(text: str | int | float, units: dict, what: str, default_unit: str):
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not math.isfinite(text) or text < 0:
            raise CnnCostError(f"malformed {what} {text!r}: a limit is a finite number of at least 0")
        return Fraction(text) * units[default_unit]
    match = _NUMBER.match(str(text))
    unit = match.group(2).upper() if match else None
    if not match or unit not in units and not (unit == "" and default_unit in units):
        known = ", ".join(u for u in units if u) or "none"
        raise CnnCostError(f"malformed {what} {text!r}: a number (such as 15, 1.5 or 1.5e7) with a unit ({known})")
    return Fraction(match.group(1).replace("_", "")) * units[unit or default_unit]


def parse_count(text) -> int:
    """'5M' -> 5,000,000; '1.5G' -> 1,500,000,000; '600k' -> 600,000."""
    return int(_parse(text, COUNT_UNITS, "count", ""))


def parse_bytes(text) -> int:
    """'120MB' -> 125,829,120 bytes (MB = 1024 KB); a bare number is bytes."""
    return int(_parse(text, BYTE_UNITS, "memory size", "B"))


def parse_seconds(text) -> Fraction:
    """'20ms' -> 1/50 s; the unit is required in text (a bare 20 could be either), a Python number is seconds."""
    match = _NUMBER.match(text) if isinstance(text, str) else None
    if match and not match.group(2):
        raise CnnCostError(f"malformed latency {text!r}: give a unit (s, ms, us), such as 20ms")
    return _parse(text, TIME_UNITS, "latency", "S")


@dataclass(frozen=True)
class Check:
    """One budget: what it limits, the measured value, the limit, and the text the user gave for it."""

    quantity: str
    value: float | Fraction  # a count, bytes, or seconds (a latency, exact)
    limit: float | Fraction
    given: str

    @property
    def ok(self) -> bool:
        return self.value <= self.limit

    def text(self, amount) -> str:
        """An amount of this budget's quantity: '25,557,032', '125,829,120 bytes', '12.500 ms'."""
        if self.quantity.startswith("latency"):
            return f"{float(amount) * 1e3:,.3f} ms"
        unit = " bytes" if self.quantity.split(" (")[0] in BYTE_QUANTITIES else ""
        return f"{int(amount):,}{unit}"

    def describe(self) -> str:
        """'params 25,557,032 > limit 20,000,000 (20M)'."""
        sign = "<=" if self.ok else ">"
        return f"{self.quantity} {self.text(self.value)} {sign} limit {self.text(self.limit)} ({self.given})"


BYTE_QUANTITIES = ("memory", "activations", "weights", "peak memory", "training memory")


# every limit and how its text is read: counts, bytes or seconds (the configuration's keys are these with dashes)
PARSERS = {
    "max_params": parse_count,
    "max_macs": parse_count,
    "max_flops": parse_count,
    "max_memory": parse_bytes,
    "max_activations": parse_bytes,
    "max_weights": parse_bytes,
    "max_peak_memory": parse_bytes,
    "max_training_memory": parse_bytes,
    "max_latency": parse_seconds,
}


def _peak_bytes(profile) -> int:
    """Activations live at once at the peak of one inference forward pass (input included; weights apart)."""
    from .analysis.memory import inference_memory  # 15 ms to import: only where a budget needs it

    return inference_memory(graph_of(profile), profile).peak_bytes


def _training_bytes(profile, trainer: Optimizer) -> int:
    """Weights, buffers, gradients, the optimizer's state and the activations kept for backward, one step."""
    from .analysis.memory import training_memory

    trained = profile.training_profile or profile  # a forward that runs other layers in training mode: its own
    return training_memory(graph_of(trained), trained).total_bytes(trainer)


def _latency_check(result, profile, max_latency) -> Check:
    """The latency budget against a timed run's median forward, else against the time predicted on the profile's
    target (cnncost.profile(..., target=ID)): a CI budget without the device."""
    latency = getattr(result, "forward_median", None)
    if latency is not None:
        return Check("latency", Fraction(latency), parse_seconds(max_latency), str(max_latency))
    if profile.prediction is not None:
        quantity = f"latency predicted on {profile.prediction.target} ({profile.prediction.trust})"
        return Check(quantity, Fraction(profile.prediction.seconds), parse_seconds(max_latency), str(max_latency))
    raise CnnCostError(
        "a latency budget needs a timed run (cnncost.time_forward(model, input=...)) or a prediction "
        "(cnncost.profile(model, input=..., target='rtx-4090'))"
    )


def check_budget(
    result,
    max_params=None,
    max_macs=None,
    max_flops=None,
    max_memory=None,
    max_latency=None,
    *,
    max_activations=None,
    max_peak_memory=None,
    max_training_memory=None,
    max_weights=None,
    optimizer: str = "adam",
) -> list[Check]:
    """Every given budget checked against a Profile (or a timed result, which has .profile and a latency).

    memory and activations: the sum of every layer's output (the table's total); peak memory: the activations live
    at once in an inference forward pass; weights: parameters and buffers; training memory: one training step with
    the optimizer ('sgd', 'momentum' or 'adam'), as `cnncost table --memory` details it."""
    profile = getattr(result, "profile", result)
    total = profile.total
    trainer = named_optimizer(optimizer) if max_training_memory is not None else None
    # (quantity, limit, value, parser, the layers without a formula that leave the value unknown): a formula gives
    # MACs, FLOPs and what a layer keeps for backward (in the forward a training step runs); parameters and output
    # sizes are torch's whatever the formula
    trained = profile.training_profile or profile
    limits = (
        ("params", max_params, lambda: total.params, parse_count, ()),
        ("MACs", max_macs, lambda: total.macs, parse_count, profile.uncounted),
        ("FLOPs", max_flops, lambda: total.flops, parse_count, profile.uncounted),
        ("memory", max_memory, lambda: total.activation_bytes, parse_bytes, ()),
        ("activations", max_activations, lambda: total.activation_bytes, parse_bytes, ()),
        ("weights", max_weights, lambda: total.param_bytes + total.buffer_bytes, parse_bytes, ()),
        ("peak memory", max_peak_memory, lambda: _peak_bytes(profile), parse_bytes, ()),
        (
            f"training memory ({trainer and trainer.label})",
            max_training_memory,
            lambda: _training_bytes(profile, cast(Optimizer, trainer)),  # only called with a training budget: set
            parse_bytes,
            trained.uncounted,
        ),
    )
    checks = []
    for quantity, given, value, parse, unknown in limits:
        if given is None:
            continue
        check = Check(quantity, value(), parse(given), str(given))
        if check.ok and unknown:  # NB: an op without a formula may hide any cost
            names = ", ".join(cost.name for cost in unknown)
            raise CnnCostError(
                f"the {quantity} budget cannot be checked: {check.describe()} leaves out "
                f"{len(unknown)} layer(s) without a cost formula ({names}); cnncost.register_formula gives one"
            )
        checks.append(check)
    if max_latency is not None:
        checks.append(_latency_check(result, profile, max_latency))
    if not checks:
        raise CnnCostError(
            "no budget given: set at least one of max_params, max_macs, max_flops, max_activations, "
            "max_peak_memory, max_training_memory, max_weights, max_latency"
        )
    return checks


def assert_budget(
    result,
    max_params=None,
    max_macs=None,
    max_flops=None,
    max_memory=None,
    max_latency=None,
    *,
    max_activations=None,
    max_peak_memory=None,
    max_training_memory=None,
    max_weights=None,
    optimizer: str = "adam",
) -> None:
    """Raise BudgetExceeded (an AssertionError) naming every budget the network breaks."""
    broken = [
        c
        for c in check_budget(
            result,
            max_params,
            max_macs,
            max_flops,
            max_memory,
            max_latency,
            max_activations=max_activations,
            max_peak_memory=max_peak_memory,
            max_training_memory=max_training_memory,
            max_weights=max_weights,
            optimizer=optimizer,
        )
        if not c.ok
    ]
    if broken:
        name = getattr(result, "profile", result).name
        raise BudgetExceeded(f"{name} is over budget: " + "; ".join(c.describe() for c in broken))
