"""A reproduction report: its document (rendered for the terminal, Markdown or HTML) and its checks (CSV, JSON),
with the parts all share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..report.document import Block, Document, Heading, Table, Text, table
from ..report.profile_table import layer_table as profile_layer_table
from ..results import Profile
from .checks import (
    CHECK_HEADERS,
    CHECK_NUMERIC,
    RECORD_COLUMNS,
    Check,
    check_row,
    conventions_found,
    explanation,
    record,
    tally,
)
from .verdict import CONVENTION, NO_CONVENTION

COUNTING = (
    "cnncost's counts: memory is each layer's output (fp32, 4 bytes per element; KB = 1024 bytes, MB = "
    "1024 KB); params are weights and biases; MACs are the multiply-accumulates of conv and linear layers, "
    'which is what the lectures\' "flop" and the papers\' "FLOPs" and "multiply-adds" count. A printed '
    "value stands for every exact value that rounds (half up) to it: 73 M stands for [72.5 M, 73.5 M)."
)


@dataclass(frozen=True)
class Report:
    """A named report: the document to print or write as Markdown, and the checks to write as CSV."""

    name: str
    document: Document
    checks: tuple[Check, ...]

    def records(self) -> list[dict]:
        """One plain record per check, for CSV."""
        return [record(self.name, item) for item in self.checks]


def checks_table(checks: Sequence[Check], title: str = "") -> Table:
    """Every check in a table: printed, the interval it stands for, cnncost's value, difference, verdict."""
    return table(
        CHECK_HEADERS,
        [check_row(item) for item in checks],
        CHECK_NUMERIC,
        title=title,
        hide=("stands for", "in the printed unit", "source", "difference", "quantity"),
    )


def verdict_sections(checks: Sequence[Check]) -> list[Block]:
    """The conventions found, then every check that is not exact or rounding, with its arithmetic."""
    blocks: list[Block] = [Heading("Conventions found by computing"), Text(bullets=tuple(conventions_found(checks)))]
    different = [item for item in checks if item.verdict.kind in (CONVENTION, NO_CONVENTION)]
    if different:
        blocks += [
            Heading("Numbers that differ from cnncost's count"),
            Text(bullets=tuple(explanation(item) for item in different)),
        ]
    return blocks


def sources_block(checks: Sequence[Check]) -> Text:
    """The sources of the checks, each once, in order of first use."""
    sources = dict.fromkeys(item.source for item in checks)
    return Text("Sources:", tuple(f"{source.short}: {source.citation}" for source in sources))


def layer_table(profile: Profile, title: str) -> Table:
    """cnncost's per-layer table of a profile (in-place layers folded into the row before), with totals."""
    from dataclasses import replace

    return replace(profile_layer_table(profile, title_text=title), caption="")


def summary(checks: Sequence[Check]) -> Text:
    """The tally of verdicts."""
    return Text(f"{tally(checks)}.")


__all__ = [
    "COUNTING",
    "RECORD_COLUMNS",
    "Report",
    "checks_table",
    "layer_table",
    "sources_block",
    "summary",
    "verdict_sections",
]
