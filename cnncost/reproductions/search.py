"""The counting conventions a published figure may follow, each computed from a profile's layers.

A total is a quantity summed over some layers. The default is cnncost's (every layer, MB = 2^20 bytes);
a convention changes one thing: a quantity measured differently (biases left out, pooling FLOPs added to the
multiply-adds, 1 MAC counted as 2 FLOPs), a group of layers left out (pooling outputs, normalization, the FC
layers, projection shortcuts), or a unit (MB = 10^6 bytes). The search tries every single change, then every
pair, and only then one layer left out. A layer left out counts as the explanation only when every layer whose
removal fits costs the same (the figure names one term, not one of many) and the figure is precise to 1% or
better; a coarser figure may name a layer only if a precise figure of the same table names it too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from ..results import LayerCost
from .printed import Printed, number_text
from .verdict import Candidate, Term

POOLING_LAYERS = ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "global_avg_pool2d")
NORMS = ("batch_norm2d", "local_response_norm")


def bias_count(cost: LayerCost) -> int:
    """The biases among a layer's parameters: one per output channel or feature of a conv or linear with bias."""
    attrs = cost.attributes
    if cost.op in ("conv2d", "linear") and attrs.get("bias", True):
        return attrs.get("out_channels", attrs.get("out_features", 0))
    return 0


@dataclass(frozen=True)
class Measure:
    """How each layer contributes to a total; name is empty for cnncost's own count."""

    name: str
    of: Callable[[LayerCost], int]


@dataclass(frozen=True)
class Group:
    """A set of layers a convention may leave out."""

    name: str
    member: Callable[[LayerCost], bool]


@dataclass(frozen=True)
class Search:
    """What to try for one quantity: measures, groups left out, and units the printed digits may be in."""

    measures: tuple[Measure, ...]
    groups: tuple[Group, ...] = ()
    decimal_units: bool = False  # also read a printed KB or MB as 10^3 or 10^6 bytes


DECIMAL = {"KB": ("kB (10^3 bytes)", "KB = 1000 bytes"), "MB": ("MB (10^6 bytes)", "MB = 10^6 bytes")}


def _pool_flops(cost: LayerCost) -> int:
    return cost.flops if cost.op in POOLING_LAYERS else 0


PRECISE = Fraction(1, 100)  # a figure whose rounding step is at most 1% of it can single out a layer

FC = Group("the FC layers left out", lambda c: c.op == "linear")
SHORTCUTS = Group(
    "projection shortcuts left out (identity shortcuts only, option A)", lambda c: ".downsample." in c.name
)

SEARCHES = {
    "memory": Search(
        (Measure("", lambda c: c.activation_bytes),),
        (
            Group("pooling outputs left out", lambda c: c.op in POOLING_LAYERS),
            Group("normalization outputs left out (batch norm, local response norm)", lambda c: c.op in NORMS),
        ),
        decimal_units=True,
    ),
    "flops": Search((Measure("", lambda c: c.flops),)),
    "params": Search(
        (Measure("", lambda c: c.params), Measure("biases left out", lambda c: c.params - bias_count(c))),
        (Group("batch-norm parameters left out", lambda c: c.op in NORMS), FC, SHORTCUTS),
    ),
    "macs": Search(
        (
            Measure("", lambda c: c.macs),
            Measure("pooling FLOPs added to the multiply-adds", lambda c: c.macs + _pool_flops(c)),
            Measure("1 MAC counted as 2 FLOPs", lambda c: 2 * c.macs),
        ),
        (FC, SHORTCUTS),
    ),
}


@dataclass(frozen=True)
class Count:
    """One way of counting: its measure, the groups it leaves out, its unit; the layers it sums over."""

    measure: Measure
    groups: tuple[Group, ...]
    unit: tuple[str, str] | None
    layers: tuple[LayerCost, ...]

    @property
    def level(self) -> int:
        """How many things differ from cnncost's count."""
        return bool(self.measure.name) + len(self.groups) + (self.unit is not None)

    @property
    def name(self) -> str:
        """The changes in words: 'pooling outputs left out; MB = 10^6 bytes'."""
        parts = [self.measure.name] + [group.name for group in self.groups] + ([self.unit[1]] if self.unit else [])
        return "; ".join(part for part in parts if part)

    @property
    def value(self) -> int:
        """The total under this count."""
        return sum(self.measure.of(cost) for cost in self.layers)

    def candidate(self, name: str | None = None, value=None, left_out: tuple[str, ...] = ()) -> Candidate:
        """This count as a Candidate; with left_out, the same count less one of those layers."""
        return Candidate(
            name or self.name,
            self.value if value is None else value,
            self.unit[0] if self.unit else None,
            self.level + bool(left_out),
            left_out,
        )


