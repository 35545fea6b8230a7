"""A Document on the terminal: rich tables fitted to the terminal's width, or plain box tables at full width for a
pipe or a file.

NB: the full-width view is drawn here rather than with rich: rich drew ResNet-152's every row (364 x 14 cells) in
0.45 s, against 0.3 s for the whole `cnncost table` process (benchmarks/README.md), and a pipe wants every column
anyway. For the same reason a terminal table of more than RICH_CELLS cells is drawn plain too, fitted to the width.
The box characters are rich's HEAVY_HEAD, so both views look alike.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence

from .document import Document, Facts, Heading, Screen, Table, Text

TRAILING_SPACE = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)  # rich pads lines to the width
MARKED_STYLE = "bold magenta"  # the heaviest cells
PLAIN_WRAP = 60  # a pipe's table captions wrap at the table's width, or this many characters
PARAGRAPH_WIDTH = 110  # a pipe's paragraphs wrap here
TEXT_WIDTH = 16  # on a terminal, a text column (not the first) may wrap down to this width
RICH_CELLS = 2500  # a larger table is drawn plain on a terminal too (fitted, not coloured): rich takes 25 µs a cell


def natural_width(widths: Sequence[int]) -> int:
    """Characters of a box table whose columns hold cells of these widths: '│ ' + cells joined by ' │ ' + ' │'."""
    return sum(widths) + 3 * len(widths) + 1


def column_widths(block: Table) -> list[int]:
    """The widest cell of each column, header and footer included."""
    everything = [block.headers, *block.rows, *([block.footer] if block.footer else [])]
    return [max(len(row[i]) for row in everything) for i in range(len(block.headers))]


def needed_widths(block: Table, wrap: bool) -> list[int]:
    """The narrowest each column may be drawn: numbers and the first column (the names) never shrink; with wrap, other
    text may wrap down to TEXT_WIDTH characters."""
    widths = column_widths(block)
    if not wrap:
        return widths
    return [
        w if i == 0 or block.numeric[i] else min(w, max(TEXT_WIDTH, len(block.headers[i])))
        for i, w in enumerate(widths)
    ]


def fitted_columns(block: Table, width: int | None, wrap: bool = True) -> list[int]:
    """Indices of the columns shown: those of hide_order are hidden in order while the table is wider than width; if
    it still is, text columns may wrap (with wrap) and the others are hidden from the right (never the first); then
    each hidden column that fits in the room left comes back, the most important first. A number is never cut: a
    column is shown whole or not at all."""
    natural = column_widths(block)
    shown = list(range(len(natural)))

    def fits(columns: list[int], widths: list[int]) -> bool:
        return width is None or natural_width([widths[i] for i in columns]) <= width

    hidden = []
    for index in block.hide_order:
        if fits(shown, natural):
            break
        shown.remove(index)
        hidden.append(index)
    widths = natural
    if not fits(shown, natural):
        widths = needed_widths(block, wrap)
        for index in reversed(range(1, len(natural))):
            if fits(shown, widths):
                break
            if index in shown:
                shown.remove(index)
                hidden.append(index)
    for index in reversed(hidden[:-1]):
        if fits(sorted([*shown, index]), widths):
            shown = sorted([*shown, index])
    return shown


def _project(block: Table, shown: list[int], caption: str) -> Table:
    """The table with only the shown columns."""

    def pick(row):
        return tuple(row[i] for i in shown)

    return Table(
        pick(block.headers),
        tuple(pick(row) for row in block.rows),
        pick(block.numeric),
        pick(block.footer) if block.footer else None,
        block.title,
        caption,
    )


def box_table(block: Table) -> str:
    """A table with a heavy header box, numeric columns right-aligned, an optional total row and a caption."""
    widths = column_widths(block)

    def line(cells: Sequence[str], edge: str = "│") -> str:
        padded = (
            cell.rjust(w) if right else cell.ljust(w)
            for cell, w, right in zip(cells, widths, block.numeric, strict=True)
        )
        return f"{edge} " + f" {edge} ".join(padded) + f" {edge}"

    def rule(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right

    total_width = natural_width(widths)
    out = [block.title.center(total_width).rstrip()] if block.title else []
    out += [rule("┏", "━", "┳", "┓"), line(block.headers, "┃"), rule("┡", "━", "╇", "┩")]
    out += [line(row) for row in block.rows]
    if block.footer:
        out += [rule("├", "─", "┼", "┤"), line(block.footer)]
    out.append(rule("└", "─", "┴", "┘"))
    if block.caption:
        out += textwrap.wrap(block.caption, width=max(total_width, PLAIN_WRAP))
    return "\n".join(out)


def _facts_lines(block: Facts) -> list[tuple[str, str]]:
    width = max(len(label) for label, _ in block.items)
    return [(label.ljust(width), value) for label, value in block.items]


def _plain(document: Document) -> str:
    parts = [f"{document.title}\n{'=' * len(document.title)}"]
    for block in document.blocks:
        if isinstance(block, Heading):
            parts.append(f"{block.text}\n{'-' * len(block.text)}")
        elif isinstance(block, Text):
            parts.append(_wrapped(_brief(block), PARAGRAPH_WIDTH))
        elif isinstance(block, Facts):
            parts.append("\n".join(f"{label}  {value}" for label, value in _facts_lines(block)))
        elif isinstance(block, Table):
            parts.append(box_table(block))
    return "\n\n".join(parts) + "\n"


def _wrapped(block: Text, width: int) -> str:
    lines = textwrap.wrap(block.text, width) if block.text else []
    for item in block.bullets:
        lines += textwrap.wrap(item, width, initial_indent="- ", subsequent_indent="  ")
    return "\n".join(lines)


def _rich_table(block: Table, shown: list[int], color: bool):
    """A rich table of the shown columns; each at least its needed width, so that rich wraps text but cuts nothing."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text as RichText

    grid = RichTable(
        box=box.HEAVY_HEAD,
        title=block.title or None,
        show_footer=bool(block.footer),
        header_style="bold" if color else "",
        title_style="bold" if color else "",
        footer_style="bold" if color else "",
    )
    needed = needed_widths(block, wrap=True)
    for i in shown:
        grid.add_column(
            block.headers[i],
            justify="right" if block.numeric[i] else "left",
            footer=block.footer[i] if block.footer else "",
            no_wrap=block.numeric[i] or i == 0,
            overflow="fold",
            min_width=needed[i],
        )
    for r, row in enumerate(block.rows):
        cells = []
        for i in shown:
            style = ""
            if color and (r, i) in block.marked:
                style = MARKED_STYLE
            elif color and block.numeric[i] and row[i] in ("0", "0+?"):
                style = "dim"
            cells.append(RichText(row[i], style=style))
        grid.add_row(*cells)
    return grid


