"""Fitting the latency model's parameters on measured throughputs, and measuring how well it predicts them.

A measurement file is a published timm benchmark (model, image size, batch, samples per second); a work table holds
each model's layers at that size and batch (benchmarks/latency_features.py writes it). Both are plain CSV, so the
fit runs without timm or torch: `python -m cnncost.targets.fit` refits the shipped calibration from
benchmarks/calibration and prints it (scipy needed: pip install -e '.[test]').
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .catalog import Target
from .latency import COMPUTE_KINDS, Calibration, Work, predict_work, roofline_seconds
from .work import KINDS

FILE_NAME = re.compile(
    r"benchmark-infer-(?P<precision>[a-z0-9_]+)-(?P<layout>nchw|nhwc)-pt(?P<torch>\d+)-(?P<rest>.+)\.csv"
)
PRECISIONS = {"amp": "fp16", "fp32": "fp32", "bf16": "bf16", "amp_bf16": "bf16"}  # AMP: fp16 convolutions and products
WIDTHS = {"fp16": 2, "bf16": 2, "fp32": 4}
MEMORY_KINDS = tuple(kind for kind in KINDS if kind != "unknown")  # unknown ops move data at elementwise's rate


@dataclass(frozen=True)
class Measured:
    """One published file: its name, dtype, and per model (model, image size, batch) the seconds per batch."""

    name: str
    dtype: str
    seconds: dict[tuple[str, int, int], float]


def read_measurements(path: Path) -> Measured:
    """A published timm benchmark file: seconds per batch = batch / samples per second, for every timed model."""
    found = FILE_NAME.fullmatch(path.name)
    if not found:
        raise ValueError(f"{path.name}: not a timm benchmark-infer file name")
    seconds = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rate, batch = row["infer_samples_per_sec"], row["infer_batch_size"]
            if rate and batch and float(rate) > 0:
                key = (row["model"], int(float(row["infer_img_size"])), int(float(batch)))
                seconds[key] = int(float(batch)) / float(rate)
    return Measured(path.name, PRECISIONS[found["precision"]], seconds)


def read_work(path: Path) -> dict[tuple[str, int, int], np.ndarray]:
    """The work table: per (model, image size, batch) an array of rows kind, flops, macs, read, write, weights,
    count."""
    rows: dict[tuple[str, int, int], list[list[float]]] = {}
    with gzip.open(path, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row["model"], int(row["img_size"]), int(row["batch"]))
            values = [KINDS.index(row["kind"]), *(float(row[k]) for k in ("flops", "macs", "read", "write", "weights"))]
            rows.setdefault(key, []).append([*values, float(row["count"])])
    return {key: np.array(values) for key, values in rows.items()}


@dataclass(frozen=True)
class Batch:
    """The layers of many measured models as one Work, each layer with its model's index and repeat count."""

    work: Work
    model: np.ndarray
    count: np.ndarray
    keys: list[tuple[str, int, int]]
    measured: np.ndarray  # seconds per batch, per model
    weight: np.ndarray | None = None  # of each model's error in the fit; None: all alike

    def totals(self, seconds: np.ndarray) -> np.ndarray:
        """Seconds per model: its layers' seconds × their counts, summed."""
        return np.bincount(self.model, weights=seconds * self.count, minlength=len(self.keys))


def batch_of(measured: Measured, work: dict[tuple[str, int, int], np.ndarray]) -> Batch:
    """The measured models that have a work table, as one Batch at the file's dtype."""
    keys = [key for key in measured.seconds if key in work]
    tables = [work[key] for key in keys]
    rows = np.concatenate(tables)
    width = WIDTHS[measured.dtype]
    return Batch(
        work=Work(
            kind=rows[:, 0].astype(int),
            flops=rows[:, 1],
            macs=rows[:, 2],
            written=rows[:, 4],
            moved=(rows[:, 3] + rows[:, 4] + rows[:, 5]) * width,
            read=rows[:, 3] * width,
        ),
        model=np.repeat(np.arange(len(keys)), [len(table) for table in tables]),
        count=rows[:, 6],
        keys=keys,
        measured=np.array([measured.seconds[key] for key in keys]),
    )


# --- the parameters as one vector of logarithms, for the optimizer ------------------------------------------------


def unpack(x: np.ndarray, group: str, simple: bool = False) -> Calibration:
    """A Calibration from log-parameters: compute efficiency per compute kind, memory efficiency per kind (one for
    all in the simple model), depth_half and overhead (none in the simple model)."""
    values = iter(np.exp(x).tolist())
    compute = {kind: next(values) for kind in COMPUTE_KINDS}
    if simple:
        shared = next(values)
        return Calibration(group, compute, dict.fromkeys(MEMORY_KINDS, shared), depth_half=0.0, overhead=0.0)
    memory = {kind: next(values) for kind in MEMORY_KINDS}
    return Calibration(group, compute, memory, depth_half=next(values), overhead=next(values))


