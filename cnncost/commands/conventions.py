"""cnncost conventions NAME: the network's total as every tool counts it, and where each differs, by layer type."""

from __future__ import annotations


from .common import (MODEL_HELP, add_output_options, add_profile_options, emit_document, emit_records, output_format,
                     parse_batch)


def register(commands) -> None:
    parser = commands.add_parser("conventions", help="the total as torchinfo, fvcore, ptflops, thop, FlopCounterMode "
                                 "and papers count it, and where each differs, by layer type")
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
    from ..profiler import profile
    from ..conventions import CONVENTIONS

    result = profile(args.name, input=args.input, batch=parse_batch(args.batch), dtype=args.dtype)
    ours = by_type(result, CONVENTIONS["cnncost"].rule)
    records = []
    for convention in CONVENTIONS.values():
        theirs = by_type(result, convention.rule)
        differences = {op: theirs[op] - ours[op] for op in theirs if theirs[op] != ours[op]}
        records.append({"convention": convention.name, "tool": convention.tool, "unit": convention.unit,
                        "total": sum(theirs.values()), "differences": differences})
    fmt = output_format(args)
    if fmt in ("csv", "json"):
        if fmt == "csv":
            records = [{**{k: v for k, v in r.items() if k != "differences"},
                        "differences": "; ".join(f"{op} {d:+,}" for op, d in r["differences"].items())}
                       for r in records]
        emit_records(records, fmt, args.output)
        return 0
    from ..report.document import Document, Text, table

    base = records[0]["total"]
    rows = [[r["convention"], r["tool"], r["unit"], f"{r['total']:,}",
             f"{r['total'] / base:.4f}x" if base else "-",
             "; ".join(f"{op} {d:+,}" for op, d in r["differences"].items()) or "-"] for r in records]
    document = Document(f"{result.name}: multiply-adds as each tool counts them ({result.input_shape}, batch "
                        f"{result.batch})", (
        table(["convention", "tool", "unit", "total", "/ cnncost", "differs from cnncost's count, by layer type"],
              rows, [False, False, False, True, True, False], hide=("tool", "unit")),
        Text("Each total is the tool's own on the same network, layer by layer (cnncost.conventions); "
             "`cnncost table NAME --convention TOOL` shows a tool's count per layer. FLOPs are 2 per multiply-add.")))
    emit_document(document, fmt, args)
    return 0
