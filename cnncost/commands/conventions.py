"""cnncost conventions NAME: the network's total as every tool counts it, and where each differs, by layer type."""

from __future__ import annotations

from typing import TypedDict

from ..conventions import CONVENTIONS
from ..profiler import profile
from ..report.document import Document, Text, table
from .common import MODEL_HELP, add_output_options, add_profile_options, emit, parse_batch


class ToolTotal(TypedDict):
    """One convention's total on the network, and how much it differs from cnncost's count per layer type."""

    convention: str
    tool: str
    unit: str
    total: int
    differences: dict[str, int]


def register(commands) -> None:
    others = ", ".join(name for name in CONVENTIONS if name != "cnncost")
    parser = commands.add_parser(
        "conventions", help=f"the total as every other tool counts it ({others}), and where each differs, by layer type"
    )
    parser.add_argument("name", help=MODEL_HELP)
    add_profile_options(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def by_type(result, rule) -> dict[str, int]:
    """The rule's count summed per layer type."""
    found: dict[str, int] = {}
    for cost in result.layers:
        found[cost.op] = found.get(cost.op, 0) + rule(cost)
    return found


def run(args) -> int:
    result = profile(args.name, input=args.input, batch=parse_batch(args.batch), dtype=args.dtype)
    ours = by_type(result, CONVENTIONS["cnncost"].rule)
    found: list[ToolTotal] = []
    for convention in CONVENTIONS.values():
        theirs = by_type(result, convention.rule)
        differences = {op: theirs[op] - ours[op] for op in theirs if theirs[op] != ours[op]}
        found.append(
            {
                "convention": convention.name,
                "tool": convention.tool,
                "unit": convention.unit,
                "total": sum(theirs.values()),
                "differences": differences,
            }
        )

    def flat() -> list[dict]:
        """The records with their differences as one cell of text, for CSV."""
        return [{**{k: v for k, v in r.items() if k != "differences"}, "differences": _differences(r)} for r in found]

    def document() -> Document:
        base = found[0]["total"]
        rows = [
            [
                r["convention"],
                r["tool"],
                r["unit"],
                f"{r['total']:,}",
                f"{r['total'] / base:.4f}x" if base else "-",
                _differences(r) or "-",
            ]
            for r in found
        ]
        return Document(
            f"{result.name}: multiply-adds as each tool counts them ({result.input_shape}, batch {result.batch})",
            (
                table(
                    ["convention", "tool", "unit", "total", "/ cnncost", "differs from cnncost's count, by layer type"],
                    rows,
                    [False, False, False, True, True, False],
                    hide=("tool", "unit"),
                ),
                Text(
                    "Each total is the tool's own on the same network, layer by layer (cnncost.conventions); "
                    "`cnncost table NAME --convention TOOL` shows a tool's count per layer. FLOPs are 2 per "
                    "multiply-add."
                ),
            ),
        )

    emit(args, document, flat, data=lambda: found)
    return 0


def _differences(record: ToolTotal) -> str:
    """'conv2d +1,000; linear -5' for a record's differences from cnncost's count."""
    return "; ".join(f"{op} {d:+,}" for op, d in record["differences"].items())
