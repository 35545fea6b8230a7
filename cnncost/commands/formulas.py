"""cnncost formulas: each layer type, its attributes and the formula that costs it."""

from __future__ import annotations

from ..layers import layer_types
from ..report.document import Document, table
from .common import add_output_options, emit

HEADERS = ("type", "inputs", "attributes", "formula (per sample)")


def register(commands) -> None:
    parser = commands.add_parser("formulas", help="every layer type and the formula that costs it")
    add_output_options(parser)
    parser.set_defaults(run=run)


def records() -> list[dict]:
    """One record per registered layer type: its name, arity, attributes and the first paragraph of its formula."""
    return [
        {
            "type": name,
            "inputs": "any" if spec.arity is None else str(spec.arity),
            "attributes": ", ".join(spec.attributes),
            "formula": " ".join(spec.doc.split("\n\n")[0].split()),
        }
        for name, spec in sorted(layer_types().items())
    ]


def run(args) -> int:
    found = records()

    def document() -> Document:
        rows = [list(record.values()) for record in found]
        return Document(
            "Layer types and their cost formulas",
            (table(HEADERS, rows, (False, True, False, False), hide=("inputs", "attributes")),),
        )

    emit(args, document, lambda: found)
    return 0
