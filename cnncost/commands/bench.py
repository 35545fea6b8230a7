"""cnncost bench NAME: time every layer on the CPU or a GPU, beside the roofline's prediction."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from ..report.timings import bench_document, bench_records, folded_timings
from ..sources import load_source
from ..trace import require_torch
from .common import (
    MODEL_HELP,
    RECORD_FORMATS,
    UsageError,
    add_output_options,
    add_profile_options,
    emit,
    parse_batch,
    parse_positive,
)


def register(commands) -> None:
    parser = commands.add_parser("bench", help="time every layer on cpu or cuda against the roofline")
    parser.add_argument("name", help=MODEL_HELP)
    add_profile_options(parser)  # bench times fp32, fp16 and bf16
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    parser.add_argument("--threads", help="CPU threads (default: torch's, one per core)")
    parser.add_argument("--min-time", default="0.2", help="seconds of repeats per layer (default 0.2)")
    parser.add_argument(
        "--forward-time",
        help="seconds of repeats of the whole forward pass, before and after the "
        "layers (default: --min-time, and at least 1; less is quicker and noisier)",
    )
    parser.add_argument("--remeasure-roof", action="store_true", help="measure the roof again, ignoring the cache")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the run itself: every time finite and positive, the in-context layers summing to "
        "the whole forward within 10%%, settings recorded; on CUDA also the events synchronised and "
        "the peak memory against cnncost's; prints PASS or FAIL for each, exit 1 on a FAIL (on a "
        "machine without CUDA, --device cuda --check says SKIP)",
    )
    parser.add_argument(
        "--depth", type=int, help="one row per block at this depth of the layer names (layer1, ...), its times added up"
    )
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    require_torch()
    from ..torch.bench import cuda_memory_check, self_check  # torch: imported once the command needs it
    from ..torch.device import device_cache, is_cuda

    if args.check and is_cuda(args.device) and not require_torch().cuda.is_available():
        print(f"SKIP  bench --check on {args.device}: no CUDA device here (torch.cuda.is_available() is False)")
        return 0

    batch = parse_batch(args.batch)
    if args.depth is not None and args.depth < 1:
        raise UsageError(f"--depth must be 1 or more, got {args.depth}")
    graph = load_source(args.name, args.input, batch).graph  # a torch module is recorded at the batch
    with _progress(len(graph.nodes) + 2) as advance:
        result = timed(args, graph, batch, advance)
    cache, cache_name = device_cache(args.device)
    shown = (
        result if args.depth is None else dataclasses.replace(result, layers=folded_timings(result.layers, args.depth))
    )
    fmt = emit(args, lambda: bench_document(shown, cache, cache_name), lambda: bench_records(shown))
    if not args.check:
        return 0
    checks = self_check(result)
    if is_cuda(args.device):
        checks.append(cuda_memory_check(graph, result.profile, args.device, result.profile.dtype))
    stream = sys.stderr if args.output is None and fmt in RECORD_FORMATS else sys.stdout  # never inside the data
    for status, what, figures in checks:
        print(f"{status:<5} {what}: {figures}", file=stream)
    return 1 if any(status == "FAIL" for status, _, _ in checks) else 0


def timed(args, graph, batch: int, progress=None):
    """The bench run the options ask for (--device, --dtype, --threads, --min-time, --forward-time, and bench's
    --remeasure-roof), on a graph loaded at the batch."""
    from ..torch.bench import bench
    from ..torch.device import check_device

    threads = parse_positive(args.threads, "--threads", int) if args.threads else None
    min_time = parse_positive(args.min_time, "--min-time")
    forward_time = parse_positive(args.forward_time, "--forward-time") if args.forward_time else None
    dtype = args.dtype or graph.dtype or "fp32"  # a torch module's own, unless asked
    check_device(args.device, dtype)
    return bench(
        graph,
        input=args.input,
        batch=batch,
        device=args.device,
        dtype=dtype,
        threads=threads,
        min_run_time=min_time,
        remeasure_roof=getattr(args, "remeasure_roof", False),
        progress=progress,
        forward_min_time=forward_time,
    )


class _progress:
    """A rich progress bar on a terminal's stderr; silent elsewhere (CI, pipes)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None  # a rich Progress on a terminal

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
