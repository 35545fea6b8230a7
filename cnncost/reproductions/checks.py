"""A check: one published number beside cnncost's exact value, with its verdict; and how checks are tabulated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..results import LayerCost
from ..units import fixed
from .printed import Printed, number_text
from .published import Publication
from .search import candidates, default_count, terms, tried
from .verdict import EXACT, KINDS, NO_CONVENTION, ROUNDING, Candidate, Verdict, judge

QUANTITY_NAMES = {
    "memory": "memory",
    "params": "params",
    "macs": "MACs",
    "flops": "FLOPs",
    "channels": "output channels",
    "size": "output size",
    "param_bytes": "storage",
    "ratio": "ratio",
    "saving": "saving",
    "extra": "extra",
    "field": "receptive field",
}
MARKS = {EXACT: "=", ROUNDING: "≈", "convention": "†", NO_CONVENTION: "✗"}
LEGEND = (
    "= exact; ≈ equal within the printed rounding; † reproduced under another convention (named in the "
    "list of cells); ✗ no convention reproduces it."
)


@dataclass(frozen=True)
class Check:
    """A published number, what cnncost computes for it, and the verdict."""

    section: str
    item: str
    quantity: str
    printed: Printed
    source: Publication
    graph: str
    computed: int | Fraction
    verdict: Verdict
    arithmetic: str = ""

    @property
    def difference(self) -> Fraction:
        """computed - printed, in base units."""
        return Fraction(self.computed) - self.printed.value


def check_layers(
    section: str,
    item: str,
    quantity: str,
    printed: Printed,
    source: Publication,
    graph: str,
    layers: Sequence[LayerCost],
    *,
    whole: bool = True,
    arithmetic: str = "",
    named_elsewhere: frozenset[str] = frozenset(),
) -> Check:
    """Judge printed against cnncost's count of quantity over layers, searching the conventions."""
    computed = default_count(layers, quantity).value
    verdict = judge(
        printed,
        computed,
        candidates(layers, quantity, printed, whole, named_elsewhere),
        terms(layers, quantity) if whole else (),
        tried(layers, quantity, whole, printed.unit),
    )
    return Check(section, item, quantity, printed, source, graph, computed, verdict, arithmetic)


def check_value(
    section: str,
    item: str,
    quantity: str,
    printed: Printed,
    source: Publication,
    graph: str,
    computed,
    candidates: Sequence[Candidate] = (),
    arithmetic: str = "",
    tried_text: str = "",
) -> Check:
    """Judge printed against a computed value and the given candidates."""
    verdict = judge(printed, computed, tuple(candidates), (), tried_text)
    return Check(section, item, quantity, printed, source, graph, computed, verdict, arithmetic)


def in_unit(value, printed: Printed) -> str:
    """value in the printed unit, two more decimals than printed: '149.52 M'."""
    unit = printed.unit if printed.unit not in ("", "x") else ""
    text = number_text(Fraction(value) / printed.scale, printed.decimals + 2)
    return f"{text} {unit}".rstrip() if unit != "%" else f"{text}%"


def difference_text(item: Check) -> str:
    """'+4,520,384 (+3.1%)' in whole bytes or counts, '-256 (-<0.1%)'; for a percentage its points ('-0.08 points'),
    for a ratio the difference of the ratios ('+1.17'); or '0'."""
    diff = item.difference
    if diff == 0:
        return "0"
    sign = "+" if diff > 0 else "-"
    if item.printed.unit in ("%", "x"):
        unit = " points" if item.printed.unit == "%" else ""
        return f"{sign}{fixed(float(abs(diff) / item.printed.scale), 2)}{unit}"
    relative = f" ({sign}{fixed(float(100 * abs(diff) / abs(item.printed.value)))}%)" if item.printed.value else ""
    whole = round(abs(diff))
    return f"{sign}{whole:,}{relative}" if whole else f"{sign}<1{relative}"


def verdict_text(verdict: Verdict) -> str:
    """'convention: biases left out', 'rounding', ..."""
    return f"{verdict.kind}: {verdict.convention}" if verdict.convention else verdict.kind


CHECK_HEADERS = (
    "item",
    "quantity",
    "source",
    "printed",
    "stands for",
    "cnncost",
    "in the printed unit",
    "difference",
    "verdict",
)
CHECK_NUMERIC = (False, False, False, False, False, True, True, True, False)  # printed: words and digits, as printed


def check_row(item: Check) -> list[str]:
    """The cells of one check in a report table."""
    return [
        item.item,
        QUANTITY_NAMES.get(item.quantity, item.quantity),
        item.source.short,
        item.printed.shown(),
        item.printed.stands_for(),
        number_text(item.computed, 4),
        in_unit(item.computed, item.printed),
        difference_text(item),
        verdict_text(item.verdict),
    ]


