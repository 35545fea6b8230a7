"""cnncost conventions NAME: the network's total as every tool counts it, and where each differs, by layer type; a
tool whose rule cannot count some layers shows its total as a lower bound (+?) and names them."""

from __future__ import annotations

from typing import TypedDict

from ..conventions import CONVENTIONS, Convention, convention, unknown_text
from ..profiler import profile
from ..report.document import Document, Text, table
from .common import MODEL_HELP, add_output_options, add_profile_options, emit, parse_batch


class ToolTotal(TypedDict):
    """One convention's total on the network, how much it differs from cnncost's count per layer type, and the
    layers it cannot count (its total leaves them out)."""

    convention: str
    tool: str
    unit: str
    total: int
    complete: bool
    unknown: list[str]
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


def by_type(result, chosen: Convention) -> dict[str, int]:
    """The convention's count summed per layer type, of the layers it can count."""
    found: dict[str, int] = {}
    for cost, count in zip(result.layers, chosen.counts(result), strict=True):
        found[cost.op] = found.get(cost.op, 0) + (count or 0)
    return found


def tool_total(result, chosen: Convention, ours: dict[str, int]) -> ToolTotal:
    """The convention's record: total, completeness, and its differences from cnncost's count by layer type."""
    theirs = by_type(result, chosen)
    unknown = list(chosen.unknown(result))
    return {
        "convention": chosen.name,
        "tool": chosen.tool,
        "unit": chosen.unit,
        "total": sum(theirs.values()),
        "complete": not unknown,
        "unknown": unknown,
        "differences": {op: theirs[op] - ours[op] for op in theirs if theirs[op] != ours[op]},
    }


def run(args) -> int:
    result = profile(args.name, input=args.input, batch=parse_batch(args.batch), dtype=args.dtype)
    ours = by_type(result, CONVENTIONS["cnncost"])
    found = [tool_total(result, chosen, ours) for chosen in CONVENTIONS.values()]

    def flat() -> list[dict]:
        """The records with their differences and unknown layers as one cell of text each, for CSV."""
        return [
            {**{k: v for k, v in r.items() if k not in ("differences", "unknown")}, "differences": _differences(r)}
            | {"unknown": " ".join(r["unknown"])}
            for r in found
        ]

    def document() -> Document:
        base = found[0]["total"]
        rows = [
            [
                r["convention"],
                r["tool"],
                r["unit"],
                f"{r['total']:,}" + ("" if r["complete"] else " +?"),
                f"{r['total'] / base:.4f}x" if base else "-",
                _differences(r) or "-",
            ]
            for r in found
        ]
        partial = [r for r in found if not r["complete"]]
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
                *(Text(_unknown_line(r)) for r in partial),
            ),
        )

    emit(args, document, flat, data=lambda: found)
    return 0


def _differences(record: ToolTotal) -> str:
    """'conv2d +1,000; linear -5' for a record's differences from cnncost's count."""
    return "; ".join(f"{op} {d:+,}" for op, d in record["differences"].items())


def _unknown_line(record: ToolTotal) -> str:
    """'+? 3 layer(s) have no count under the 'ptflops' convention, so its total is a lower bound: … (why)'."""
    return f"+? {unknown_text(convention(record['convention']), record['unknown'])}"
