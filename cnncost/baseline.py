"""Baselines: the profiles of a project's configured models as last accepted, and what has grown since.

`cnncost snapshot -o cnncost-baseline.json` writes one; `cnncost check --baseline cnncost-baseline.json` fails when
a total grows by more than its tolerance (0 by default: any growth), naming the layers that changed; a shrink passes
and is reported; `--update` writes the new profiles as the baseline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import units
from .counting import COUNTING_RULES
from .diff import ProfileDiff, diff_profiles, profile_record, settings
from .errors import CnnCostError, close_matches
from .files import parse_document, read_text, write_atomic
from .quantities import BY_TOLERANCE_KEY
from .version import __version__

MAX_TOLERANCE_DIGITS = 30  # a tolerance's magnitude, 1e-30 to 1e30: a bigger exponent would take long to compute
TOTALS = tuple(BY_TOLERANCE_KEY)  # the totals a baseline holds, as a tolerance names them: params, ..., activations


def parse_tolerance(quantity: str, text: Any) -> tuple[str, Fraction, bool]:
    """('macs', 1/100, True) for macs = '1%'; ('params', 1000, False) for params = 1000 (an absolute amount)."""
    if quantity not in BY_TOLERANCE_KEY:
        raise CnnCostError(
            f"no total {quantity!r} to hold to a baseline{close_matches(quantity, TOTALS)}; "
            f"the totals: {', '.join(TOTALS)}"
        )
    value = str(text).strip()
    relative = value.endswith("%")
    try:
        number = Decimal(value.rstrip("%").strip())
        if not number.is_finite() or abs(number.adjusted()) > MAX_TOLERANCE_DIGITS:
            raise CnnCostError(
                f"tolerance of {quantity}: {text!r} is out of range (at most {MAX_TOLERANCE_DIGITS} digits either "
                "side of the point)"
            )
        amount = Fraction(number)
    except (InvalidOperation, ValueError):
        raise CnnCostError(f"tolerance of {quantity}: {text!r} is not a number or a percentage such as 1%") from None
    if amount < 0:
        raise CnnCostError(f"tolerance of {quantity}: {text!r} is below 0")
    return quantity, amount / 100 if relative else amount, relative


@dataclass(frozen=True)
class Growth:
    """One total against its baseline: before, after, and how much it may grow."""

    quantity: str
    before: int
    after: int
    allowed: Fraction

    @property
    def ok(self) -> bool:
        return self.after - self.before <= self.allowed

    def describe(self) -> str:
        """'MACs 97,200 -> 194,400 (2x), grown by more than 0'."""
        quantity = BY_TOLERANCE_KEY[self.quantity]
        label = f"{quantity.tolerance_key} (bytes)" if quantity.bytes else quantity.label
        ratio = f" ({units.ratio(Fraction(self.after, self.before))}x)" if self.before else ""
        verdict = "" if self.ok else f", grown by more than {int(self.allowed):,}"
        return f"{label} {self.before:,} -> {self.after:,}{ratio}{verdict}"


@dataclass(frozen=True)
class BaselineCheck:
    """A model against its baseline: each total's growth and the layers that differ."""

    model: str
    growths: tuple[Growth, ...]
    diff: ProfileDiff

    @property
    def broken(self) -> tuple[Growth, ...]:
        return tuple(growth for growth in self.growths if not growth.ok)

    @property
    def changed(self) -> tuple[Growth, ...]:
        return tuple(growth for growth in self.growths if growth.before != growth.after)


def snapshot_document(profiles: dict[str, Any]) -> dict:
    """The baseline file's content: cnncost's version and conventions, and each model's profile record."""
    return {
        "cnncost": __version__,
        "conventions": COUNTING_RULES,
        "models": {name: profile_record(profile) for name, profile in profiles.items()},
    }


def write_baseline(path: str | Path, profiles: dict[str, Any]) -> None:
    """Write the baseline file atomically (a failed run leaves the old one)."""
    write_atomic(str(path), json.dumps(snapshot_document(profiles), indent=1) + "\n")


def read_baseline(path: str | Path) -> dict[str, dict]:
    """Each model's profile record in a baseline file."""
    if not Path(path).exists():
        raise CnnCostError(
            f"cannot read the baseline {str(path)!r}: no such file (cnncost snapshot -o {path} writes one)"
        )
    data = parse_document(read_text(path, f"the baseline {str(path)!r}"), "JSON", Path(path).name)
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise CnnCostError(f"{Path(path).name}: not a baseline (cnncost snapshot writes one)")
    return {name: profile_record(model, f"{Path(path).name}: models.{name}") for name, model in data["models"].items()}


def against_baseline(
    model: str, before: dict, profile: Any, tolerances: dict[str, tuple[Fraction, bool]]
) -> BaselineCheck:
    """Every total of profile against the baseline record, each with its tolerance (0 where none is given)."""
    after = profile_record(profile)
    if settings(before) != settings(after):
        raise CnnCostError(
            f"{model}: the baseline was taken at {settings(before)}, the model is profiled now at "
            f"{settings(after)}: its figures cannot be compared (--update takes the baseline again)"
        )
    unknown = getattr(profile, "uncounted", ())
    growths = []
    for quantity in TOTALS:
        if BY_TOLERANCE_KEY[quantity].needs_formula and unknown:  # NB: an op without a formula may hide any growth
            names = ", ".join(cost.name for cost in unknown)
            raise CnnCostError(
                f"{model}: its {BY_TOLERANCE_KEY[quantity].label} cannot be held to the baseline: {len(unknown)} "
                f"layer(s) without a cost formula ({names}) may have grown; cnncost.register_formula gives one"
            )
        key = BY_TOLERANCE_KEY[quantity].key
        old, new = int(before["total"].get(key, 0)), int(after["total"].get(key, 0))
        amount, relative = tolerances.get(quantity, (Fraction(0), False))
        growths.append(Growth(quantity, old, new, amount * old if relative else amount))
    return BaselineCheck(model, tuple(growths), diff_profiles(before, after))
