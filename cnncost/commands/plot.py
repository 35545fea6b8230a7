"""cnncost plot NAME | --compare A B ...: figures of where memory, parameters and MACs go, a roofline, a comparison."""

from __future__ import annotations

from pathlib import Path

from ..profiler import profile
from ..report import plots
from ..report.plots import require_matplotlib
from ..sources import load_source
from ..trace import require_torch
from .bench import timed
from .common import MODEL_HELP, UsageError, add_profile_options, parse_batch

VIEWS = ("auto", "layers", "stages")


def register(commands) -> None:
    parser = commands.add_parser(
        "plot",
        help="figures: per-layer memory, params and MACs; a roofline from a bench run; networks compared",
        description="Writes a PNG, SVG or PDF (from the suffix of -o). Needs matplotlib: pip install 'cnncost[plot]'.",
    )
    parser.add_argument("name", nargs="?", help=MODEL_HELP)
    parser.add_argument("-o", "--output", help="image file, .png, .svg or .pdf (default: NAME.png in this folder)")
    add_profile_options(parser)
    parser.add_argument(
        "--view",
        choices=VIEWS,
        default="auto",
        help="one bar per layer or per stage (layer1, layer2, ...); auto: stages above 40 layers",
    )
    parser.add_argument(
        "--depth",
        type=int,
        help="one bar per block at this depth of the layer names (1: layer1, stages.0 ...), containers opened",
    )
    parser.add_argument(
        "--compare", nargs="+", metavar="NAME", help="parameters against MACs for these networks (each as NAME above)"
    )
    parser.add_argument(
        "--roofline",
        action="store_true",
        help="time every layer (cnncost bench, needs torch) and place it under the measured roof",
    )
    parser.add_argument("--device", default="cpu", help="--roofline: cpu (default) or cuda")
    parser.add_argument("--min-time", default="0.05", help="--roofline: seconds of repeats per layer (default 0.05)")
    parser.add_argument("--threads", help="--roofline: CPU threads (default: torch's)")
    parser.add_argument(
        "--forward-time", help="--roofline: seconds of repeats of the whole forward pass (default: at least 1)"
    )
    parser.set_defaults(run=run)


def file_stem(name: str) -> str:
    """A file name for a model in this folder: 'resnet18', 'net' for sub/net.toml, 'net-Net' for sub/net.py:Net."""
    target, colon, attribute = name.rpartition(":")
    if not colon:
        target, attribute = name, ""
    stem = Path(target).stem if target.lower().endswith((".py", ".toml", ".json")) else target.rsplit("/", 1)[-1]
    return "-".join(part for part in (stem, attribute) if part)


def run(args) -> int:
    if bool(args.name) == bool(args.compare):
        raise UsageError("give an architecture name, or --compare and two or more names")
    if args.compare and args.roofline:
        raise UsageError("--roofline plots one network: give its name without --compare")
    batch = parse_batch(args.batch)
    stem = file_stem(args.name) if args.name else ""
    default = "compare.png" if args.compare else f"{stem}-roofline.png" if args.roofline else f"{stem}.png"
    path = args.output or default
    plots.image_format(path)  # a bad suffix fails before any work
    if args.compare:
        if len(args.compare) < 2:
            raise UsageError("--compare needs two or more names")
        found = [profile(name, input=args.input, batch=batch, dtype=args.dtype) for name in args.compare]
        figure = plots.compare_figure(found)
    elif args.roofline:
        figure = plots.roofline_figure(_bench(args, batch))
    else:
        if args.depth is not None and args.depth < 1:
            raise UsageError(f"--depth must be 1 or more, got {args.depth}")
        subject = profile(args.name, input=args.input, batch=batch, dtype=args.dtype)
        figure = plots.layer_figure(subject, args.view, args.depth)
    print(f"wrote {plots.save(figure, path)}")
    return 0


def _bench(args, batch: int):
    """A bench run of the network, for the roofline."""
    require_matplotlib()  # before minutes of timing
    require_torch()
    return timed(args, load_source(args.name, args.input, batch).graph, batch)  # a module is recorded at the batch
