"""Verdicts: a printed value against the exact one, and, where they differ, what explains the difference.

exact        the printed value is the exact value;
rounding     the exact value lies in the interval the printed digits stand for;
convention   a value computed under a named convention (biases left out, pooling outputs left out, ...) does;
no convention  none does: the arithmetic is shown, and a likely cause where the numbers point to one
               (digits transposed, a term counted twice, a value truncated instead of rounded, a one-digit slip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .printed import Printed, number_text, rounded_text

EXACT, ROUNDING, CONVENTION, NO_CONVENTION = "exact", "rounding", "convention", "no convention"
KINDS = (EXACT, ROUNDING, CONVENTION, NO_CONVENTION)
NO_CAUSE = "The numbers point to no single cause."


@dataclass(frozen=True)
class Candidate:
    """A value computed under a named convention; unit reads the printed digits in another unit."""

    convention: str
    value: Fraction | int
    unit: str | None = None
    level: int = 1  # how many things differ from cnncost's count
    left_out: tuple[str, ...] = ()  # the layers it leaves out one of (any one of them gives the value)


@dataclass(frozen=True)
class Term:
    """One term of a computed sum (a layer's share), for the check that a term was counted twice."""

    name: str
    value: int


@dataclass(frozen=True)
class Verdict:
    """The kind, the convention that reproduces the printed value (if any), why, and other conventions that also do."""

    kind: str
    convention: str = ""
    why: str = ""
    also: tuple[str, ...] = ()
    value: Fraction | int | None = None  # the value that reproduces the printed one (None: none does)
    left_out: tuple[str, ...] = ()  # the layers the convention leaves out one of
    cause: str = ""  # for no convention: the likely cause, or that the numbers point to none

    @property
    def text(self) -> str:
        """why, then the cause."""
        return f"{self.why} {self.cause}".strip()


def _reading(printed: Printed, candidate: Candidate) -> Printed:
    return printed.in_unit(candidate.unit) if candidate.unit else printed


def _fits(printed: Printed, candidate: Candidate) -> bool:
    return _reading(printed, candidate).contains(candidate.value)


def judge(
    printed: Printed,
    computed,
    candidates: tuple[Candidate, ...] | list[Candidate] = (),
    terms: tuple[Term, ...] | list[Term] = (),
    tried: str = "",
) -> Verdict:
    """The verdict on one printed value against the exact computed one; tried names the conventions searched."""
    if computed == printed.value:
        return Verdict(EXACT, value=computed)
    if printed.contains(computed):
        return Verdict(ROUNDING, why=f"{number_text(computed)} is in {printed.stands_for()}", value=computed)
    fitting = [c for c in candidates if _fits(printed, c)]
    if fitting:
        best = fitting[0]
        reading = _reading(printed, best)
        how = "equals it" if best.value == reading.value else f"is in {reading.stands_for()}"
        return Verdict(
            CONVENTION,
            best.convention,
            f"{best.convention}: {number_text(best.value)} {how}",
            tuple(c.convention for c in fitting[1:] if c.level == best.level),
            best.value,
            best.left_out,
        )
    tried = tried or "; ".join(dict.fromkeys(c.convention for c in candidates)) or "none applies"
    cause = likely_cause(printed, computed, candidates, terms)
    low, high = printed.interval()
    where = (
        f"is not {number_text(printed.value)}"
        if low == high
        else f"is outside {printed.stands_for()} (it rounds to {rounded_text(computed, printed)})"
    )
    return Verdict(NO_CONVENTION, why=f"{number_text(computed)} {where}; conventions tried: {tried}.", cause=cause)


def likely_cause(printed: Printed, computed, candidates=(), terms=()) -> str:
    """The first cause the numbers point to, or a sentence saying they point to none."""
    values = [("the exact value", computed)] + [
        (c.convention, c.value) for c in candidates if not c.unit and c.level == 1
    ]
    for finder in (_counted_twice, _transposed, _truncated, _slip):
        cause = finder(printed, computed, values, terms)
        if cause:
            return cause
    return NO_CAUSE


def _counted_twice(printed: Printed, computed, values, terms) -> str:
    twice = [t for t in terms if t.value and printed.contains(computed + t.value)]
    if not twice or len({t.value for t in twice}) != 1:
        return ""
    names = " or ".join(t.name for t in twice)
    total = computed + twice[0].value
    return (
        f"Most likely a term counted twice: {names} ({number_text(twice[0].value)}); "
        f"{number_text(computed)} + {number_text(twice[0].value)} = {number_text(total)}, "
        f"which rounds to {rounded_text(total, printed)}."
    )


def _digits(text: str) -> str:
    return re.sub(r"[^0-9.]", "", text)


def _transposed(printed: Printed, computed, values, terms) -> str:
    shown = _digits(printed.text)
    for label, value in values:
        expected = _digits(rounded_text(value, printed))
        if len(expected) != len(shown) or expected == shown:
            continue
        differ = [i for i, (a, b) in enumerate(zip(expected, shown, strict=True)) if a != b]
        if (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and expected[differ[0]] == shown[differ[1]]
            and expected[differ[1]] == shown[differ[0]]
        ):
            pair = expected[differ[0] : differ[1] + 1]
            return (
                f"Most likely transposed digits: {_named(value, label, printed)} printed as {printed.text}, "
                f"'{pair}' as '{pair[::-1]}'."
            )
    return ""


def _truncated(printed: Printed, computed, values, terms) -> str:
    step = printed.rounding_step * printed.scale
    if not step or printed.kind != "number":
        return ""
    for label, value in values[:1]:  # the exact value alone: a convention and a truncation would be two moves
        if Fraction(value) > printed.value and (Fraction(value) / step).__floor__() * step == printed.value:
            return (
                f"Most likely truncated, not rounded: {label} {number_text(value)} = "
                f"{number_text(Fraction(value) / printed.scale, printed.decimals + 2)} {printed.unit}".rstrip()
                + f" rounds to {rounded_text(value, printed)} but truncates to {printed.text}."
            )
    return ""


def _slip(printed: Printed, computed, values, terms) -> str:
    shown = _digits(printed.text)
    for label, value in values:
        expected = _digits(rounded_text(value, printed))
        differ = [i for i, (a, b) in enumerate(zip(expected, shown, strict=False)) if a != b]
        if (
            len(expected) == len(shown) >= 2
            and len(differ) == 1
            and expected[differ[0]] != "."
            and abs(int(expected[differ[0]]) - int(shown[differ[0]])) >= 2
        ):
            return (
                f"Possibly a one-digit slip: {_named(value, label, printed)}, and the printed {printed.text} "
                "differs from it in one digit."
            )
    return ""


def _named(value, label: str, printed: Printed) -> str:
    """'481 (pooling FLOPs added: 480,836,608)', or '37,752,832 (the exact value)' when rounding changes nothing."""
    shown = rounded_text(value, printed)
    return f"{shown} ({label})" if shown == number_text(value) else f"{shown} ({label}: {number_text(value)})"
