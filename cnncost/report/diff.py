"""A ProfileDiff as a document: the changed layers with before and after, then the totals with their ratios."""

from __future__ import annotations

from ..diff import LABELS, QUANTITIES as LAYER_FIGURES, ProfileDiff, ratio
from .. import units
from .document import Document, Table, Text, table

QUANTITIES = tuple((LABELS[key], key) for key in LAYER_FIGURES)


def _figure(value: int, key: str) -> str:
    return units.kilobytes(value) + " KB" if key == "activation_bytes" else f"{value:,}"


def _ratio(before: int, after: int) -> str:
    value = ratio(before, after)
    return "new" if value is None and after else "-" if value is None else f"{float(value):.3g}x"


def layer_table(result: ProfileDiff) -> Table:
    """One row per layer that differs: its status, then each quantity before -> after."""
    rows = []
    for change in result.layers:
        op = (change.after or change.before)["op"]
        cells = [change.name, change.status, op]
        for _, key in QUANTITIES:
            before, after = change.figures(key)
            cells.append(_figure(before, key) if change.before is not None else "")
            cells.append(_figure(after, key) if change.after is not None else "")
        rows.append(cells)
    headers = ["layer", "change", "type"]
    for label, _ in QUANTITIES:
        headers += [f"{label} before", f"{label} after"]
    return table(headers, rows, [False, False, False] + [True] * (2 * len(QUANTITIES)),
                 title=f"{len(result.layers)} layer(s) differ",
                 hide=("type", *(f"{label} {when}" for label, _ in reversed(QUANTITIES[2:]) for when in ("before", "after"))))


def totals_table(result: ProfileDiff) -> Table:
    """Each total before and after, the change and after / before."""
    rows = []
    for label, key in (*QUANTITIES[:1], ("buffers", "buffers"), *QUANTITIES[1:]):
        before, after = result.totals[key]
        rows.append([label, _figure(before, key), _figure(after, key),
                     f"{after - before:+,}" if key != "activation_bytes"
                     else ("+" if after >= before else "-") + units.kilobytes(abs(after - before)) + " KB",
                     _ratio(before, after)])
    return table(["total", result.before, result.after, "change", "after / before"], rows,
                 [False, True, True, True, True], title="totals")


def diff_document(result: ProfileDiff) -> Document:
    """The changed layers, then the totals, under a title naming both sides."""
    blocks = [totals_table(result)]
    if result.settings[0] != result.settings[1]:
        blocks.append(Text(f"Computed at different settings: {result.before} at {result.settings[0]}, "
                           f"{result.after} at {result.settings[1]}; the figures scale with them."))
    for status in ("added", "removed", "changed"):
        groups = result.groups(status)
        if groups:
            count = sum(change.status == status for change in result.layers)
            shown = ", ".join(groups) if len(groups) <= 8 else f"{', '.join(groups[:3])}, ... {groups[-1]}"
            blocks.append(Text(f"{status}: {count} layer(s), in {shown}"))
    if result.layers:
        blocks.append(layer_table(result))
    else:
        blocks.append(Text("No layer differs: the same names, types, output shapes and counts."))
    blocks.append(Text("Layers are matched by name (a run of renamed layers of the same types, by position). "
                       "Memory is each layer's output, KB = 1024 bytes."))
    return Document(f"{result.before} -> {result.after}", tuple(blocks))