def _units(search: Search, printed_unit: str) -> tuple[tuple[str, str], ...]:
    """The decimal reading of a printed KB or MB, if the quantity is memory."""
    return (DECIMAL[printed_unit],) if search.decimal_units and printed_unit in DECIMAL else ()


def counts(
    layers: Sequence[LayerCost], quantity: str, max_level: int = 2, whole: bool = True, printed_unit: str = ""
) -> list[Count]:
    """Every way of counting quantity over layers that differs from cnncost's in 1..max_level things, by level.

    whole is False for one layer's cell: then no group of layers is left out.
    """
    search = SEARCHES[quantity]
    present = [g for g in search.groups if whole and any(g.member(c) for c in layers)]
    plain = default_count(layers, quantity).value
    found: list[Count] = []
    for measure in search.measures:
        for k in range(len(present) + 1):
            for groups in combinations(present, k):
                kept = tuple(c for c in layers if not any(g.member(c) for g in groups))
                for unit in (None, *_units(search, printed_unit)):
                    count = Count(measure, groups, unit, kept)
                    changes = unit is not None or count.value != plain
                    if 1 <= count.level <= max_level and changes:
                        found.append(count)
    found.sort(key=lambda count: count.level)
    return found


def default_count(layers: Sequence[LayerCost], quantity: str) -> Count:
    """cnncost's own count of quantity over layers."""
    return Count(SEARCHES[quantity].measures[0], (), None, tuple(layers))


def terms(layers: Sequence[LayerCost], quantity: str) -> list[Term]:
    """Each layer's share of cnncost's count, for the check that a term was counted twice."""
    measure = SEARCHES[quantity].measures[0]
    return [Term(c.name, measure.of(c)) for c in layers if measure.of(c)]


def candidates(
    layers: Sequence[LayerCost],
    quantity: str,
    printed: Printed,
    whole: bool = True,
    named_elsewhere: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Named conventions in order of level; then, if none fits, one layer left out (from a count of level 0 or 1).

    whole is False for one layer's cell (no layer is left out of it); named_elsewhere holds the layers that a
    precise figure of the same table leaves out, which a coarse figure may then name too.
    """
    named = [count.candidate() for count in counts(layers, quantity, whole=whole, printed_unit=printed.unit)]
    if any((printed.in_unit(c.unit) if c.unit else printed).contains(c.value) for c in named) or not whole:
        return named
    bases = [default_count(layers, quantity)] + counts(layers, quantity, 1, printed_unit=printed.unit)
    return named + [found for base in bases for found in [one_left_out(base, printed, named_elsewhere)] if found]


def tried(layers: Sequence[LayerCost], quantity: str, whole: bool = True, printed_unit: str = "") -> str:
    """The conventions the search tries for quantity, in words."""
    plain = [count.name for count in counts(layers, quantity, 1, whole, printed_unit)]
    kept = list(dict.fromkeys(plain))
    text = ", ".join(kept) or "none applies"
    return f"{text}, alone and in pairs, and one layer left out" if whole and kept else text


def one_left_out(count: Count, printed: Printed, named_elsewhere: frozenset[str] = frozenset()) -> Candidate | None:
    """The count with one layer left out, if the layers whose removal fits all cost the same and the figure is
    precise enough to tell (or a precise figure of the same table names the same layers)."""
    reading = printed.in_unit(count.unit[0]) if count.unit else printed
    total = count.value
    fits = [c for c in count.layers if count.measure.of(c) and reading.contains(total - count.measure.of(c))]
    shares = {count.measure.of(c) for c in fits}
    low, high = reading.interval()
    if len(shares) != 1 or (high - low > PRECISE * reading.value and not {c.name for c in fits} & named_elsewhere):
        return None
    share = shares.pop()
    names = ", ".join(c.name for c in fits[:-1]) + (" or " if len(fits) > 1 else "") + fits[-1].name
    label = "; ".join(
        part
        for part in (
            count.name,
            f"one layer left out: {names} ({number_text(share)} each)"
            if len(fits) > 1
            else f"one layer left out: {names} ({number_text(share)})",
        )
        if part
    )
    return count.candidate(label, total - share, tuple(c.name for c in fits))