def _rich_facts(block: Facts, color: bool):
    """Labels and values in two columns, a long value wrapping under itself."""
    from rich.table import Table as RichTable

    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="bold" if color else "", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in block.items:
        grid.add_row(label, value)
    return grid


def _rich(document: Document, screen: Screen) -> str:
    from rich.console import Console
    from rich.text import Text as RichText

    tables = [block for block in document.blocks if isinstance(block, Table)]
    widest = max((natural_width(column_widths(t)) for t in tables), default=0)
    terminal = screen.width or 80
    out = io.StringIO()
    console = Console(
        file=out,
        width=max(terminal, widest) if screen.width is None else terminal,
        force_terminal=screen.color,
        color_system="standard" if screen.color else None,
        no_color=not screen.color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )

    def paragraph(text: str, style: str = "") -> None:
        console.print(RichText(text, style=style), width=terminal)

    console.print(RichText(document.title, style="bold" if screen.color else ""), width=terminal)
    for block in document.blocks:
        console.print()
        if isinstance(block, Heading):
            paragraph(block.text, "bold" if screen.color else "")
        elif isinstance(block, Text):
            paragraph(_wrapped(_brief(block), terminal))
        elif isinstance(block, Facts):
            console.print(_rich_facts(block, screen.color), width=terminal)
        elif isinstance(block, Table):
            plain = len(block.rows) * len(block.headers) > RICH_CELLS
            shown = fitted_columns(block, screen.width, wrap=not plain)
            if plain:
                out.write(box_table(_project(block, shown, caption="")) + "\n")
            else:
                console.print(_rich_table(block, shown, screen.color))
            hidden = [block.headers[i] for i in range(len(block.headers)) if i not in shown]
            if hidden:
                paragraph(
                    f"Hidden to fit {screen.width} columns: {'; '.join(hidden)}. --wide shows every column.",
                    "dim" if screen.color else "",
                )
            if block.caption:
                paragraph(block.caption)
    return TRAILING_SPACE.sub(r"\1", out.getvalue())


def to_terminal(document: Document, screen: Screen = Screen()) -> str:
    """The document for a terminal (rich, fitted to screen) or for a pipe (plain, every column); charts are drawn in
    HTML only, where the table holds their numbers."""
    return _rich(document, screen) if screen.is_terminal else _plain(document)


def _brief(block: Text) -> Text:
    """The paragraph as a terminal prints it: its brief form where it has one."""
    return Text(block.brief, block.bullets) if block.brief else block
