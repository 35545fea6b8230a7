"""Whole-network totals against the published ones, for every registered variant a figure may describe."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..profiler import profile as profile_of
from ..report.document import Document, Heading, Text
from .checks import Check, check_layers, check_value, verdict_text
from .printed import number_text
from .published import NETWORKS, Figure
from .report import COUNTING, Report, checks_table, sources_block, summary, verdict_sections
from .stem import stem_named_layers
from .verdict import CONVENTION, EXACT, NO_CONVENTION, ROUNDING, Candidate

SECTION = "whole networks"


def figure_checks(figure: Figure) -> list[Check]:
    """The figure against each of its variants."""
    found = []
    for variant in figure.variants:
        profile = profile_of(variant)
        item = f"{figure.network} ({variant})"
        if figure.quantity == "param_bytes":
            found.append(storage_check(figure, item, variant, profile.total.param_bytes, profile.total.params))
        else:
            found.append(
                check_layers(SECTION, item, figure.quantity, figure.printed, figure.source, variant, profile.layers)
            )
    return found


def storage_check(figure: Figure, item: str, variant: str, value: int, params: int) -> Check:
    """Weights at 4 bytes each, printed in MB: cnncost's MB is 2^20 bytes; 10^6 bytes is tried as a convention."""
    decimal = Candidate("MB = 10^6 bytes", value, "MB (10^6 bytes)")
    arithmetic = (
        f"{params:,} params × 4 bytes = {value:,} bytes = {number_text(Fraction(value, 2**20), 1)} MB of "
        f'2^20 bytes = {number_text(Fraction(value, 10**6), 1)} MB of 10^6 bytes; "about" read as '
        f"rounded to the hundred"
    )
    return check_value(
        SECTION,
        item,
        figure.quantity,
        figure.printed,
        figure.source,
        variant,
        value,
        [decimal],
        arithmetic,
        "MB = 10^6 bytes",
    )


def by_figure(checks: list[Check]) -> list[list[Check]]:
    """The checks grouped by the figure they judge, one per variant; the first is the network the source describes."""
    groups: dict[tuple, list[Check]] = {}
    for item in checks:
        groups.setdefault((item.item.split(" (")[0], item.quantity, item.printed), []).append(item)
    return list(groups.values())


def reproduces(item: Check) -> bool:
    """Whether cnncost's count or a convention gives the printed value."""
    return item.verdict.kind in (EXACT, ROUNDING, CONVENTION)


def explained_by_variant(checks: list[Check]) -> list[Check]:
    """Where the source's own network reproduces a figure and another variant does not, the variant is the cause."""
    found = []
    for primary, *others in by_figure(checks):
        found.append(primary)
        for item in others:
            if item.verdict.kind == NO_CONVENTION and reproduces(primary):
                gap = Fraction(item.computed) - Fraction(primary.computed)
                cause = (
                    f"The variant explains it: {primary.graph}, the network the source describes, reproduces the "
                    f"figure ({verdict_text(primary.verdict)}); {item.graph} counts {number_text(gap)} more."
                )
                item = replace(
                    item,
                    verdict=replace(
                        item.verdict,
                        kind=CONVENTION,
                        cause=cause,
                        value=primary.computed,
                        convention=f"the source's network is {primary.graph}",
                    ),
                )
            found.append(item)
    return found


def variant_notes(checks: list[Check]) -> list[str]:
    """The storage arithmetic, and where a variant other than the source's own network reproduces a figure."""
    notes = [
        f"{item.item}, {item.printed.shown()}: {item.arithmetic}; the printed value fits MB of "
        f"{'2^20' if item.verdict.kind in (EXACT, ROUNDING) else '10^6'} bytes ({verdict_text(item.verdict)})."
        for item in checks
        if item.quantity == "param_bytes"
    ]
    for primary, *others in by_figure(checks):
        for item in others:
            if reproduces(item) and not reproduces(primary):
                gap = Fraction(item.computed) - Fraction(primary.computed)
                notes.append(
                    f"{primary.item.split(' (')[0]}, {item.printed.shown()}: {primary.graph}, the network "
                    f"the source describes, counts {number_text(primary.computed)} "
                    f"({verdict_text(primary.verdict)}); {item.graph} counts {number_text(item.computed)} "
                    f"({number_text(gap)}), which reproduces the printed value "
                    f"({verdict_text(item.verdict)})."
                )
    gaps = {
        depth: profile_of(f"resnet{depth}").total.macs - profile_of(f"resnet{depth}-paper").total.macs
        for depth in (50, 101, 152)
    }
    same = all(profile_of(f"resnet{d}").total.params == profile_of(f"resnet{d}-paper").total.params for d in gaps)
    notes.append(
        "The ResNet variants differ only in where the stride of each stage's first bottleneck sits: the "
        "paper's first 1x1 conv, torchvision's 3x3 (v1.5). Torchvision's counts more MACs: "
        + ", ".join(f"ResNet-{d} {gap:,}" for d, gap in gaps.items())
        + ("; the parameters are the same." if same else ".")
    )
    return notes


def layer_notes(checks: list[Check]) -> list[str]:
    """Figures reproduced with one layer left out: which layers, and those the stem comparison names too."""
    notes = []
    stem = stem_named_layers()
    for item in checks:
        names = frozenset(item.verdict.left_out)
        if names:
            both = sorted(names & stem)
            also = (
                (
                    f"; among them {' and '.join(both)}, the layers whose omission reproduces the VGG-16 figures of "
                    "the stem comparison (stem.md)"
                )
                if both
                else ""
            )
            notes.append(
                f"{item.item}, {item.printed.shown()}: one layer left out, any of "
                f"{', '.join(sorted(names))}, each costing the same{also}."
            )
    return notes


def report() -> Report:
    """The network summary report."""
    checks = explained_by_variant([found for figure in NETWORKS for found in figure_checks(figure)])
    blocks = [
        Text(
            "Published: the totals that courses and papers quote for the ILSVRC networks. Computed: `cnncost "
            "list`, every registered variant a figure may describe (the paper's network and torchvision's). The "
            'papers\' "FLOPs" and the lectures\' "GFLOP" are multiply-adds, cnncost\'s MACs.'
        ),
        summary(checks),
        Text(COUNTING),
        Heading("Totals"),
        checks_table(checks),
        Text(bullets=tuple(variant_notes(checks) + layer_notes(checks))),
        *verdict_sections(checks),
        sources_block(checks),
    ]
    return Report(
        "networks", Document("Whole networks: published totals against cnncost", tuple(blocks)), tuple(checks)
    )
