"""How well the latency model predicts measurements nobody here made: every published timm inference benchmark
(huggingface/pytorch-image-models, results/benchmark-infer-*.csv), beside three naive predictors. Fits nothing but
the naive predictors' own constants; the calibration files are marked as such.

    python benchmarks/bench_latency.py RESULTS_FOLDER WORK_TABLE [--write-validation]

RESULTS_FOLDER holds the published files (a checkout's results/); WORK_TABLE is benchmarks/latency_features.py's
output for every model they time (benchmarks/calibration/timm-work.csv.gz holds the calibration files' models only).
--write-validation records each device kind's error on devices not fitted on in cnncost/targets/validation.toml,
the figure every prediction carries.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

from cnncost.targets import fit as fitting
from cnncost.targets.catalog import catalog
from cnncost.targets.latency import BOUNDS, calibrations, predict_work
from cnncost.targets.predict import VALIDATION

DEVICES = {  # the device part of a file name: its catalog id
    "rtx3090": "rtx-3090",
    "rtx4090": "rtx-4090",
    "4090": "rtx-4090",
    "5090": "rtx-5090",
    "pro6000maxq": "rtx-pro-6000-max-q",
    "i9_10940x": "i9-10940x",
    "i7_12700h": "i7-12700h",
}
CALIBRATION_FILES = {name for files in fitting.PUBLISHED.values() for name, _ in files}
FITTED_DEVICES = {device for files in fitting.PUBLISHED.values() for _, device in files}
# a device kind's stated error comes from runs made as its calibration's were: eager on GPUs, compiled on CPUs
FITTED_COMPILED = {group: files[0][0].endswith("-dynamo.csv") for group, files in fitting.PUBLISHED.items()}


def same_run(name: str, compiled: bool, group: str) -> bool:
    """A file run as its group's calibration file was: compiled or not, NCHW."""
    return compiled == FITTED_COMPILED[group] and "-nhwc-" not in name


def as_calibrated(name: str, device_id: str, compiled: bool, group: str) -> bool:
    """A file of a device not fitted on, run as its group's calibration file was."""
    return device_id not in FITTED_DEVICES and same_run(name, compiled, group)


def local_machine() -> str:
    """The machine the local runs were made on: 'AMD EPYC, 2 threads'."""
    with next((fitting.DATA / "local").glob("*.csv")).open(newline="") as handle:
        row = next(csv.DictReader(handle))
    return f"{row['device_name']}, {row['threads']} threads"