# The highest compute efficiency: 1 for a device rated by its datasheet, whose peak no kernel can beat. This
# machine's roof is a large matrix product's measured rate, and oneDNN's 3x3 convolutions here outrun it by about 2x
# (resnet50's layer1.0.conv2: 231 MFLOP in 0.565 ms, 409 GFLOP/s, against a roof of 213 GFLOP/s; a Winograd
# algorithm does fewer multiplications than the FLOPs counted): up to 2.5 for `local`.
CEILING = {"local": 2.5}
# The longest cost per kernel. The published GPU timings are at batch 1024, where that cost is hidden behind the
# work: fitted freely it takes 32 µs and stands in for something else, which would make every small batch slow.
# A kernel's launch and torch's dispatch from Python take a few µs: for GPUs it is held to 10 µs.
MAX_OVERHEAD = {"gpu": 1e-5}


def start(group: str, simple: bool = False) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Where the search begins (half the peak, a depth of 64, 5 µs per kernel) and each parameter's bounds."""
    compute = (math.log(1e-4), math.log(CEILING.get(group, 1.0)))
    memory = (math.log(1e-4), 0.0)
    x = [math.log(0.5)] * (len(COMPUTE_KINDS) + (1 if simple else len(MEMORY_KINDS)))
    bounds = [compute] * len(COMPUTE_KINDS) + [memory] * (1 if simple else len(MEMORY_KINDS))
    if not simple:
        x += [math.log(64.0), math.log(5e-6)]
        bounds += [(math.log(1e-2), math.log(1e5)), (math.log(1e-9), math.log(MAX_OVERHEAD.get(group, 1e-2)))]
    return np.array(x), bounds


def log_errors(batches: Iterable[tuple[Batch, Target, str]], calibration: Calibration) -> np.ndarray:
    """log(predicted / measured) of every model of every batch."""
    errors = []
    for batch, target, dtype in batches:
        seconds, _ = predict_work(batch.work, target, dtype, calibration)
        errors.append(np.log(batch.totals(seconds) / batch.measured))
    return np.concatenate(errors)


def weights(batches: Iterable[tuple[Batch, Target, str]]) -> np.ndarray:
    """Each model's weight in the fit, in log_errors' order."""
    return np.concatenate([np.ones(len(b.keys)) if b.weight is None else b.weight for b, _, _ in batches])


def fit(
    batches: list[tuple[Batch, Target, str]],
    group: str,
    simple: bool = False,
    fixed: dict[str, float] | None = None,
    last_cache: bool = False,
) -> Calibration:
    """The parameters that minimise the mean squared log error of the predicted totals (L-BFGS-B from a fixed
    start: the same data give the same parameters). fixed holds depth_half or overhead at a value (to see what
    each part of the model adds: depth_half 0 is no depth term, overhead 0 no cost per kernel); last_cache credits
    the device's last cache (Calibration.last_cache)."""
    from scipy.optimize import minimize  # only to fit: the shipped calibration needs no scipy

    weight = weights(batches)

    def calibration(x: np.ndarray) -> Calibration:
        return dataclasses.replace(unpack(x, group, simple), last_cache=last_cache)

    def loss(x: np.ndarray) -> float:
        return float(np.average(log_errors(batches, calibration(x)) ** 2, weights=weight))

    x0, bounds = start(group, simple)
    for position, name in ((-2, "depth_half"), (-1, "overhead")):
        if fixed and name in fixed and not simple:
            value = math.log(max(fixed[name], 1e-300))
            x0[position], bounds[position] = value, (value, value)
    found = minimize(loss, x0, method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000, "ftol": 1e-12})
    names = tuple(sorted({batch_target[1].id for batch_target in batches}))
    return dataclasses.replace(calibration(found.x), fitted_on=names)


@dataclass(frozen=True)
class Accuracy:
    """How well predicted totals match measured ones over a file's models."""

    models: int
    spearman: float  # rank correlation of predicted and measured throughput
    median_error: float  # median |predicted / measured - 1| of the time per batch
    within_25: float  # share of models predicted within ±25%


