"""A profile's predicted time on a target: each layer's seconds and bound, the total, and the error it carries."""

from __future__ import annotations

# numpy and the model load when a prediction is asked for, not with cnncost (tests/test_engine.py: nothing heavy)
import dataclasses
import tomllib
from pathlib import Path

from ..errors import UnknownNameError, close_matches
from ..results import LayerCost, Prediction, Profile, Totals, provides
from ..shapes import DTYPE_BYTES
from .catalog import LOCAL, LOCAL_KINDS, Target, catalog, kind_words, target_ids
from .local import local_target
from .work import KINDS, layer_work

VALIDATION = Path(__file__).with_name("validation.toml")  # written by benchmarks/bench_latency.py
VALIDATION_WHAT = "median error over {models} runs on {devices}, devices the model was not fitted on"
LOCAL_WHAT = "median error over {models} networks of `cnncost bench` runs the fit did not use; elsewhere, unvalidated"


def find_target(name: str | Target) -> Target:
    """A device by id ('rtx-4090'), or 'local': this machine, from its measured roofline (needs torch)."""
    if isinstance(name, Target):
        return name
    key = str(name).strip().lower()
    if key == LOCAL:
        return local_target()
    found = catalog().get(key)
    if found is None:
        raise UnknownNameError(f"unknown target {name!r}{close_matches(key, target_ids())}; cnncost targets lists them")
    return found


def profile_dtype(profile: Profile) -> str:
    """The precision the device's rates are read at: the profile's dtype, else by its element size."""
    if profile.dtype in DTYPE_BYTES:
        return profile.dtype
    return {1: "int8", 2: "fp16"}.get(profile.bytes_per_element, "fp32")


def profile_work(layers: tuple[LayerCost, ...]):
    """The layers that run a kernel as Work (bytes at each layer's own widths), and their indices."""
    import numpy as np

    from .latency import Work

    rows, index = [], []
    for i, cost in enumerate(layers):
        work = layer_work(cost)
        if work is None:
            continue
        read = work.read_elements * cost.bytes_per_element
        moved = read + work.write_elements * cost.bytes_per_element + cost.param_bytes + cost.buffer_bytes
        rows.append((KINDS.index(work.kind), work.flops, work.macs, work.write_elements, moved, read))
        index.append(i)
    table = np.array(rows, dtype=float).reshape(-1, 6)
    return Work(table[:, 0].astype(int), *(table[:, i] for i in range(1, 6))), index


def typical_error(kind: str) -> float | None:
    """The median error measured on devices of this kind the model was not fitted on; None where unvalidated."""
    with VALIDATION.open("rb") as handle:
        checked = tomllib.load(handle).get(kind)
    return float(checked["median_error"]) if checked else None


def validation(kind: str) -> tuple[str, bool]:
    """How far a prediction for a device of this kind is to be trusted, from the checks on devices the model was
    not fitted on (calibration.toml's [validation]); 'unvalidated' where there were none."""
    with VALIDATION.open("rb") as handle:
        checked = tomllib.load(handle).get(kind)
    words = kind_words(kind)
    if not checked:
        return f"unvalidated: no published measurements of any {words} to check the model against", False
    what = (LOCAL_WHAT if kind in LOCAL_KINDS else VALIDATION_WHAT).format(**checked)
    where = f"the machine `local` was fitted on, {checked['devices']}" if kind in LOCAL_KINDS else f"a {words}"
    return f"typically within ±{checked['median_error']:.0%} on {where} ({what})", True


@provides("predict")
def predicted(profile: Profile, target: str | Target) -> Profile:
    """The profile with each layer's predicted seconds and bound on the target, the total, and the error it carries
    (README: predicted latency)."""
    from .latency import BOUNDS, calibrations, predict_work

    device = find_target(target)
    dtype = profile_dtype(profile)
    work, index = profile_work(profile.layers)
    seconds, bounds = predict_work(work, device, dtype, calibrations()[device.group])
    timed = dict(zip(index, zip(seconds.tolist(), bounds.tolist(), strict=True), strict=True))
    layers = tuple(
        cost._replace(predicted_seconds=timed[i][0], bound=BOUNDS[timed[i][1]])
        if i in timed
        else cost._replace(predicted_seconds=0.0, bound=None)
        for i, cost in enumerate(profile.layers)
    )
    total = float(seconds.sum())
    error, validated = validation(device.kind)
    prediction = Prediction(
        target=device.id,
        name=device.name,
        kind=device.kind,
        dtype=dtype,
        seconds=total,
        error=error,
        validated=validated,
        typical_error=typical_error(device.kind),
        unknown_layers=sum(1 for cost in profile.layers if not cost.counted),
    )
    totals: Totals = dataclasses.replace(profile.total, predicted_seconds=total)
    return dataclasses.replace(profile, layers=layers, total=totals, prediction=prediction)
