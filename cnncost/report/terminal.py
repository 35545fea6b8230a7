"""Box tables for the terminal.

NB: drawn here rather than with rich: rich spends about 25 µs a cell, 0.18 s for the 7,000 cells of
ResNet-152's table, against a budget of 0.2 s for the whole `cnncost table` process. The cells are
plain strings already (columns.py), so a table is a few string joins.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import Sequence

from ..profile import Profile
from .columns import Column, human_table, summary_lines
from .conventions import CONVENTIONS


def _bold(text: str, styled: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if styled else text


def box_table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool], *,
              footer: Sequence[str] | None = None, title: str = "", caption: str = "", styled: bool = False) -> str:
    """A table with a heavy header box, numeric columns right-aligned, an optional total row and a caption."""
    everything = [headers, *rows, *([footer] if footer else [])]
    widths = [max(len(row[i]) for row in everything) for i in range(len(headers))]

    def line(cells: Sequence[str], edge: str = "│") -> str:
        padded = (cell.rjust(w) if right else cell.ljust(w) for cell, w, right in zip(cells, widths, numeric))
        return f"{edge} " + f" {edge} ".join(padded) + f" {edge}"

    def rule(left: str, fill: str, middle: str, right: str) -> str:
        return left + middle.join(fill * (w + 2) for w in widths) + right

    total_width = sum(widths) + 3 * len(widths) + 1
    out = [_bold(title.center(total_width).rstrip(), styled)] if title else []
    out += [rule("┏", "━", "┳", "┓"), _bold(line(headers, "┃"), styled) if styled else line(headers, "┃"),
            rule("┡", "━", "╇", "┩")]
    out += [line(row) for row in rows]
    if footer:
        out += [rule("├", "─", "┼", "┤"), line(footer)]
    out.append(rule("└", "─", "┴", "┘"))
    if caption:
        out += textwrap.wrap(caption, width=max(total_width, 60))
    return "\n".join(out) + "\n"


def wants_style(file) -> bool:
    """Bold headers only on a terminal, and never with NO_COLOR set."""
    return hasattr(file, "isatty") and file.isatty() and "NO_COLOR" not in os.environ


def render_profile(profile: Profile, fold: bool = True, exact: bool = False, styled: bool = False,
                   depth: int | None = None, extra: Sequence[Column] = (), notes: str = "", after: str = "") -> str:
    """The per-layer table with its total row and conventions, then the summary (torchinfo's footer).

    extra columns go after the standard ones, notes after the conventions, and `after` (a section) at the end.
    """
    cols, body, total = human_table(profile, fold, exact, depth, extra)
    title = f"{profile.name}: {profile.sample_input_shape}, batch {profile.batch}, {profile.dtype}"
    table = box_table([c.header for c in cols], body, [c.numeric for c in cols], footer=total, title=title,
                      caption=f"{CONVENTIONS} {notes}".rstrip(), styled=styled)
    labels = summary_lines(profile)
    label_width = max(len(label) for label, _ in labels)
    summary = "\n".join(f"{_bold(label.ljust(label_width), styled)}  {value}" for label, value in labels)
    return f"{table}\n{summary}\n" + (f"\n{after}" if after else "")


def print_profile(profile: Profile, fold: bool = True, exact: bool = False, file=None,
                  depth: int | None = None, extra: Sequence[Column] = (), notes: str = "", after: str = "") -> None:
    """Print render_profile to file (standard output by default), bold on a terminal."""
    file = file or sys.stdout
    file.write(render_profile(profile, fold, exact, styled=wants_style(file), depth=depth, extra=extra, notes=notes,
                              after=after))
