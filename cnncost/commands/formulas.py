"""cnncost formulas: each layer type, its attributes and the formula that costs it."""

from __future__ import annotations

import sys


def register(commands) -> None:
    parser = commands.add_parser("formulas", help="every layer type and the formula that costs it")
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..layers import layer_types
    from ..report.terminal import box_table, wants_style

    rows = [[name, "any" if spec.arity is None else str(spec.arity), ", ".join(spec.attributes),
             " ".join(spec.doc.split("\n\n")[0].split())]
            for name, spec in sorted(layer_types().items())]
    sys.stdout.write(box_table(("type", "inputs", "attributes", "formula (per sample)"), rows,
                               (False, True, False, False), title="Layer types and their cost formulas",
                               styled=wants_style(sys.stdout)))
    return 0
