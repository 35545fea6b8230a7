"""cnncost reproduce TOPIC: a published table beside cnncost's, number by number, with a verdict for each."""

from __future__ import annotations

from pathlib import Path

from .. import reproductions
from ..profiler import profile
from ..report.plots import COMPARED_NETWORKS, REPORT_NETWORKS, compare_figure, layer_figure, save
from ..reproductions.checks import RECORD_COLUMNS
from .common import UsageError, add_output_options, emit

TOPICS = ("alexnet", "stem", "bottleneck", "networks", "all")


def register(commands) -> None:
    parser = commands.add_parser(
        "reproduce",
        help="published tables beside cnncost's, with a verdict for every number",
        description="alexnet: the lecture's AlexNet table; stem: GoogLeNet's stem against VGG-16 to 28x28; "
        "bottleneck: the block comparisons; networks: whole-network totals; all: every report, written "
        "to --dir as Markdown and CSV with an index.",
    )
    parser.add_argument("topic", choices=TOPICS)
    parser.add_argument("--dir", default="reports", help="where 'all' writes its files (default: reports)")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.topic == "all":
        if args.output or args.format:
            raise UsageError("reproduce all writes a folder of Markdown and CSV files: give --dir, not -o or --format")
        for path in reproductions.write_all(args.dir):
            print(f"wrote {path}")
        for path in write_report_plots(args.dir):
            print(f"wrote {path}")
        return 0
    report = reproductions.build(args.topic)
    emit(args, lambda: report.document, report.records, columns=RECORD_COLUMNS)
    return 0


def write_report_plots(folder: str) -> list[Path]:
    """The layer figures of AlexNet, VGG-16 and ResNet-50 and the comparison across networks, as PNG in folder."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = [save(layer_figure(profile(name)), target / f"{name}.png") for name in REPORT_NETWORKS]
    written.append(save(compare_figure([profile(name) for name in COMPARED_NETWORKS]), target / "compare.png"))
    return written
