"""Time every layer of a handful of built-in networks on this machine's CPU with `cnncost bench`, and save each run
with the roof it was measured against: the local runs the latency model's CPU calibration is fitted on (and, for
the networks it is not fitted on, checked against). Writes benchmarks/calibration/local/NAME.csv.

    python benchmarks/local_runs.py            # every network of NETWORKS
    python benchmarks/local_runs.py resnet18   # one
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from cnncost.sources import load_source
from cnncost.torch.bench import bench
from cnncost.torch.device import device_cache

OUT = Path(__file__).parent / "calibration" / "local"
NETWORKS = ("resnet18", "mobilenet_v2", "vgg11", "densenet121", "resnet50", "squeezenet1_1", "googlenet", "alexnet")
FIELDS = ("layer", "op", "in_context_s", "alone_s", "peak_flops", "bandwidth", "cache", "device_name", "threads")
FIELDS += ("torch",)


def run(name: str) -> Path:
    """One bench run of name at batch 1, fp32, written as CSV: each layer's times and the run's roof."""
    result = bench(load_source(name).graph, min_run_time=0.2)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.csv"
    cache = device_cache("cpu")[0] or ""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        for t in result.layers:
            writer.writerow(
                (t.cost.name, t.cost.op, t.in_context, t.median, result.roof.peak_flops, result.roof.bandwidth, cache)
                + (result.device.name, result.device.threads, result.device.torch_version)
            )
    forward = result.forward_median or 0.0
    print(f"{name}: forward {forward * 1e3:.2f} ms, layers in context {result.context_sum * 1e3:.2f} ms -> {path}")
    for reason in result.disturbed:
        print(f"  disturbed: {reason}")
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or NETWORKS:
        run(name)