def local_check(calibration) -> np.ndarray | None:
    """Each local run against the `local` calibration, layer by layer and whole (printed as a table); returns
    |predicted / measured - 1| of the whole network for the runs it was not fitted on."""
    errors = []
    header = ("network", "", "layers", "predicted ms", "measured ms (in context)", "error", "Spearman, layers")
    print("| " + " | ".join((*header, "median error, layers")) + " |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for path in sorted((fitting.DATA / "local").glob("*.csv")):
        batch, machine = fitting.local_run(path)
        seconds, _ = predict_work(batch.work, machine, "fp32", calibration)
        predicted, measured = float(seconds.sum()), float(batch.measured.sum())
        layers = fitting.accuracy(seconds, batch.measured)
        fitted = path.stem in fitting.LOCAL_FITTED
        cells = [path.stem, "**fitted**" if fitted else "", str(layers.models), f"{predicted * 1e3:.2f}"]
        cells += [f"{measured * 1e3:.2f}", f"{predicted / measured - 1:+.1%}", f"{layers.spearman:.3f}"]
        print("| " + " | ".join([*cells, f"{layers.median_error:.1%}"]) + " |")
        if not fitted:
            errors.append(abs(predicted / measured - 1))
    print()
    return np.array(errors) if errors else None


def device_of(name: str) -> tuple[str, bool]:
    """The catalog id of a file's device, and whether the run was compiled (torch.compile: '-dynamo')."""
    rest = fitting.FILE_NAME.fullmatch(name)["rest"]  # type: ignore[index]
    compiled = rest.endswith("-dynamo")
    part = rest.removesuffix("-dynamo").split("-")[-1]
    return DEVICES[part], compiled


def macs_constant(batch: fitting.Batch, target, dtype: str) -> float:
    """Seconds per MAC on the calibration device, scaled to 1 / matrix peak: the median over its models."""
    macs = batch.totals(batch.work.macs)
    rate = target.matrix_rate(dtype, "conv")[0]
    return float(np.median(batch.measured / macs)) * rate


def worst(batch: fitting.Batch, predicted: np.ndarray, bounds: np.ndarray, seconds: np.ndarray, n: int = 10):
    """The n models predicted furthest from their measurement (by |log ratio|), each with its dominant bound."""
    ratios = predicted / batch.measured
    share = np.zeros((len(batch.keys), len(BOUNDS)))
    np.add.at(share, (batch.model, bounds), seconds * batch.count)
    order = np.argsort(-np.abs(np.log(ratios)))[:n]
    return [(batch.keys[i][0], float(ratios[i]), BOUNDS[int(np.argmax(share[i]))]) for i in order]


def ablation(results: Path, work) -> None:
    """What each part of the model adds: each variant fitted on the calibration file, its median error on the files
    of devices it was not fitted on (run as the calibration was)."""
    devices = catalog()
    variants = (
        ("simple layers: an efficiency per kind, one for memory", dict(simple=True)),
        ("+ a memory efficiency per kind", dict(fixed={"depth_half": 0.0, "overhead": 0.0})),
        ("+ the reduction depth", dict(fixed={"overhead": 0.0})),
        ("+ a cost per kernel (the shipped model)", {}),
        ("+ the last cache (not shipped)", dict(last_cache=True)),
    )
    for group, files in fitting.PUBLISHED.items():
        name, device = files[0]
        measured = fitting.read_measurements(results / name)
        batch = fitting.batch_of(measured, work)
        checked = []  # the files of devices not fitted on, run as the calibration was
        for path in sorted(results.glob("benchmark-infer-*.csv")):
            device_id, compiled = device_of(path.name)
            target = devices[device_id]
            if target.group == group and as_calibrated(path.name, device_id, compiled, group):
                other = fitting.read_measurements(path)
                checked.append((path.name, fitting.batch_of(other, work), target, other.dtype))
        print(f"| {group}: model | " + " | ".join(n.removeprefix("benchmark-infer-") for n, *_ in checked) + " |")
        print("|---|" + "---:|" * len(checked))
        for label, options in variants:
            fitted = fitting.fit([(batch, devices[device], measured.dtype)], group, **options)
            cells = []
            for _, other, target, dtype in checked:
                seconds, _ = predict_work(other.work, target, dtype, fitted)
                cells.append(f"{fitting.accuracy(other.totals(seconds), other.measured).median_error:.1%}")
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--write-validation", action="store_true")
    args = parser.parse_args()
    work = fitting.read_work(args.work)
    ablation(args.results, work)
    shipped = calibrations()
    devices = catalog()
    # the naive predictors' constants, fitted on each group's published calibration file
    simple, per_mac = {}, {}
    for group, files in fitting.PUBLISHED.items():
        name, device = files[0]
        measured = fitting.read_measurements(args.results / name)
        batch = fitting.batch_of(measured, work)
        simple[group] = fitting.fit([(batch, devices[device], measured.dtype)], group, simple=True)
        per_mac[group] = macs_constant(batch, devices[device], measured.dtype)
    rows, worst_lists, by_kind, by_device = [], {}, {}, {}
    for path in sorted(args.results.glob("benchmark-infer-*.csv")):
        device_id, compiled = device_of(path.name)
        target = devices[device_id]
        measured = fitting.read_measurements(path)
        batch = fitting.batch_of(measured, work)
        dtype = measured.dtype
        seconds, bounds = predict_work(batch.work, target, dtype, shipped[target.group])
        ours = batch.totals(seconds)
        naive = {
            "∝ MACs": batch.totals(batch.work.macs) * per_mac[target.group] / target.matrix_rate(dtype, "conv")[0],
            "roofline": fitting.roofline_totals(batch, target, dtype),
            "simple layers": batch.totals(predict_work(batch.work, target, dtype, simple[target.group])[0]),
        }
        found = fitting.accuracy(ours, batch.measured)
        fitted = path.name in CALIBRATION_FILES
        row = [path.name, device_id, "compiled" if compiled else "eager", "**fitted**" if fitted else "", found]
        row += [fitting.accuracy(values, batch.measured) for values in naive.values()]
        rows.append(row)
        worst_lists[path.name] = worst(batch, ours, bounds, seconds)
        errors = np.abs(ours / batch.measured - 1)
        if as_calibrated(path.name, device_id, compiled, target.group):
            by_kind.setdefault(target.kind, []).append((device_id, errors, dtype))
        elif device_id in FITTED_DEVICES and not fitted and same_run(path.name, compiled, target.group):
            by_device.setdefault(device_id, []).append((path.name, errors, dtype))
    local = local_check(shipped["local"])
    if local is not None:
        by_kind["local-cpu"] = [(local_machine(), local, "fp32")]
    print(
        "| file | device | run | | models | Spearman | median error | within ±25% | ∝ MACs | roofline | simple layers |"
    )
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, device_id, run, fitted, found, *naive_found in rows:
        cells = [name, device_id, run, fitted, str(found.models), f"{found.spearman:.3f}"]
        cells += [f"{found.median_error:.1%}", f"{found.within_25:.0%}"]
        cells += [f"{n.median_error:.1%} ({n.spearman:.2f})" for n in naive_found]
        print("| " + " | ".join(cells) + " |")
    print()
    for name, found in worst_lists.items():
        print(f"- {name}: " + ", ".join(f"{model} {ratio:.2f}x ({bound})" for model, ratio, bound in found))
    kinds = {}
    for kind, parts in by_kind.items():
        errors = np.concatenate([e for _, e, _ in parts])
        devices_named = sorted({d for d, _, _ in parts})
        (dtype,) = {d for _, _, d in parts}  # one precision per kind: the one its error is stated at
        kinds[kind] = {
            "median_error": round(float(np.median(errors)), 4),
            "within_25": round(float(np.mean(errors <= 0.25)), 4),
            "models": int(len(errors)),
            "devices": ", ".join(devices_named),
            "dtype": dtype,
        }
        runs = f"{len(errors):,} runs on {', '.join(devices_named)} at {dtype}"
        print(f"\n{kind}: median error {np.median(errors):.1%} over {runs}")
    devices = {}  # the devices fitted on: their other published files (other torch versions), not fitted on
    for device_id, parts in by_device.items():
        errors = np.concatenate([e for _, e, _ in parts])
        (dtype,) = {d for _, _, d in parts}
        devices[device_id] = {
            "median_error": round(float(np.median(errors)), 4),
            "within_25": round(float(np.mean(errors <= 0.25)), 4),
            "models": int(len(errors)),
            "files": ", ".join(name for name, _, _ in parts),
            "devices": device_id,
            "dtype": dtype,
        }
        runs = f"{len(errors):,} runs of its other files"
        print(f"\n{device_id} (fitted on): median error {np.median(errors):.1%} over {runs}")
    kinds["devices"] = devices
    if args.write_validation:
        import tomli_w

        header = (
            "# Each device kind's measured error on devices the latency model was not fitted on: bench_latency.py\n"
        )
        VALIDATION.write_text(header + tomli_w.dumps(kinds))
        print(f"\nwrote {VALIDATION}")
    return 0 if all(math.isfinite(row[4].median_error) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
