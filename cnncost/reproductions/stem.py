"""GoogLeNet's stem against VGG-16 over the same downsampling, 224x224 -> 28x28 (EECS 498-007 lecture 8)."""

from __future__ import annotations

from fractions import Fraction

from ..cuts import Operand, Side
from ..profiler import side
from ..report.comparison import summary_table
from ..report.document import Document, Heading, Text
from .checks import QUANTITY_NAMES, Check, check_layers, check_value, in_unit
from .printed import number_text
from .published import LECTURE8, STEM_RATIOS, STEM_TOTALS
from .report import COUNTING, Report, checks_table, layer_table, sources_block, summary, verdict_sections
from .verdict import CONVENTION, Candidate

UNTIL = (28, 28)
TOTALS, RATIOS, VARIANTS = "totals", "ratios, VGG-16 over the stem", "the registered networks, cut at 28x28"
NAMES = {"googlenet-stem": "GoogLeNet stem", "vgg16": "VGG-16"}


def total_checks(
    sides: dict[str, Side],
    section: str = TOTALS,
    named: frozenset[str] = frozenset(),
    names: dict[str, str] | None = None,
) -> list[Check]:
    """Each printed total against the cut it describes; coarse figures may name the layers precise ones name."""
    found = []
    for key, quantity, printed in STEM_TOTALS:
        if key not in sides:
            continue
        cut = sides[key]
        item = (names or NAMES).get(key, key)
        found.append(
            check_layers(
                section,
                item,
                quantity,
                printed,
                LECTURE8,
                f"{cut.name} {cut.span}",
                cut.profile.layers,
                named_elsewhere=named,
            )
        )
    return found


def named_layers(checks: list[Check]) -> frozenset[str]:
    """The layers that every figure naming a left-out layer names (their intersection)."""
    sets = [frozenset(item.verdict.left_out) for item in checks]
    sets = [found for found in sets if found]
    return frozenset.intersection(*sets) if sets else frozenset()


def ratio_checks(totals: list[Check]) -> list[Check]:
    """The printed ratios against cnncost's, against the ratio of the values that reproduce the printed totals,
    and against the ratio of the printed totals themselves."""
    found = []
    by = {(item.item, item.quantity): item for item in totals}
    for quantity, printed in STEM_RATIOS:
        stem, vgg = by[(NAMES["googlenet-stem"], quantity)], by[(NAMES["vgg16"], quantity)]
        computed = Fraction(vgg.computed, stem.computed)
        candidates = []
        if stem.verdict.value is not None and vgg.verdict.value is not None:
            candidates.append(
                _ratio_candidate(
                    "the ratio of the values that reproduce the two printed totals",
                    vgg.verdict.value,
                    stem.verdict.value,
                )
            )
        candidates.append(
            _ratio_candidate("the ratio of the printed (rounded) totals", vgg.printed.value, stem.printed.value)
        )
        arithmetic = (
            f"{in_unit(vgg.computed, vgg.printed)} / {in_unit(stem.computed, stem.printed)} = "
            f"{number_text(computed, 3)}"
        )
        tried = "; ".join(c.convention for c in candidates)
        found.append(
            check_value(
                RATIOS,
                "VGG-16 / GoogLeNet stem",
                quantity,
                printed,
                LECTURE8,
                "vgg16 / googlenet-stem",
                computed,
                candidates,
                arithmetic,
                tried,
            )
        )
    return found


def _ratio_candidate(name: str, top, bottom):
    """top / bottom as a Candidate named with both values."""
    return Candidate(f"{name} ({number_text(top, 3)} / {number_text(bottom, 3)})", Fraction(top) / Fraction(bottom))


def megabytes(checks: list[Check]) -> list[str]:
    """For each memory total that a count reproduces: its bytes in both kinds of MB, and which one the print fits."""
    lines = []
    for item in checks:
        if item.quantity != "memory" or item.verdict.value is None:
            continue
        value = item.verdict.value
        binary, decimal = item.printed.contains(value), item.printed.in_unit("MB (10^6 bytes)").contains(value)
        fits = {
            (True, False): "MB of 2^20 bytes only",
            (False, True): "MB of 10^6 bytes only",
            (True, True): "either kind of MB",
        }.get((binary, decimal), "neither kind of MB")
        lines.append(
            f"{item.item} memory: {number_text(value)} bytes = {number_text(Fraction(value, 2**20), 3)} MB of "
            f"2^20 bytes = {number_text(Fraction(value, 10**6), 3)} MB of 10^6 bytes; the printed "
            f"{item.printed.text} MB fits {fits}."
        )
    return lines


