"""cnncost reproduce TOPIC: a published table beside cnncost's, number by number, with a verdict for each."""

from __future__ import annotations


from .common import UsageError, add_output_options, emit_document, emit_records, output_format

TOPICS = ("alexnet", "stem", "bottleneck", "networks", "all")


def register(commands) -> None:
    parser = commands.add_parser(
        "reproduce", help="published tables beside cnncost's, with a verdict for every number",
        description="alexnet: the lecture's AlexNet table; stem: GoogLeNet's stem against VGG-16 to 28x28; "
                    "bottleneck: the block comparisons; networks: whole-network totals; all: every report, written "
                    "to --dir as Markdown and CSV with an index.")
    parser.add_argument("topic", choices=TOPICS)
    parser.add_argument("--dir", default="reports", help="where 'all' writes its files (default: reports)")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from .. import reference

    if args.topic == "all":
        if args.output or args.format:
            raise UsageError("reproduce all writes a folder of Markdown and CSV files: give --dir, not -o or --format")
        for path in reference.write_all(args.dir):
            print(f"wrote {path}")
        from ..report.plots import write_report_plots

        for path in write_report_plots(args.dir):
            print(f"wrote {path}")
        return 0
    report = reference.build(args.topic)
    fmt = output_format(args)
    if fmt in ("csv", "json"):
        from ..reference.checks import RECORD_COLUMNS

        emit_records(report.records(), fmt, args.output, RECORD_COLUMNS)
    else:
        emit_document(report.document, fmt, args)
    return 0
