"""The per-layer table's columns: how each row's numbers print, in one unit and one number of decimals per column."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .. import units
from ..analysis.storage import activation_storage_bytes
from ..quantities import FLOPS, MACS, MEMORY, PARAMS, Quantity
from ..results import Profile
from .rows import Row, channels_text, row_spec_text, size_text


@dataclass(frozen=True)
class Column:
    """A column: its header, how to print a row's value, how to print the total, and its alignment."""

    header: str
    cell: Callable[[Row, Profile], str]
    total: Callable[[Profile], str] = lambda profile: ""
    numeric: bool = True
    quantity: Quantity | None = None  # the figure a quantity column shows, in its unit


def quantity_column(quantity: Quantity, exact: bool = False) -> Column:
    """A summed quantity in its unit; MACs and FLOPs of a row with an uncounted layer are marked '?' (unknown, not
    zero)."""
    unknowable = quantity.needs_formula

    def cell(row: Row, profile: Profile) -> str:
        text = quantity.cell(row.total(quantity.key), exact)
        return text + "+?" if unknowable and not row.counted else text

    def total(profile: Profile) -> str:
        text = quantity.cell(getattr(profile.total, quantity.key), exact)
        return text + "+?" if unknowable and profile.uncounted else text

    return Column(quantity.header(exact), cell, total, quantity=quantity)


def share_header(quantity: Quantity) -> str:
    """'% MACs'."""
    return f"% {quantity.label}"


def share_column(quantity: Quantity) -> Column:
    """A row's share of the total; where layers without a formula leave MACs or FLOPs unknown, the total is a lower
    bound, so a counted row's share is at most the figure shown (≤) and an uncounted row's is unknown (?)."""
    unknowable = quantity.needs_formula

    def cell(row: Row, profile: Profile) -> str:
        whole = getattr(profile.total, quantity.key)
        if unknowable and not row.counted:
            return "?"
        text = units.percent(row.total(quantity.key) / whole if whole else 0.0)
        return f"≤{text}" if unknowable and profile.uncounted and text != "0" else text

    def total(profile: Profile) -> str:
        if unknowable and profile.uncounted:
            return "?"
        return "100.0" if getattr(profile.total, quantity.key) else "0"

    return Column(share_header(quantity), cell, total)


def fitted(quantity: Quantity, largest_bytes: int) -> Quantity:
    """A byte quantity in the unit that fits its largest value (KB, MB or GB); any other as it is."""
    if not quantity.bytes:
        return quantity
    name, size = units.byte_unit(largest_bytes)
    return replace(quantity, scale=name, format=lambda n: units.in_unit(n, size))


TABLE_QUANTITIES = (MEMORY, PARAMS, MACS, FLOPS)  # the per-layer table's figures, in the lecture's order
SHARES = (PARAMS, MACS, MEMORY)


def columns(exact: bool = False, largest_bytes: int = 0, last: frozenset[str] = frozenset()) -> list[Column]:
    """The columns in order; exact prints raw integers (bytes, counts) instead of KB, k and M; memory in KB, or in
    MB or GB where largest_bytes (the total) has more than 6 whole digits in KB; the tensors named in last have
    their channels last (rows.channels_last), and their sizes read so."""

    def reads_last(row: Row) -> bool:
        return any(name in last for name in row.head.inputs)

    def writes_last(row: Row) -> bool:
        return row.layers[-1].name in last

    return [
        Column("layer", lambda row, p: row.name, lambda p: "total", numeric=False),
        Column("type", lambda row, p: row.kind, numeric=False),
        Column("in C", lambda row, p: channels_text(row.head.input_shapes, p.shapes_include_batch, reads_last(row))),
        Column(
            "in H/W",
            lambda row, p: (
                size_text(row.head.input_shape, p.shapes_include_batch, reads_last(row))
                if row.head.input_shapes
                else ""
            ),
        ),
        Column("filters, k, s, p", lambda row, p: row_spec_text(row), numeric=False),
        Column("out C", lambda row, p: channels_text((row.output_shape,), p.shapes_include_batch, writes_last(row))),
        Column("out H/W", lambda row, p: size_text(row.output_shape, p.shapes_include_batch, writes_last(row))),
        *(quantity_column(fitted(quantity, largest_bytes), exact) for quantity in TABLE_QUANTITIES),
        *(share_column(quantity) for quantity in SHARES),
    ]


def with_scale(count: int) -> str:
    """'61,100,840 (61.10 M)'; a count below 1,000 once."""
    return f"{count:,} ({units.human(count)})" if abs(count) >= 1000 else f"{count:,}"


def summary_lines(profile: Profile) -> list[tuple[str, str]]:
    """The footer, as torchinfo prints it: totals, then the sizes that make up the estimated total."""
    total = profile.total
    storage = activation_storage_bytes(profile)
    unknown = f" + ? ({len(profile.uncounted)} layer(s) without a formula)" if profile.uncounted else ""
    return [
        (
            "Input",
            f"{profile.sample_input_shape}, batch {profile.batch}, {profile.dtype} "
            f"({profile.bytes_per_element} bytes per element)",
        ),
        ("Total params", with_scale(total.params)),
        ("Trainable params", f"{total.trainable_params:,}"),
        ("Non-trainable buffers", f"{total.buffers:,}"),
        ("Total MACs (conv, linear, matmul)", with_scale(total.macs) + unknown),
        ("Total FLOPs (all layers)", with_scale(total.flops) + unknown),
        ("Input size", units.megabytes(total.input_bytes)),
        ("Activation size (each storage once)", units.megabytes(storage)),
        *(
            [("Sum of layer outputs (views too)", units.megabytes(total.activation_bytes))]
            if storage != total.activation_bytes
            else []
        ),
        ("Params size", units.megabytes(total.param_bytes)),
        ("Buffers size", units.megabytes(total.buffer_bytes)),
        ("Estimated total size", units.megabytes(total.input_bytes + storage + total.param_bytes + total.buffer_bytes)),
        *(("Note", note) for note in profile.notes),
    ]
