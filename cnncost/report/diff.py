"""A ProfileDiff as a document: the changed layers with before and after, then the totals with their ratios."""

from __future__ import annotations

from .. import units
from ..diff import ProfileDiff, ratio
from ..quantities import PER_LAYER, QUANTITIES, Quantity
from .document import Block, Document, Table, Text, table


def _figure(value: int, quantity: Quantity) -> str:
    """A count with separators; bytes in KB."""
    return units.kilobytes(value) + " KB" if quantity.bytes else f"{value:,}"


def _ratio(before: int, after: int) -> str:
    value = ratio(before, after)
    return "new" if value is None and after else "-" if value is None else f"{units.ratio(value)}x"


def layer_table(result: ProfileDiff) -> Table:
    """One row per layer that differs: its status, then each quantity before -> after."""
    rows = []
    for change in result.layers:
        op = change.layer["op"]
        cells = [change.name, change.status, op]
        for quantity in PER_LAYER:
            before, after = change.figures(quantity.key)
            cells.append(_figure(before, quantity) if change.before is not None else "")
            cells.append(_figure(after, quantity) if change.after is not None else "")
        rows.append(cells)
    headers = ["layer", "change", "type"]
    for quantity in PER_LAYER:
        headers += [f"{quantity.label} before", f"{quantity.label} after"]
    hidden = [f"{quantity.label} {when}" for quantity in reversed(PER_LAYER[2:]) for when in ("before", "after")]
    return table(
        headers,
        rows,
        [False, False, False] + [True] * (2 * len(PER_LAYER)),
        title=f"{len(result.layers)} layer(s) differ",
        hide=("type", *hidden),
    )


def totals_table(result: ProfileDiff) -> Table:
    """Each total before and after, the change and after / before."""
    rows = []
    for quantity in QUANTITIES:
        before, after = result.totals[quantity.key]
        rows.append(
            [
                quantity.label,
                _figure(before, quantity),
                _figure(after, quantity),
                f"{after - before:+,}"
                if not quantity.bytes
                else ("+" if after >= before else "-") + units.kilobytes(abs(after - before)) + " KB",
                _ratio(before, after),
            ]
        )
    if result.predicted is not None:
        before_s, after_s = result.predicted
        same = result.targets[0] == result.targets[1]
        rows.append(
            [
                f"predicted ms on {result.targets[0]}" if same else "predicted ms (different devices)",
                units.milliseconds(before_s),
                units.milliseconds(after_s),
                f"{(after_s - before_s) * 1e3:+,.3f}" if same else "-",
                (f"{units.ratio(after_s / before_s)}x" if before_s else "new") if same else "-",
            ]
        )
    return table(
        ["total", result.before, result.after, "change", "after / before"],
        rows,
        [False, True, True, True, True],
        title="totals",
    )


def diff_document(result: ProfileDiff) -> Document:
    """The changed layers, then the totals, under a title naming both sides."""
    blocks: list[Block] = [totals_table(result)]
    if result.predicted is not None:
        said = dict.fromkeys(error for error in result.errors if error)  # each distinct statement once
        blocks += [Text(f"Predicted times: {error}.") for error in said]
    targets = [target for target in result.targets if target]
    if len(targets) == 1:
        blocks.append(Text(f"Only one side has a predicted time (on {targets[0]}): none is compared."))
    elif result.predicted and result.targets[0] != result.targets[1]:
        blocks.append(
            Text(
                f"The predicted times are on different devices ({result.before} on {result.targets[0]}, "
                f"{result.after} on {result.targets[1]}): their change is the devices', not the network's."
            )
        )
    if result.settings[0] != result.settings[1]:
        blocks.append(
            Text(
                f"Computed at different settings: {result.before} at {result.settings[0]}, "
                f"{result.after} at {result.settings[1]}; the figures scale with them."
            )
        )
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
    blocks.append(
        Text(
            "Layers are matched by name (a run of renamed layers of the same types, by position). "
            "Memory is each layer's output, KB = 1024 bytes."
        )
    )
    return Document(f"{result.before} -> {result.after}", tuple(blocks))
