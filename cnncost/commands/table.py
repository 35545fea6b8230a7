"""cnncost table NAME: the per-layer cost table."""

from __future__ import annotations

from .common import (MODEL_HELP, UsageError, add_output_options, add_profile_options, emit, output_format, parse_batch,
                     warn)


def register(commands) -> None:
    parser = commands.add_parser("table", help="per-layer cost table of an architecture")
    parser.add_argument("name", help=MODEL_HELP)
    add_profile_options(parser)
    add_output_options(parser)
    parser.add_argument("--all-layers", action="store_true",
                        help="one row per layer: do not fold in-place layers into the row they follow")
    parser.add_argument("--exact", action="store_true", help="raw integers (bytes, counts) instead of KB, k and M")
    parser.add_argument("--depth", help="fold blocks into one row each: 1 for stages (layer1), 2 for blocks (layer1.0)")
    parser.add_argument("--strict", action="store_true", help="an op without a cost formula is an error, not a warning")
    parser.add_argument("--convention", default="cnncost", metavar="TOOL",
                        help="count MACs as another tool does, layer by layer: paper, flopcounter, torchinfo, fvcore, "
                        "ptflops, ptflops-aten, thop (default cnncost; `cnncost conventions NAME` shows them all)")
    parser.add_argument("--rf", action="store_true",
                        help="receptive-field columns: size, jump (effective stride) and start on the input")
    parser.add_argument("--memory", action="store_true",
                        help="live and kept-for-backward memory columns, then inference and training memory totals")
    parser.add_argument("--bars", action="store_true", help="inline bars of each row's share of params, MACs, memory")
    parser.set_defaults(run=run)


def parse_depth(text: str | None) -> int | None:
    """--depth: a whole number of at least 1, or None."""
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--depth must be a whole number of at least 1, got {text!r}")
    return int(text)


def run(args) -> int:
    from .. import profile

    fmt = output_format(args)
    result = profile(args.name, input=args.input, batch=parse_batch(args.batch), dtype=args.dtype,
                     strict=args.strict, convention=args.convention)
    warn(result)
    fold, depth = not args.all_layers, parse_depth(args.depth)
    if args.rf or args.memory or args.bars:
        return _with_analyses(args, result, fmt, fold, depth)
    if fmt == "table":
        from ..report.terminal import print_profile, render_profile

        if args.output is None:
            print_profile(result, fold=fold, exact=args.exact, depth=depth)
        else:
            emit(render_profile(result, fold=fold, exact=args.exact, depth=depth), args.output)
        return 0
    from ..report import export

    if fmt == "md":
        emit(export.to_markdown(result, fold=fold, exact=args.exact, depth=depth), args.output)
    else:
        emit(export.to_csv(result) if fmt == "csv" else export.to_json(result), args.output)
    return 0


def _with_analyses(args, result, fmt: str, fold: bool, depth: int | None) -> int:
    """The table with the --rf, --memory and --bars additions, in any format."""
    import sys

    from ..report.analysis import render_table
    from ..report.terminal import wants_style

    if args.bars and fmt in ("csv", "json"):
        raise UsageError("--bars draws in the table and Markdown; CSV and JSON carry the raw numbers")
    styled = fmt == "table" and args.output is None and wants_style(sys.stdout)
    emit(render_table(result, fmt, fold=fold, exact=args.exact, depth=depth, rf=args.rf, memory=args.memory,
                      bars=args.bars, styled=styled), args.output)
    return 0