def explanation(item: Check) -> str:
    """A bullet: the check, its arithmetic and why the verdict."""
    head = (
        f"**{item.item}, {QUANTITY_NAMES.get(item.quantity, item.quantity)}** ({item.source.short}): printed "
        f"{item.printed.shown()}, cnncost {number_text(item.computed, 4)}"
    )
    parts = [head] + ([f"arithmetic: {item.arithmetic}"] if item.arithmetic else []) + [item.verdict.text]
    also = f" Also reproduced by: {'; '.join(item.verdict.also)}." if item.verdict.also else ""
    return ". ".join(part.rstrip(".") for part in parts) + "." + also


def tally(checks: Sequence[Check]) -> str:
    """'52 published numbers: 40 exact, 6 rounding, 3 convention, 3 no convention'."""
    counts = Counter(item.verdict.kind for item in checks)
    parts = [f"{counts[kind]} {kind}" for kind in KINDS if counts[kind]]
    return f"{len(checks)} published numbers: {', '.join(parts)}"


RECORD_COLUMNS = (
    "report",
    "section",
    "item",
    "quantity",
    "source",
    "printed",
    "unit",
    "printed_value",
    "low",
    "high",
    "graph",
    "computed",
    "difference",
    "verdict",
    "convention",
    "why",
)


def record(report: str, item: Check) -> dict:
    """Plain data for CSV: exact values in base units (bytes, counts), fractions to 6 decimals, no separators."""
    low, high = item.printed.interval()

    def plain(value) -> str:
        return number_text(value).replace(",", "")

    return {
        "report": report,
        "section": item.section,
        "item": item.item,
        "quantity": item.quantity,
        "source": item.source.citation,
        "printed": item.printed.shown(),
        "unit": item.printed.unit,
        "printed_value": plain(item.printed.value),
        "low": plain(low),
        "high": plain(high),
        "graph": item.graph,
        "computed": plain(item.computed),
        "difference": plain(item.difference),
        "verdict": item.verdict.kind,
        "convention": item.verdict.convention,
        "why": item.verdict.text,
    }


def layer_arithmetic(cost: LayerCost, quantity: str, bytes_per_element: int = 4) -> str:
    """How one conv, linear or pooling layer's count comes about, as the lectures write it."""
    attrs, out = cost.attributes, cost.output_shape
    if quantity == "memory":
        dims = "·".join(str(d) for d in out.dims)
        return (
            f"{dims} × {bytes_per_element} bytes = {cost.activation_bytes:,} bytes = "
            f"{number_text(Fraction(cost.activation_bytes, 1024), 2)} KB"
        )
    if cost.op == "conv2d":
        c_in = cost.input_shape.channels // attrs.get("groups", 1)
        k = attrs["kernel_size"]
        window = f"{c_in}·{k}·{k}" if isinstance(k, int) else f"{c_in}·{k[0]}·{k[1]}"
        if quantity == "macs":
            return f"{out.channels}·{out.dims[1]}·{out.dims[2]} × {window} = {cost.macs:,}"
        if quantity == "params":
            bias = f" + {out.channels}" if attrs.get("bias", True) else ""
            return f"{out.channels} × {window}{bias} = {cost.params:,}"
    if cost.op == "linear":
        n_in = cost.input_shape.numel
        if quantity == "macs":
            return f"{n_in} × {out.numel} = {cost.macs:,}"
        if quantity == "params":
            bias = f" + {out.numel}" if attrs.get("bias", True) else ""
            return f"{n_in} × {out.numel}{bias} = {cost.params:,}"
    if quantity == "flops" and cost.op == "max_pool2d":
        k = attrs["kernel_size"]
        return f"{'·'.join(str(d) for d in out.dims)} × {k}·{k} = {cost.flops:,}"
    return ""


def conventions_found(checks: Sequence[Check]) -> list[str]:
    """Bullets: per section and quantity, which items reproduce as cnncost counts, under which convention, and under
    none."""
    bullets = []
    sections = list(dict.fromkeys(item.section for item in checks))
    for section in sections:
        prefix = f"{section}, " if len(sections) > 1 else ""
        in_section = [item for item in checks if item.section == section]
        for quantity in dict.fromkeys(item.quantity for item in in_section):
            group = [item for item in in_section if item.quantity == quantity]
            name = prefix + QUANTITY_NAMES.get(quantity, quantity)
            plain = list(dict.fromkeys(item.item for item in group if item.verdict.kind in (EXACT, ROUNDING)))
            if plain:
                bullets.append(
                    f"{name}, as cnncost counts it (exact or within the printed rounding): {'; '.join(plain)}"
                )
            by_convention: dict[str, list[str]] = {}
            for item in group:
                if item.verdict.convention:
                    by_convention.setdefault(item.verdict.convention, []).append(item.item)
            bullets += [f"{name}, {convention}: {'; '.join(items)}" for convention, items in by_convention.items()]
            unexplained = [item.item for item in group if item.verdict.kind == NO_CONVENTION]
            if unexplained:
                bullets.append(f"{name}, reproduced by no convention: {'; '.join(unexplained)}")
    return bullets
