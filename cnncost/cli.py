"""The command line: `cnncost table NAME`, `cnncost list`, `cnncost formulas`.

main(argv) -> exit code: 0 on success, 2 on bad input (one line on stderr, never a traceback).
This is the only module that chooses an output format.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from .errors import CnnCostError

FORMATS = ("table", "csv", "md", "json")
SUFFIX_FORMATS = {".csv": "csv", ".md": "md", ".markdown": "md", ".json": "json"}


class UsageError(CnnCostError):
    """A malformed command line."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem as one line instead of printing usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cnncost", description="Layer-by-layer cost of convolutional networks: output sizes, "
                     "activation memory, parameters, MACs and FLOPs.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    table = commands.add_parser("table", help="per-layer cost table of an architecture")
    table.add_argument("name", help="a built-in architecture (see 'cnncost list')")
    table.add_argument("--input", help="input size of one sample, CxHxW (default: the network's own)")
    table.add_argument("--batch", default="1", help="batch size (default 1)")
    table.add_argument("--dtype", default="fp32", help="fp32, fp16, bf16 or int8 (default fp32)")
    _add_output_options(table)
    table.add_argument("--all-layers", action="store_true",
                       help="one row per layer: do not fold in-place layers into the row they follow")
    table.add_argument("--exact", action="store_true", help="raw integers (bytes, counts) instead of KB, k and M")

    listing = commands.add_parser("list", help="every built-in architecture with its totals")
    listing.add_argument("pattern", nargs="?", default="*", help="shell pattern on names, e.g. 'resnet*'")
    _add_output_options(listing)

    commands.add_parser("formulas", help="every layer type and the formula that costs it")
    return parser


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from -o's suffix, else table)")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of standard output")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.version:
            from . import __version__

            print(f"cnncost {__version__}")
            return 0
        if args.command is None:
            build_parser().print_help()
            return 2
        return {"table": run_table, "list": run_list, "formulas": run_formulas}[args.command](args)
    except CnnCostError as error:
        print(f"cnncost: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cnncost: interrupted", file=sys.stderr)
        return 130


def _output_format(args) -> str:
    if args.format:
        return args.format
    if args.output:
        return SUFFIX_FORMATS.get(Path(args.output).suffix.lower(), "table")
    return "table"


def _batch(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--batch must be a whole number of at least 1, got {text!r}")
    return int(text)


def _emit(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    from .report.export import write_atomic

    write_atomic(path, text)


def run_table(args) -> int:
    """cnncost table NAME: the per-layer table in the chosen format."""
    from . import profile

    fmt = _output_format(args)
    result = profile(args.name, input=args.input, batch=_batch(args.batch), dtype=args.dtype)
    if fmt == "table":
        from .report.terminal import print_profile, render_profile

        if args.output is None:
            print_profile(result, fold=not args.all_layers, exact=args.exact)
        else:
            _emit(render_profile(result, fold=not args.all_layers, exact=args.exact), args.output)
        return 0
    from .report import export

    if fmt == "md":
        _emit(export.to_markdown(result, fold=not args.all_layers, exact=args.exact), args.output)
    else:
        _emit(export.to_csv(result) if fmt == "csv" else export.to_json(result), args.output)
    return 0


LIST_COLUMNS = ("name", "family", "input", "layers", "params", "MACs", "FLOPs", "activation MB", "reference")


def list_records(pattern: str) -> list[dict]:
    """One dict per registered architecture matching pattern, with its totals at its default input."""
    from . import profile
    from .zoo import architecture, list_models

    records = []
    for name in list_models(pattern):
        result = profile(name)
        records.append({
            "name": name, "family": architecture(name).family, "input": str(result.input_shape),
            "layers": len(result.layers), "params": result.total.params, "macs": result.total.macs,
            "flops": result.total.flops, "activation_bytes": result.total.activation_bytes,
            "reference": architecture(name).reference,
        })
    if not records:
        raise CnnCostError(f"no architecture matches {pattern!r}")
    return records


def run_list(args) -> int:
    """cnncost list: every built-in architecture with its totals."""
    from .report import units

    records = list_records(args.pattern)
    fmt = _output_format(args)
    if fmt in ("csv", "json"):
        import json

        if fmt == "json":
            _emit(json.dumps(records, indent=2) + "\n", args.output)
        else:
            import pandas as pd

            _emit(pd.DataFrame(records).to_csv(index=False, lineterminator="\n"), args.output)
        return 0
    rows = [[r["name"], r["family"], r["input"], str(r["layers"]), units.human(r["params"]), units.human(r["macs"]),
             units.human(r["flops"]), units.trim(r["activation_bytes"] / units.MB, 2), r["reference"]]
            for r in records]
    numeric = [False, False, False, True, True, True, True, True, False]
    if fmt == "md":
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(LIST_COLUMNS))
        aligns = ["right" if n else "left" for n in numeric]
        _emit(frame.to_markdown(index=False, colalign=aligns, disable_numparse=True) + "\n", args.output)
        return 0
    from .report.conventions import CONVENTIONS
    from .report.terminal import box_table, wants_style

    _emit(box_table(LIST_COLUMNS, rows, numeric, title="Built-in architectures, batch 1, fp32, at their default input",
                    caption=CONVENTIONS, styled=args.output is None and wants_style(sys.stdout)), args.output)
    return 0


def run_formulas(args) -> int:
    """cnncost formulas: each layer type, its attributes and its cost formula."""
    from .layers import layer_types
    from .report.terminal import box_table, wants_style

    rows = []
    for name, spec in sorted(layer_types().items()):
        inputs = "any" if spec.arity is None else str(spec.arity)
        rows.append([name, inputs, ", ".join(spec.attributes), spec.doc.splitlines()[0] if spec.doc else ""])
    sys.stdout.write(box_table(("type", "inputs", "attributes", "formula (per sample)"), rows,
                               (False, True, False, False), title="Layer types and their cost formulas",
                               styled=wants_style(sys.stdout)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