def findings(totals: list[Check], named: frozenset[str], vgg13: Side) -> list[str]:
    """What the computed conventions say, in sentences."""
    lines = megabytes(totals)
    memory = {item.item: item for item in totals if item.quantity == "memory"}
    stem, vgg = memory.get(NAMES["googlenet-stem"]), memory.get(NAMES["vgg16"])
    if (
        stem
        and vgg
        and stem.verdict.kind in ("exact", "rounding")
        and "pooling outputs left out" in vgg.verdict.convention
    ):
        lines.append(
            "The two memory totals are counted differently: the stem's includes its pooling outputs, "
            "VGG-16's leaves them out."
        )
    if named:
        lines.append(
            f"Every VGG-16 figure that needs a layer left out is reproduced with {' or '.join(sorted(named))} "
            "left out (each alone suffices; they cost the same)."
        )
    vgg_by_convention = [item for item in totals if item.item == NAMES["vgg16"] and item.verdict.kind == CONVENTION]
    by_quantity = {item.quantity: item for item in vgg_by_convention}
    without_pools = sum(c.activation_bytes for c in vgg13.profile.layers if not c.op.endswith("pool2d"))
    values = {"memory": without_pools, "params": vgg13.profile.total.params, "macs": vgg13.profile.total.macs}
    same = [q for q in by_quantity if by_quantity[q].verdict.value == values[q]]
    if same and len(same) == len(by_quantity):
        lines.append(
            "These are exactly VGG-13's values over the same layers (conv1_1 to pool3, two convs in the "
            "third stage where VGG-16 has three): "
            + "; ".join(f"{QUANTITY_NAMES[q]} {number_text(values[q])}" for q in same)
            + " (memory without the pooling outputs)."
        )
    return lines


def variant_checks(others: dict[str, Side]) -> list[Check]:
    """The stem's figures against the registered GoogLeNets, VGG-16's against VGG-13, each cut at 28x28."""
    found = []
    for network, stands_in, label in (
        ("googlenet-paper", "googlenet-stem", "googlenet-paper"),
        ("googlenet", "googlenet-stem", "googlenet (torchvision)"),
        ("vgg13", "vgg16", "vgg13"),
    ):
        cut = others[network]
        found += total_checks({stands_in: cut}, VARIANTS, names={stands_in: f"{label}, {cut.span}"})
    return found


def stem_named_layers() -> frozenset[str]:
    """The VGG-16 layers whose omission reproduces the lecture's VGG-16 figures to 28x28."""
    cuts = {name: side(Operand(name), until=UNTIL) for name in ("googlenet-stem", "vgg16")}
    return named_layers(total_checks(cuts))


def report() -> Report:
    """The stem report."""
    cuts = {name: side(Operand(name), until=UNTIL) for name in ("googlenet-stem", "vgg16")}
    named = named_layers(total_checks(cuts))
    totals = total_checks(cuts, named=named)
    ratios = ratio_checks(totals)
    others = {name: side(Operand(name), until=UNTIL) for name in ("googlenet-paper", "googlenet", "vgg13")}
    variants = variant_checks(others)
    checks = totals + ratios + variants
    sides = [cuts["googlenet-stem"], cuts["vgg16"], others["googlenet-paper"], others["googlenet"], others["vgg13"]]
    blocks = [
        Text(
            "Published: EECS 498-007 lecture 8 compares GoogLeNet's stem (conv 64 7x7/2, max pool 3x3/2, conv 64 "
            "1x1, conv 192 3x3, max pool 3x3/2) with VGG-16 over the same downsampling, 224x224 to 28x28: memory, "
            "params and MFLOP (multiply-adds) of each, and their ratios. Computed: `cnncost compare googlenet-stem "
            "vgg16 --until 28x28` (the stem as a block, as the lecture tabulates it: biased convs, no local "
            "response norm), and the same cut of the registered googlenet-paper, googlenet (torchvision) and vgg13."
        ),
        summary(checks),
        Text(COUNTING),
        Heading("Side by side"),
        summary_table(sides),
        Text(
            "Each x column divides a total by the first row's (the stem's). Every cut ends at the first layer whose "
            "output is 28x28 or smaller."
        ),
        Heading("The published totals and ratios"),
        checks_table(totals + ratios),
        Heading("The same figures against the registered networks"),
        checks_table(variants),
        *verdict_sections(checks),
        Heading("What the conventions say"),
        Text(bullets=tuple(findings(totals, named, others["vgg13"]))),
        Heading("Per layer"),
        layer_table(cuts["googlenet-stem"].profile, "googlenet-stem: 3x224x224 -> 192x28x28"),
        layer_table(cuts["vgg16"].profile, "vgg16, conv1_1..pool3: 3x224x224 -> 256x28x28"),
        sources_block(checks),
    ]
    return Report("stem", Document("GoogLeNet's stem against VGG-16, 224x224 -> 28x28", tuple(blocks)), tuple(checks))
