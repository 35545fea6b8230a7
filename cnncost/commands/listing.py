"""cnncost list: every built-in network with its totals, then the blocks (parts of networks profiled alone)."""

from __future__ import annotations

import sys

from ..errors import CnnCostError
from .common import add_output_options, emit, emit_records, output_format

COLUMNS = ("name", "family", "input", "layers", "params", "MACs", "FLOPs", "activation MB", "reference")
NUMERIC = (False, False, False, True, True, True, True, True, False)
TITLES = {"network": "Built-in architectures, batch 1, fp32, at their default input",
          "block": "Blocks (parts of networks, profiled alone), batch 1, fp32, at their default input"}


def register(commands) -> None:
    parser = commands.add_parser("list", help="every built-in architecture with its totals")
    parser.add_argument("pattern", nargs="?", default="*", help="shell pattern on names, e.g. 'resnet*'")
    add_output_options(parser)
    parser.set_defaults(run=run)


def records(pattern: str) -> list[dict]:
    """One dict per registered network, then block, matching pattern, with its totals at its default input."""
    from .. import profile
    from ..zoo import architecture, list_blocks, list_models

    found = []
    for name in list_models(pattern) + list_blocks(pattern):
        result = profile(name)
        found.append({
            "name": name, "kind": architecture(name).kind, "family": architecture(name).family,
            "input": str(result.input_shape),
            "layers": len(result.layers), "params": result.total.params, "macs": result.total.macs,
            "flops": result.total.flops, "activation_bytes": result.total.activation_bytes,
            "reference": architecture(name).reference,
        })
    if not found:
        raise CnnCostError(f"no architecture matches {pattern!r}")
    return found


def run(args) -> int:
    found = records(args.pattern)
    fmt = output_format(args)
    if fmt in ("csv", "json"):
        emit_records(found, fmt, args.output)
        return 0
    groups = {kind: [human_row(r) for r in found if r["kind"] == kind] for kind in TITLES}
    groups = {kind: rows for kind, rows in groups.items() if rows}
    if fmt == "md":
        import pandas as pd

        aligns = ["right" if n else "left" for n in NUMERIC]
        tables = {kind: pd.DataFrame(rows, columns=list(COLUMNS)).to_markdown(index=False, colalign=aligns,
                                                                              disable_numparse=True)
                  for kind, rows in groups.items()}
        text = "\n\n".join(tables.values()) if len(tables) == 1 else "\n\n".join(
            f"## {TITLES[kind]}\n\n{table}" for kind, table in tables.items())
        emit(text + "\n", args.output)
        return 0
    from ..report.conventions import CONVENTIONS
    from ..report.terminal import box_table, wants_style

    styled = args.output is None and wants_style(sys.stdout)
    last = list(groups)[-1]
    emit("\n".join(box_table(COLUMNS, rows, NUMERIC, title=TITLES[kind], caption=CONVENTIONS if kind == last else "",
                             styled=styled) for kind, rows in groups.items()), args.output)
    return 0


def human_row(record: dict) -> list[str]:
    """The cells of one record in the human table."""
    from ..report import units

    return [record["name"], record["family"], record["input"], str(record["layers"]), units.human(record["params"]),
            units.human(record["macs"]), units.human(record["flops"]),
            units.trim(record["activation_bytes"] / units.MB, 2), record["reference"]]
