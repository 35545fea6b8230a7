"""cnncost list: every built-in network with its totals, then the blocks (parts of networks profiled alone)."""

from __future__ import annotations

from .. import units
from ..counting import COUNTING_RULES
from ..errors import CnnCostError
from ..profiler import profile
from ..report.document import Document, Text, table
from ..zoo import architecture, list_blocks, list_models
from .common import add_output_options, emit

COLUMNS = ("name", "family", "input", "layers", "params", "MACs", "FLOPs", "activation MB", "reference")
NUMERIC = (False, False, False, True, True, True, True, True, False)
HIDE = ("reference", "FLOPs", "family", "layers", "input")  # hidden first on a narrow terminal
TITLES = {
    "network": "Built-in architectures, batch 1, fp32, at their default input",
    "block": "Blocks (parts of networks, profiled alone), batch 1, fp32, at their default input",
}


def register(commands) -> None:
    parser = commands.add_parser("list", help="every built-in architecture with its totals")
    parser.add_argument("pattern", nargs="?", default="*", help="shell pattern on names, e.g. 'resnet*'")
    add_output_options(parser)
    parser.set_defaults(run=run)


def records(pattern: str) -> list[dict]:
    """One dict per registered network, then block, matching pattern, with its totals at its default input."""
    found = []
    for name in list_models(pattern) + list_blocks(pattern):
        result = profile(name)
        found.append(
            {
                "name": name,
                "kind": architecture(name).kind,
                "family": architecture(name).family,
                "input": str(result.input_shape),
                "layers": len(result.layers),
                "params": result.total.params,
                "macs": result.total.macs,
                "flops": result.total.flops,
                "activation_bytes": result.total.activation_bytes,
                "reference": architecture(name).reference,
            }
        )
    if not found:
        raise CnnCostError(f"no architecture matches {pattern!r}")
    return found


def run(args) -> int:
    found = records(args.pattern)

    def document() -> Document:
        tables = [
            table(COLUMNS, [human_row(r) for r in found if r["kind"] == kind], NUMERIC, title=title, hide=HIDE)
            for kind, title in TITLES.items()
            if any(r["kind"] == kind for r in found)
        ]
        return Document("cnncost list: built-in architectures and blocks", (*tables, Text(COUNTING_RULES)))

    emit(args, document, lambda: found)
    return 0


def human_row(record: dict) -> list[str]:
    """The cells of one record in the human table."""
    return [
        record["name"],
        record["family"],
        record["input"],
        str(record["layers"]),
        units.human(record["params"]),
        units.human(record["macs"]),
        units.human(record["flops"]),
        units.megabytes_value(record["activation_bytes"]),
        record["reference"],
    ]
