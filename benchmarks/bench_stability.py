"""How far cnncost bench can be trusted on this machine: repeatability, sum against whole, rank correlations.

For AlexNet, VGG-16 and ResNet-50 at batch 1 on the CPU, bench runs twice and this prints, per network:
- how far per-layer medians move between the two runs (layers above 1 ms: median and worst relative change),
- the sum of per-layer medians against the whole forward pass,
- Spearman's rank correlation of measured time with MACs and with the roofline's prediction.
Goals: layers above 1 ms within 5% run to run, the sum within 10% of the whole forward, a rank correlation
of at least 0.9 between predicted and measured time.

    python benchmarks/bench_stability.py [--min-time 0.2] [--networks alexnet vgg16 resnet50]
"""

from __future__ import annotations

import argparse
import statistics

import torch

import cnncost
from cnncost.torch.timing import bench, cpu_name


def compare_runs(first, second) -> tuple[int, float | None, float | None, str]:
    """(layers above 1 ms, median and worst relative change of their medians, the worst layer)."""
    changes = []
    for a, b in zip(first.layers, second.layers):
        if a.median and b.median and min(a.median, b.median) > 1e-3:
            changes.append((abs(a.median - b.median) / min(a.median, b.median), a.cost.name))
    if not changes:
        return 0, None, None, ""
    worst = max(changes)
    return len(changes), statistics.median(c for c, _ in changes), worst[0], worst[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=0.2)
    parser.add_argument("--networks", nargs="+", default=["alexnet", "vgg16", "resnet50"])
    args = parser.parse_args()
    print(f"CPU: {cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
          f"min run time {args.min_time} s per layer\n")
    header = ("network", "layers >1 ms", "median change", "worst change", "sum / whole", "rho MACs", "rho roof")
    print(" | ".join(header))
    for name in args.networks:
        graph = cnncost.create(name)
        first = bench(graph, min_run_time=args.min_time)
        second = bench(graph, min_run_time=args.min_time)
        count, typical, worst, worst_layer = compare_runs(first, second)
        rho_macs, rho_roof = second.rank_correlations()
        ratio = second.layer_sum / second.forward_median if second.forward_median else float("nan")
        print(" | ".join([
            name, str(count), f"{typical:.1%}" if typical is not None else "n/a",
            f"{worst:.1%} ({worst_layer})" if worst is not None else "n/a", f"{ratio:.3f}",
            f"{rho_macs:.3f}" if rho_macs is not None else "n/a", f"{rho_roof:.3f}" if rho_roof is not None else "n/a",
        ]))


if __name__ == "__main__":
    main()
