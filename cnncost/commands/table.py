"""cnncost table NAME: the per-layer cost table."""

from __future__ import annotations

from dataclasses import replace

from ..profiler import profile
from ..report import export
from ..report.profile_table import profile_document, screen_depth
from ..report.view import View
from .common import (
    MODEL_HELP,
    RECORD_FORMATS,
    SHOWN_ALL,
    UsageError,
    add_convention_option,
    add_optimizer_option,
    add_output_options,
    add_profile_options,
    add_target_option,
    emit,
    output_format,
    parse_batch,
    screen,
    warn,
)


def register(commands) -> None:
    parser = commands.add_parser("table", help="per-layer cost table of an architecture")
    parser.add_argument("name", help=MODEL_HELP)
    add_profile_options(parser)
    add_target_option(parser)
    add_output_options(parser)
    parser.add_argument(
        "--all-layers",
        action="store_true",
        help="one row per layer: do not fold in-place layers into the row they follow",
    )
    parser.add_argument("--exact", action="store_true", help="raw integers (bytes, counts) instead of KB, k and M")
    parser.add_argument("--depth", help="fold blocks into one row each: 1 for stages (layer1), 2 for blocks (layer1.0)")
    parser.add_argument("--strict", action="store_true", help="an op without a cost formula is an error, not a warning")
    add_convention_option(parser, "count MACs as another tool does, layer by layer", SHOWN_ALL)
    parser.add_argument(
        "--rf",
        action="store_true",
        help="receptive-field columns: size, jump (effective stride) and start on the input",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="live and kept-for-backward memory columns, then inference and training memory totals",
    )
    parser.add_argument("--bars", action="store_true", help="inline bars of each row's share of params, MACs, memory")
    parser.add_argument(
        "--training",
        action="store_true",
        help="one training step: backward MACs for input and weight gradients, backward and optimizer "
        "FLOPs, per layer and in total",
    )
    add_optimizer_option(parser, None, "the optimizer of --training (default adam; implies --training)")
    parser.add_argument(
        "--freeze",
        metavar="LAYERS",
        help="layers whose parameters are not trained: names, blocks (layer1) or a range "
        "(conv1..layer3), comma-separated; implies --training",
    )
    parser.set_defaults(run=run)


def parse_depth(text: str | None) -> int | None:
    """--depth: a whole number of at least 1, or None."""
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--depth must be a whole number of at least 1, got {text!r}")
    return int(text)


def run(args) -> int:
    fmt = output_format(args)
    if args.bars and fmt in RECORD_FORMATS:
        raise UsageError("--bars draws in the table, Markdown and HTML; CSV and JSON carry the raw numbers")
    result = profile(
        args.name,
        input=args.input,
        batch=parse_batch(args.batch),
        dtype=args.dtype,
        strict=args.strict,
        convention=args.convention,
        target=args.target,
        training_forward=args.memory,  # training memory is the training-mode forward's
    )
    warn(result)
    view = View(
        fold=not args.all_layers,
        depth=parse_depth(args.depth),
        exact=args.exact,
        rf=args.rf,
        memory=args.memory,
        bars=args.bars,
        chart=fmt == "html",
        training=bool(args.training or args.optimizer or args.freeze),
        optimizer=args.optimizer or "adam",
        freeze=args.freeze,
    )

    def document():
        shown, hint = _fitted(result, view, screen(args), args) if fmt == "table" else (view, "")
        return profile_document(result, shown, hint)

    emit(args, document, lambda: export.records(result, view), data=lambda: export.json_data(result, view))
    return 0


def _fitted(result, view, shown_on, args):
    """On a terminal, a network longer than the screen folds to the deepest --depth that fits, with a line saying
    so; --depth and --all-layers keep their meaning, and a file or a pipe gets every row."""
    if not shown_on.is_terminal or args.depth is not None or args.all_layers:
        return view, ""
    depth = screen_depth(result, view.fold, shown_on.height)
    if depth is None:
        return view, ""
    return replace(view, depth=depth), (
        f"{len(result.layers)} layers folded to --depth {depth} to fit the screen; "
        f"--all-layers lists every layer, --depth N another level of blocks."
    )
