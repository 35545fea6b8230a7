"""cnncost compare A B ...: architectures or blocks side by side, cut at a size or to a layer range, with ratios."""

from __future__ import annotations

from dataclasses import replace

from ..counting import COUNTING_RULES
from ..cuts import parse_operand, parse_size
from ..profiler import side
from ..report.analysis_views import PREDICTION_NOTE, prediction_columns
from ..report.comparison import CUT_RULE, PREDICTION_COLUMNS, RATIO_RULE, RECORD_COLUMNS, records, summary_table
from ..report.document import Block, Document, Text
from ..report.profile_table import layer_table
from .common import (
    UsageError,
    add_convention_option,
    add_output_options,
    add_profile_options,
    add_target_option,
    emit,
    parse_batch,
    warn,
)


def register(commands) -> None:
    parser = commands.add_parser(
        "compare",
        help="architectures or blocks side by side, with ratio columns",
        description="Totals side by side, each divided by the first operand's. An operand is NAME or "
        "NAME:FIRST..LAST (a range of its layers, both included, in execution order).",
    )
    parser.add_argument(
        "operands",
        nargs="+",
        metavar="NAME[:FIRST..LAST]",
        help="two or more built-in architectures or blocks (cnncost list) or spec files, each "
        "optionally cut to a layer range",
    )
    parser.add_argument(
        "--until",
        metavar="HxW",
        help="cut each operand without a range after the first layer whose output is at most HxW",
    )
    parser.add_argument("--per-layer", action="store_true", help="also print each operand's per-layer table")
    add_convention_option(parser, "MACs as another tool counts them")
    add_profile_options(parser)
    add_target_option(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def title(sides, until) -> str:
    """'googlenet vs vgg16, until 28x28: batch 1, fp32'."""
    cut = f", until {until[0]}x{until[1]}" if until else ""
    first = sides[0].profile
    return f"{' vs '.join(item.name for item in sides)}{cut}: batch {first.batch}, {first.dtype}"


def run(args) -> int:
    if len(args.operands) < 2:
        raise UsageError("compare needs at least two architectures or blocks")
    until = parse_size(args.until) if args.until else None
    batch = parse_batch(args.batch)
    sides = [
        side(
            parse_operand(text),
            input=args.input,
            batch=batch,
            dtype=args.dtype,
            until=until,
            convention=args.convention,
            target=args.target,
        )
        for text in args.operands
    ]
    for item in sides:
        warn(item.profile)

    def document() -> Document:
        blocks: list[Block] = [summary_table(sides), Text(f"{RATIO_RULE} {CUT_RULE}")]
        found = sides[0].profile.prediction
        if found is not None:
            on = f"{found.target} ({found.name})"
            blocks.append(Text(f"pred ms: the time predicted on {on} for each row's layers; {found.error}."))
        if args.per_layer:
            blocks += [_layer_table(item.profile) for item in sides]
            if found is not None:
                blocks.append(Text(PREDICTION_NOTE))
        blocks.append(Text(COUNTING_RULES))
        blocks += [Text(note) for note in sides[0].profile.notes if note.kind == "convention"]
        return Document(title(sides, until), tuple(blocks))

    columns = RECORD_COLUMNS + (PREDICTION_COLUMNS if args.target else ())
    emit(args, document, lambda: records(sides), columns=columns)
    return 0


def _layer_table(profile):
    """The per-layer human table of a cut profile, with its total row."""
    span = f"{profile.layers[0].name}..{profile.layers[-1].name}"
    extra = prediction_columns(profile) if profile.prediction else None
    title_text = f"{profile.name} ({span}): {profile.input_shape} -> {profile.output_shape}"
    found = layer_table(profile, extra=extra, title_text=title_text)
    return replace(found, caption="")  # the conventions follow once, under every table
