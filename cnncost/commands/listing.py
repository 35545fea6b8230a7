"""cnncost list: every built-in architecture with its totals."""

from __future__ import annotations

import sys

from ..errors import CnnCostError
from .common import add_output_options, emit, output_format

COLUMNS = ("name", "family", "input", "layers", "params", "MACs", "FLOPs", "activation MB", "reference")
NUMERIC = (False, False, False, True, True, True, True, True, False)


def register(commands) -> None:
    parser = commands.add_parser("list", help="every built-in architecture with its totals")
    parser.add_argument("pattern", nargs="?", default="*", help="shell pattern on names, e.g. 'resnet*'")
    add_output_options(parser)
    parser.set_defaults(run=run)


def records(pattern: str) -> list[dict]:
    """One dict per registered architecture matching pattern, with its totals at its default input."""
    from .. import profile
    from ..zoo import architecture, list_models

    found = []
    for name in list_models(pattern):
        result = profile(name)
        found.append({
            "name": name, "family": architecture(name).family, "input": str(result.input_shape),
            "layers": len(result.layers), "params": result.total.params, "macs": result.total.macs,
            "flops": result.total.flops, "activation_bytes": result.total.activation_bytes,
            "reference": architecture(name).reference,
        })
    if not found:
        raise CnnCostError(f"no architecture matches {pattern!r}")
    return found


def run(args) -> int:
    from ..report import units

    found = records(args.pattern)
    fmt = output_format(args)
    if fmt == "json":
        import json

        emit(json.dumps(found, indent=2) + "\n", args.output)
        return 0
    if fmt == "csv":
        import pandas as pd

        emit(pd.DataFrame(found).to_csv(index=False, lineterminator="\n"), args.output)
        return 0
    rows = [[r["name"], r["family"], r["input"], str(r["layers"]), units.human(r["params"]), units.human(r["macs"]),
             units.human(r["flops"]), units.trim(r["activation_bytes"] / units.MB, 2), r["reference"]]
            for r in found]
    if fmt == "md":
        import pandas as pd

        aligns = ["right" if n else "left" for n in NUMERIC]
        table = pd.DataFrame(rows, columns=list(COLUMNS)).to_markdown(index=False, colalign=aligns,
                                                                       disable_numparse=True)
        emit(table + "\n", args.output)
        return 0
    from ..report.conventions import CONVENTIONS
    from ..report.terminal import box_table, wants_style

    emit(box_table(COLUMNS, rows, NUMERIC, title="Built-in architectures, batch 1, fp32, at their default input",
                   caption=CONVENTIONS, styled=args.output is None and wants_style(sys.stdout)), args.output)
    return 0
