"""The work of every timm model in the published timing files, layer by layer, for fitting and checking the latency
model without timm at hand: benchmarks/calibration/timm-work.csv.gz.

Needs timm (pip install timm) beside cnncost and torch. Each model is made on the meta device (no weights) and
profiled at the image size and batch of every file that times it. Layers of one model with the same work are one
row with a count.

    python benchmarks/latency_features.py results/*.csv
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
import sys
import time
import warnings
from pathlib import Path

import timm
import torch

import cnncost
from cnncost.targets.work import layer_work

OUT = Path(__file__).parent / "calibration" / "timm-work.csv.gz"
FIELDS = ("model", "img_size", "batch", "kind", "flops", "macs", "read", "write", "weights", "count")


def wanted(files: list[str]) -> dict[str, set[tuple[int, int]]]:
    """Every model's (image size, batch) over the files."""
    found: dict[str, set[tuple[int, int]]] = collections.defaultdict(set)
    for path in files:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                if not row["infer_batch_size"]:
                    continue  # a model the file lists without a measurement
                found[row["model"]].add((int(float(row["infer_img_size"])), int(float(row["infer_batch_size"]))))
    return found


def rows_of(name: str, sizes: set[tuple[int, int]]) -> list[tuple]:
    with torch.device("meta"):
        model = timm.create_model(name)
    result = []
    for size, batch in sorted(sizes):
        profile = cnncost.profile(model, input=(3, size, size), batch=batch)
        works = collections.Counter(w for w in map(layer_work, profile.layers) if w is not None)
        result += [(name, size, batch, *work, count) for work, count in works.items()]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("-o", "--output", required=True, help=f"the work table to write (the shipped one: {OUT})")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    models = wanted(args.files)
    failed = {}
    start = time.perf_counter()
    with gzip.GzipFile(args.output, "wb", mtime=0) as raw, io.TextIOWrapper(raw, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        for i, (name, sizes) in enumerate(sorted(models.items())):
            try:
                writer.writerows(rows_of(name, sizes))
            except Exception as error:  # noqa: BLE001  a model timm or cnncost cannot make: listed, not fatal
                failed[name] = f"{type(error).__name__}: {str(error).splitlines()[0][:150] if str(error) else ''}"
            if i % 100 == 0:
                print(f"{i}/{len(models)} models, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(f"{len(models) - len(failed)} of {len(models)} models profiled in {time.perf_counter() - start:.0f} s")
    for name, why in sorted(failed.items()):
        print(f"not profiled: {name}: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
