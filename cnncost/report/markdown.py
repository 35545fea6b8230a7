"""Markdown of a Document: pipe tables drawn here, not by tabulate, so that a committed report depends on cnncost
alone: the same numbers give the same bytes whatever the installed packages."""

from __future__ import annotations

from collections.abc import Sequence

from .document import Chart, Document, Facts, Heading, Table, Text


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown_table(block: Table) -> str:
    """A pipe table, columns padded to their widest cell; the footer is the last row, in bold; then the caption."""
    body = [[_escape(cell) for cell in row] for row in block.rows]
    if block.footer:
        body.append([f"**{_escape(cell)}**" if cell else "" for cell in block.footer])
    headers = [_escape(header) for header in block.headers]
    widths = [max(3, len(headers[i]), *(len(row[i]) for row in body)) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, right in zip(cells, widths, block.numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if right else (":" + "-" * (w + 1))
            for w, right in zip(widths, block.numeric, strict=True)
        )
        + "|"
    )
    title = [f"**{block.title}**", ""] if block.title else []
    caption = ["", block.caption] if block.caption else []
    return "\n".join([*title, line(headers), rule, *(line(row) for row in body), *caption])


def _block(block) -> str:
    if isinstance(block, Heading):
        return f"{'#' * block.level} {block.text}"
    if isinstance(block, Text):
        return "\n".join(([block.text] if block.text else []) + [f"- {item}" for item in block.bullets])
    if isinstance(block, Facts):
        return "\n".join(f"- {label}: {value}" for label, value in block.items)
    return markdown_table(block)


def to_markdown(document: Document) -> str:
    """The document as Markdown, ending in one newline; charts are left to HTML (the table has their numbers)."""
    parts = [f"# {document.title}", *(_block(block) for block in document.blocks if not isinstance(block, Chart))]
    return "\n\n".join(parts) + "\n"