def accuracy(predicted: np.ndarray, measured: np.ndarray) -> Accuracy:
    """Spearman's rank correlation, median absolute percentage error and the share within ±25%."""
    from scipy.stats import spearmanr

    errors = np.abs(predicted / measured - 1)
    return Accuracy(
        models=len(measured),
        spearman=float(spearmanr(1 / predicted, 1 / measured).statistic),
        median_error=float(np.median(errors)),
        within_25=float(np.mean(errors <= 0.25)),
    )


def roofline_totals(batch: Batch, target: Target, dtype: str) -> np.ndarray:
    """The pure roofline's seconds per model at the datasheet's peaks."""
    return batch.totals(roofline_seconds(batch.work, target, dtype))


# --- the shipped calibration: what it is fitted on, and refitting it ---------------------------------------------

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "calibration"  # the repository's, beside the package
WORK_TABLE = "timm-work.csv.gz"
PUBLISHED = {  # group: the published files it is fitted on, each with its device
    "gpu": (("benchmark-infer-amp-nchw-pt240-cu124-rtx3090.csv", "rtx-3090"),),
    "cpu": (("benchmark-infer-fp32-nchw-pt240-cpu-i9_10940x-dynamo.csv", "i9-10940x"),),
}
LOCAL_FITTED = ("resnet18", "mobilenet_v2", "vgg11", "densenet121")  # local runs fitted on; the others check it
GROUPS = ("gpu", "cpu", "local")  # catalog GPUs and CPUs rated by their datasheets; this machine by its roof


def local_run(path: Path) -> tuple[Batch, Target]:
    """A `cnncost bench` run saved by benchmarks/local_runs.py: each timed layer a Batch entry of its own, measured
    in context and weighted by its share of the network's time (so that a network's slow layers decide, not its
    many tiny ones), and the machine as a Target at the roof the run measured."""
    from ..profiler import profile
    from .predict import profile_work

    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    measured = {row["layer"]: float(row["in_context_s"]) for row in rows if row["in_context_s"]}
    layers = profile(path.stem).layers
    work, index = profile_work(layers)
    keep = [j for j, i in enumerate(index) if measured.get(layers[i].name, 0) > 0]
    figures = {"fp32": float(rows[0]["peak_flops"]), "bandwidth": float(rows[0]["bandwidth"])}
    if rows[0].get("cache"):
        figures["cache"] = float(rows[0]["cache"])
    machine = Target(
        id="local",
        name=rows[0]["device_name"],
        kind="local-cpu",
        rates={"fp32": figures["fp32"]},
        bandwidth=figures["bandwidth"],
        figures=figures,  # type: ignore[arg-type]
    )
    picked = work.select(keep)
    names = [layers[index[j]].name for j in keep]
    batch = Batch(
        work=picked,
        model=np.arange(len(keep)),
        count=np.ones(len(keep)),
        keys=[(f"{path.stem}:{name}", 0, 1) for name in names],
        measured=np.array([measured[name] for name in names]),
        weight=np.array([measured[name] for name in names]) / sum(measured[name] for name in names) * len(names),
    )
    return batch, machine


def calibration_batches(group: str, data: Path = DATA) -> list[tuple[Batch, Target, str]]:
    """What a group's calibration is fitted on: its published files, or for this machine its local runs."""
    from .catalog import catalog

    if group == "local":
        return [(*local_run(data / "local" / f"{network}.csv"), "fp32") for network in LOCAL_FITTED]
    work = read_work(data / WORK_TABLE)
    batches = []
    for name, device in PUBLISHED[group]:
        measured = read_measurements(data / name)
        batches.append((batch_of(measured, work), catalog()[device], measured.dtype))
    return batches


def calibration_toml(calibrations: dict[str, Calibration]) -> str:
    """calibration.toml's text: each group's parameters, rounded to 6 significant digits."""
    import tomli_w

    def rounded(value: float) -> float:
        return float(f"{value:.6g}")

    document = {
        group: {
            "fitted_on": list(c.fitted_on),
            "depth_half": rounded(c.depth_half),
            "overhead": rounded(c.overhead),
            "compute_efficiency": {k: rounded(v) for k, v in c.compute_efficiency.items()},
            "memory_efficiency": {k: rounded(v) for k, v in c.memory_efficiency.items()},
        }
        for group, c in calibrations.items()
    }
    header = "# The latency model's parameters (cnncost.targets.latency), written by python -m cnncost.targets.fit\n"
    return header + tomli_w.dumps(document)


def main() -> None:
    """Refit every group on the shipped data and print calibration.toml's text."""
    fitted = {}
    for group in GROUPS:
        batches = calibration_batches(group)
        fitted[group] = fit(batches, group)
    print(calibration_toml(fitted), end="")


if __name__ == "__main__":
    main()
