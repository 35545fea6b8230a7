"""How far cnncost bench can be trusted on this machine: repeatability, sum against whole, rank correlations.

For AlexNet, VGG-16 and ResNet-50 at batch 1 on the CPU, bench runs twice and this prints, per network and for
both timings (each layer in context, inside whole forward passes, and alone):
- how far per-layer medians move between the two runs (layers above 1 ms: median and worst relative change),
- the sum of per-layer medians against the whole forward pass (in context: the passes they were timed in),
- Spearman's rank correlation of measured time with MACs and with the roofline's prediction,
- whether the run called itself disturbed.
Goals: layers above 1 ms within 5% run to run, the in-context sum within 10% of the whole forward, a rank
correlation of at least 0.9 between predicted and measured time.

    python benchmarks/bench_stability.py [--min-time 0.2] [--networks alexnet vgg16 resnet50]
"""

from __future__ import annotations

import argparse
import statistics

import torch

import cnncost
from cnncost.torch.bench import bench
from cnncost.torch.device import cpu_name


def compare_runs(first, second, field: str) -> tuple[int, float | None, float | None, str]:
    """(layers above 1 ms, median and worst relative change of their medians, the worst layer)."""
    changes = []
    for a, b in zip(first.layers, second.layers, strict=True):
        x, y = getattr(a, field), getattr(b, field)
        if x and y and min(x, y) > 1e-3:
            changes.append((abs(x - y) / min(x, y), a.cost.name))
    if not changes:
        return 0, None, None, ""
    worst = max(changes)
    return len(changes), statistics.median(c for c, _ in changes), worst[0], worst[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--networks", nargs="+", default=["alexnet", "vgg16", "resnet50"])
    args = parser.parse_args()
    print(
        f"CPU: {cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
        f"min run time {args.min_time} s per layer\n"
    )
    header = (
        "network",
        "timing",
        "layers >1 ms",
        "median change",
        "worst change",
        "sum / whole",
        "rho MACs",
        "rho roof",
        "disturbed",
    )
    print("| " + " | ".join(header) + " |\n|" + "|".join(":--" if i < 2 else "--:" for i in range(len(header))) + "|")
    for name in args.networks:
        graph = cnncost.create(name)
        first = bench(graph, min_run_time=args.min_time)
        second = bench(graph, min_run_time=args.min_time)
        for label, field, in_context in (("in context", "in_context", True), ("alone", "median", False)):
            count, typical, worst, worst_layer = compare_runs(first, second, field)
            rho_macs, rho_roof = second.rank_correlations(in_context)
            whole = second.context_forward if in_context else second.forward_median
            total = second.context_sum if in_context else second.layer_sum
            ratio = total / whole if whole else float("nan")
            disturbed = f"{len(first.disturbed)}, {len(second.disturbed)} reasons"
            print(
                "| "
                + " | ".join(
                    [
                        name,
                        label,
                        str(count),
                        f"{typical:.1%}" if typical is not None else "n/a",
                        f"{worst:.1%} ({worst_layer})" if worst is not None else "n/a",
                        f"{ratio:.3f}",
                        f"{rho_macs:.3f}" if rho_macs is not None else "n/a",
                        f"{rho_roof:.3f}" if rho_roof is not None else "n/a",
                        disturbed,
                    ]
                )
                + " |"
            )


if __name__ == "__main__":
    main()
