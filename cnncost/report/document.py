"""A report as plain blocks (headings, paragraphs, facts, tables of strings, bar charts), and the Screen a terminal
document is fitted to; render.py renders it, with one renderer per format (terminal.py, markdown.py, html.py).

Every command builds a Document; analyses add columns or blocks to it, never a second way to print.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 is the report's title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    """A paragraph, or a bulleted list when bullets is set; brief, where set, is what a terminal prints of it (the
    whole text goes to Markdown and HTML)."""

    text: str = ""
    bullets: tuple[str, ...] = ()
    brief: str = ""


@dataclass(frozen=True)
class Facts:
    """Labelled values, one per line: the totals under a table."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table of strings: numeric columns are right-aligned; a footer row (totals) is set apart.

    hide_order: column indices, the first hidden first, when the table is wider than the terminal;
    marked: (row, column) cells to emphasise on a terminal (the heaviest layers).
    """

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    footer: tuple[str, ...] | None = None
    title: str = ""
    caption: str = ""
    hide_order: tuple[int, ...] = ()
    marked: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Chart:
    """Horizontal bars, one group per label, one bar per series (name, values); drawn in HTML only, where the
    terminal and Markdown have the same numbers in the table."""

    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]


Block = Heading | Text | Facts | Table | Chart


@dataclass(frozen=True)
class Document:
    """A titled sequence of blocks."""

    title: str
    blocks: tuple[Block, ...]


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[bool],
    *,
    footer: Sequence[str] | None = None,
    title: str = "",
    caption: str = "",
    hide: Sequence[str] = (),
    marked: frozenset[tuple[int, int]] = frozenset(),
) -> Table:
    """A Table from any sequences; every row must have one cell per header; hide names the columns that may be
    hidden on a narrow terminal, the first hidden first."""
    for row in [*rows, *([footer] if footer else [])]:
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells for {len(headers)} columns: {row!r}")
    headers = tuple(headers)
    order = tuple(headers.index(name) for name in hide if name in headers)
    return Table(
        headers,
        tuple(tuple(row) for row in rows),
        tuple(numeric),
        tuple(footer) if footer else None,
        title,
        caption,
        order,
        marked,
    )


@dataclass(frozen=True)
class Screen:
    """Where a terminal document goes: width None prints every column at full width (a pipe or a file);
    a width fits the table to it by hiding columns; color styles headers, marked and zero cells."""

    width: int | None = None
    height: int | None = None
    color: bool = False

    @classmethod
    def of(cls, stream, wide: bool = False) -> Screen:
        """The terminal behind stream, or a full-width plain Screen when stream is not a terminal."""
        if not (hasattr(stream, "isatty") and stream.isatty()):
            return cls()
        size = shutil.get_terminal_size()
        return cls(None if wide else size.columns, size.lines, "NO_COLOR" not in os.environ)

    @property
    def is_terminal(self) -> bool:
        return self.height is not None
