"""AlexNet: the lecture's table and worked examples, and a second source's, cell by cell against cnncost."""

from __future__ import annotations

from ..profiler import profile as profile_of
from ..report.document import Document, Heading, Text, table
from ..results import Profile
from .checks import LEGEND, MARKS, Check, check_layers, check_value, layer_arithmetic
from .printed import Printed, number_text
from .published import ALEXNET_TABLE, ALEXNET_TRANSCRIPTION, ALEXNET_WORKED, LECTURE8, TRANSCRIPTION
from .report import COUNTING, Report, checks_table, layer_table, sources_block, summary, verdict_sections

TABLE, WORKED, SECOND = "the lecture's table", "the lecture's worked examples", "a second source"


def table_checks(profile: Profile) -> list[Check]:
    """The lecture's table: output channels and size, memory, params and multiply-adds of every row."""
    found = []
    for layer, channels, size, memory, params, macs in ALEXNET_TABLE:
        cost = profile.layer(layer)
        found.append(
            check_value(TABLE, layer, "channels", Printed(channels), LECTURE8, "alexnet", cost.output_shape.channels)
        )
        if size:
            found.append(
                check_value(TABLE, layer, "size", Printed(size), LECTURE8, "alexnet", cost.output_shape.dims[1])
            )
        for quantity, printed in (
            ("memory", Printed(memory, "KB")),
            ("params", Printed(params, "k")),
            ("macs", Printed(macs, "M")),
        ):
            found.append(
                check_layers(
                    TABLE,
                    layer,
                    quantity,
                    printed,
                    LECTURE8,
                    "alexnet",
                    [cost],
                    whole=False,
                    arithmetic=layer_arithmetic(cost, quantity),
                )
            )
    return found


def example_checks(profile: Profile, section: str, examples, source) -> list[Check]:
    """Worked examples: one printed value of one layer each."""
    return [
        check_layers(
            section,
            layer,
            quantity,
            printed,
            source,
            "alexnet",
            [profile.layer(layer)],
            whole=False,
            arithmetic=layer_arithmetic(profile.layer(layer), quantity),
        )
        for layer, quantity, printed in examples
    ]


def beside(profile: Profile, checks: list[Check]):
    """The lecture's table beside cnncost's: each printed cell, then cnncost's value in the same unit and a mark."""
    marks = {(c.item, c.quantity): (c, MARKS[c.verdict.kind]) for c in checks if c.section == TABLE}
    rows = []
    for layer, *_ in ALEXNET_TABLE:
        row = [layer]
        for quantity in ("channels", "size", "memory", "params", "macs"):
            if (layer, quantity) not in marks:
                row += ["", ""]
                continue
            item, mark = marks[(layer, quantity)]
            places = {"memory": 2, "params": 3, "macs": 2}.get(quantity)
            value = str(item.computed) if places is None else number_text(item.computed / item.printed.scale, places)
            row += [item.printed.text, f"{value} {mark}"]
        rows.append(row)
    names = (
        ("out C", "out C"),
        ("out H/W", "out H/W"),
        ("memory (KB)", "memory KB"),
        ("params (k)", "params k"),
        ("flop (M)", "MACs M"),
    )
    headers = ["layer"] + [header for lecture, ours in names for header in (f"lecture: {lecture}", f"cnncost: {ours}")]
    return table(headers, rows, [False] + [True] * 10)


def report() -> Report:
    """The AlexNet report."""
    profile = profile_of("alexnet")
    checks = (
        table_checks(profile)
        + example_checks(profile, WORKED, ALEXNET_WORKED, LECTURE8)
        + example_checks(profile, SECOND, ALEXNET_TRANSCRIPTION, TRANSCRIPTION)
    )
    extra = profile.layer("avgpool")
    note = (
        f"cnncost's table has one row the lecture's does not: avgpool, torchvision's AdaptiveAvgPool2d(6), which "
        f"at 227x227 maps {extra.input_shape} to {extra.output_shape} (it lets the network take other input "
        "sizes) and has no parameters or multiply-adds."
    )
    blocks = [
        Text(
            'Published: the AlexNet table of EECS 498-007 lecture 8 (memory KB, params k, flop M, where "flop" '
            "is multiply-adds), the lecture's worked examples, and a second source's values for the same layers. "
            "Computed: `cnncost table alexnet` (torchvision's AlexNet, 64-192-384-256-256 filters, 3x227x227, "
            "batch 1, fp32)."
        ),
        summary(checks),
        Text(COUNTING),
        Heading("The lecture's table beside cnncost's"),
        beside(profile, checks),
        Text(f"{LEGEND} {note}"),
        Heading("Every published number"),
        checks_table(checks),
        *verdict_sections(checks),
        Heading("cnncost's table"),
        layer_table(profile, "alexnet: 3x227x227, batch 1, fp32"),
        sources_block(checks),
    ]
    return Report(
        "alexnet",
        Document("AlexNet, cell by cell: EECS 498-007 lecture 8 against cnncost", tuple(blocks)),
        tuple(checks),
    )
