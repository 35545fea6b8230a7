"""A profile's predicted time on a target: each layer's seconds and bound, the total, and the error it carries."""

from __future__ import annotations

# numpy and the model load when a prediction is asked for, not with cnncost (tests/test_engine.py: nothing heavy)
import dataclasses
import tomllib
from functools import cache
from pathlib import Path

from ..errors import CnnCostError, UnknownNameError, close_matches
from ..results import LayerCost, Note, Prediction, Profile, Totals, provides
from ..shapes import TORCH_DTYPES
from .catalog import DEVICE_KINDS, LOCAL, LOCAL_KINDS, Target, catalog, kind_words, target_ids
from .local import local_target
from .work import KINDS, layer_work

DTYPE_NAMES = {name for name, _ in TORCH_DTYPES.values()}  # fp64, int16, ...: dtypes a recorded module may hold
VALIDATION = Path(__file__).with_name("validation.toml")  # written by benchmarks/bench_latency.py
VALIDATION_WHAT = "median error over {models:,} runs on {devices}, devices the model was not fitted on"
OWN_WHAT = "median error over {models:,} runs of its published files the model was not fitted on: {files}"
LOCAL_WHAT = "median error over {models} networks of `cnncost bench` runs the fit did not use; elsewhere, unvalidated"


def find_target(name: str | Target) -> Target:
    """A device by id ('rtx-4090', any case), 'local' (this machine's CPU at its measured roofline: needs torch), or
    a Target of one's own, checked."""
    if isinstance(name, Target):
        return checked_target(name)
    key = str(name).strip().lower()
    if key == LOCAL:
        return local_target()
    found = catalog().get(key)
    if found is None:
        raise UnknownNameError(f"unknown target {name!r}{close_matches(key, target_ids())}; cnncost targets lists them")
    return found


RATE_RANGE = (1e6, 1e18)  # FLOP/s, and bytes/s: a figure outside is a mistake, not a device


def checked_target(target: Target) -> Target:
    """A Target made in Python, refused in one line where the model cannot read it: a catalog kind, an fp32 rate
    and a bandwidth, every rate and the bandwidth a number within RATE_RANGE."""
    if target.kind not in DEVICE_KINDS:
        raise CnnCostError(f"target {target.id!r}: kind must be one of {', '.join(DEVICE_KINDS)}, got {target.kind!r}")
    if not isinstance(target.rates, dict) or "fp32" not in target.rates:
        raise CnnCostError(f"target {target.id!r}: rates must be a dict with an 'fp32' rate (FLOP/s)")
    low, high = RATE_RANGE
    for name, value in (*target.rates.items(), ("bandwidth", target.bandwidth)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise CnnCostError(f"target {target.id!r}: {name} must be a number from {low:g} to {high:g}, got {value!r}")
    return target


def profile_dtype(profile: Profile) -> str:
    """The precision the device's rates are read at: the profile's dtype (fp64 too, which no device here lists a
    rate for), or where it holds several, the one of its element size."""
    if profile.dtype in DTYPE_NAMES:  # fp32, fp16, bf16, int8 among them
        return profile.dtype
    return {1: "int8", 2: "fp16", 8: "fp64"}.get(profile.bytes_per_element, "fp32")


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


@cache
def validations() -> dict[str, dict]:
    """validation.toml: per kind of device, the model's error on devices of that kind it was not fitted on."""
    with VALIDATION.open("rb") as handle:
        return tomllib.load(handle)


def validation(device: Target, dtype: str) -> tuple[str, float | None]:
    """How far a prediction for the device at dtype is to be trusted: its words, and the median error measured where
    the model was not fitted (None: unvalidated). A device the model was fitted on states the error on its other
    published files (other torch versions); any other, the error on devices of its kind; `local`, the error on the
    machine it was fitted on, and unvalidated on another."""
    own = validations().get("devices", {}).get(device.id)
    checked = own or validations().get(device.kind)
    words = kind_words(device.kind)
    if not checked:
        return f"unvalidated: no published measurements of any {words} to check the model against", None
    error = float(checked["median_error"])
    if dtype != checked["dtype"]:
        return f"unvalidated at {dtype}: the model's error was measured at {checked['dtype']} (±{error:.0%})", None
    if device.kind in LOCAL_KINDS and checked["devices"] not in device.name:
        return f"unvalidated on this machine: `local` was fitted and checked on {checked['devices']}", None
    if own:
        return f"typically within ±{error:.0%} on this device ({OWN_WHAT.format(**checked)})", error
    what = (LOCAL_WHAT if device.kind in LOCAL_KINDS else VALIDATION_WHAT).format(**checked)
    where = f"the machine `local` was fitted on, {checked['devices']}" if device.kind in LOCAL_KINDS else f"a {words}"
    return f"typically within ±{error:.0%} on {where} ({what})", error


def rates_used(device: Target, dtype: str) -> tuple[str, str | None]:
    """Which of the device's rates the prediction reads ('convolutions and products at fp16_tensor 165.2 TFLOP/s,
    the rest at fp32 82.6'), and a warning where the device lists none for dtype."""
    conv, conv_name = device.matrix_rate(dtype, "conv")
    product, product_name = device.matrix_rate(dtype, "matmul")
    plain, plain_name = device.plain_rate(dtype)
    unit = "TOP/s" if conv_name.startswith("int") else "TFLOP/s"
    parts = [f"convolutions at {conv_name} {conv / 1e12:,.3g} {unit}"]
    if product_name != conv_name:
        parts.append(f"products at {product_name} {product / 1e12:,.3g}")
    else:
        parts[0] = parts[0].replace("convolutions", "convolutions and products")
    parts.append(f"the rest at {plain_name} {plain / 1e12:,.3g}")
    listed = any(name.startswith(dtype) for name in (conv_name, product_name, plain_name)) or dtype == "fp32"
    warning = None
    if not listed:
        warning = (
            f"{device.id} lists no {dtype} rate: its time is predicted at its fp32 rate with {dtype}'s bytes, likely "
            f"optimistic (cnncost targets {device.id} shows its rates)"
        )
    return ", ".join(parts), warning


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
    total = sum(cost.predicted_seconds or 0.0 for cost in layers)  # as Totals.of sums them
    error, typical = validation(device, dtype)
    rates, warning = rates_used(device, dtype)
    prediction = Prediction(
        target=device.id,
        name=device.name,
        kind=device.kind,
        dtype=dtype,
        seconds=total,
        error=error,
        validated=typical is not None,
        typical_error=typical,
        unknown_layers=sum(1 for cost in profile.layers if not cost.counted),
        rates=rates,
    )
    totals: Totals = dataclasses.replace(profile.total, predicted_seconds=total)
    notes = profile.notes + ((Note(warning, "warning"),) if warning else ())
    return dataclasses.replace(profile, layers=layers, total=totals, prediction=prediction, notes=notes)
