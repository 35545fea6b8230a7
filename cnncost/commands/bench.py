"""cnncost bench NAME: time every layer on the CPU or a GPU, beside the roofline's prediction."""

from __future__ import annotations

import sys

from .common import (MODEL_HELP, add_output_options, add_profile_options, emit_document, emit_records, output_format,
                     parse_batch, parse_positive)


def register(commands) -> None:
    parser = commands.add_parser("bench", help="time every layer on cpu or cuda against the roofline")
    parser.add_argument("name", help=MODEL_HELP)
    add_profile_options(parser)  # bench times fp32, fp16 and bf16
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", help="CPU threads (default: torch's)")
    parser.add_argument("--min-time", default="0.2", help="seconds of repeats per layer (default 0.2)")
    parser.add_argument("--remeasure-roof", action="store_true", help="measure the roof again, ignoring the cache")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    from ..torch import require_torch

    require_torch()
    from ..torch.timing import bench, cache_bytes, check_device
    from ..sources import load_source

    graph = load_source(args.name, args.input).graph
    batch = parse_batch(args.batch)
    threads = parse_positive(args.threads, "--threads", int) if args.threads else None
    min_time = parse_positive(args.min_time, "--min-time")
    check_device(args.device, args.dtype)
    with _progress(len(graph.nodes) + 2) as advance:
        result = bench(graph, input=args.input, batch=batch, device=args.device, dtype=args.dtype, threads=threads,
                       min_run_time=min_time, remeasure_roof=args.remeasure_roof, progress=advance)
    from ..report import timings as report

    cache = cache_bytes() if args.device == "cpu" else None
    fmt = output_format(args)
    if fmt in ("csv", "json"):
        emit_records(report.bench_records(result), fmt, args.output)
    else:
        emit_document(report.bench_document(result, cache), fmt, args)
    return 0


class _progress:
    """A rich progress bar on a terminal's stderr; silent elsewhere (CI, pipes)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True, console=None)
            self.bar.start()
            self.task = self.bar.add_task("timing", total=self.total)
        return self.advance

    def advance(self, label: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"timing {label}")

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
