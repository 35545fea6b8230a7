"""A report as plain blocks (headings, paragraphs, tables of strings), rendered to Markdown or the terminal.

The Markdown is drawn here, not by tabulate, so that a committed report depends on cnncost alone:
the same numbers give the same bytes whatever the installed packages.
"""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import dataclass
from typing import Sequence, Union


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 is the report's title."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Text:
    """A paragraph, or a bulleted list when bullets is set."""

    text: str = ""
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A table of strings: numeric columns are right-aligned; a footer row (totals) is set apart."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    footer: tuple[str, ...] | None = None
    title: str = ""


Block = Union[Heading, Text, Table]


@dataclass(frozen=True)
class Document:
    """A titled sequence of blocks."""

    title: str
    blocks: tuple[Block, ...]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], *,
          footer: Sequence[str] | None = None, title: str = "") -> Table:
    """A Table from any sequences; every row must have one cell per header."""
    for row in [*rows, *([footer] if footer else [])]:
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells for {len(headers)} columns: {row!r}")
    return Table(tuple(headers), tuple(tuple(row) for row in rows), tuple(numeric),
                 tuple(footer) if footer else None, title)


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown_table(block: Table) -> str:
    """A pipe table, columns padded to their widest cell; the footer is the last row, in bold."""
    body = [[_escape(cell) for cell in row] for row in block.rows]
    if block.footer:
        body.append([f"**{_escape(cell)}**" if cell else "" for cell in block.footer])
    headers = [_escape(header) for header in block.headers]
    widths = [max(3, len(headers[i]), *(len(row[i]) for row in body)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.rjust(w) if right else cell.ljust(w) for cell, w, right in zip(cells, widths, block.numeric))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if right else (":" + "-" * (w + 1))
                          for w, right in zip(widths, block.numeric)) + "|"
    title = [f"**{block.title}**", ""] if block.title else []
    return "\n".join([*title, line(headers), rule, *(line(row) for row in body)])


def to_markdown(document: Document) -> str:
    """The document as Markdown, ending in one newline."""
    parts = [f"# {document.title}"]
    for block in document.blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Text):
            lines = ([block.text] if block.text else []) + [f"- {item}" for item in block.bullets]
            parts.append("\n".join(lines))
        else:
            parts.append(markdown_table(block))
    return "\n\n".join(parts) + "\n"


def to_terminal(document: Document, styled: bool = False, width: int = 110) -> str:
    """The document as box tables and wrapped paragraphs."""
    from .terminal import box_table

    parts = [f"\x1b[1m{document.title}\x1b[0m" if styled else f"{document.title}\n{'=' * len(document.title)}"]
    for block in document.blocks:
        if isinstance(block, Heading):
            parts.append(f"\x1b[1m{block.text}\x1b[0m" if styled else f"{block.text}\n{'-' * len(block.text)}")
        elif isinstance(block, Text):
            lines = textwrap.wrap(block.text, width) if block.text else []
            for item in block.bullets:
                lines += textwrap.wrap(item, width, initial_indent="- ", subsequent_indent="  ")
            parts.append("\n".join(lines))
        else:
            parts.append(box_table(block.headers, block.rows, block.numeric, footer=block.footer, title=block.title,
                                   styled=styled).rstrip("\n"))
    return "\n\n".join(parts) + "\n"


def to_csv(records: Sequence[dict], columns: Sequence[str]) -> str:
    """CSV with a header row, one line per record, '\\n' line ends; values as they are (ints stay exact)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    for record in records:
        writer.writerow(record)
    return out.getvalue()
