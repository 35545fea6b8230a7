"""Side by side: architectures or blocks, each cut at a spatial size or to a range of layers (cnncost.cuts), as a
table with ratio columns and as records."""

from __future__ import annotations

from fractions import Fraction

from .. import units
from ..cuts import Side
from ..quantities import Quantity
from .columns import TABLE_QUANTITIES
from .document import Table, table

CUT_RULE = (
    "--until HxW keeps each graph's layers, in execution order, up to and including the first layer whose "
    "output is a feature map no larger than HxW (height at most H, width at most W), with the in-place "
    "layers that directly follow it; NAME:FIRST..LAST keeps the layers FIRST to LAST, both included."
)
RATIO_RULE = "Each x column divides a total by the first row's."
COMPARED = TABLE_QUANTITIES  # memory, params, MACs and FLOPs, as the layer table shows them


def total_header(quantity: Quantity) -> str:
    """A network's total: 'memory MB', 'params'."""
    return f"{quantity.label} MB" if quantity.bytes else quantity.label


def total_cell(quantity: Quantity, value: int) -> str:
    """A network's total: bytes in MB (two decimals), a count whole."""
    return units.megabytes_value(value) if quantity.bytes else f"{value:,}"


def ratio(value: int, base: int) -> Fraction | None:
    """value / base exactly; None when base is 0."""
    return Fraction(value, base) if base else None


def ratio_text(value: Fraction | None) -> str:
    """'5.74' (two decimals, more where two would read as 1: '1.0027'), '1' for the first row, '-' when
    undefined."""
    if value is None:
        return "-"
    text = units.fixed(float(value), 2)
    return units.ratio(value) if value != 1 and text == "1.00" else "1" if value == 1 else text


def predicted(sides: list[Side]) -> bool:
    """Whether every side has a predicted time (compare --target)."""
    return all(item.profile.total.predicted_seconds is not None for item in sides)


def summary_rows(sides: list[Side]) -> list[list[str]]:
    """One row per side: name, span, input, output, and each total beside its ratio to the first side's; with a
    target, the predicted time beside its ratio."""
    base = sides[0].profile.total
    rows = []
    for item in sides:
        total = item.profile.total
        row = [item.name, item.span, str(item.profile.input_shape), str(item.profile.output_shape)]
        for quantity in COMPARED:
            value = getattr(total, quantity.key)
            row += [total_cell(quantity, value), ratio_text(ratio(value, getattr(base, quantity.key)))]
        if predicted(sides):
            seconds, first = total.predicted_seconds or 0.0, base.predicted_seconds or 0.0
            row += [units.milliseconds(seconds), ratio_text(Fraction(seconds / first) if first else None)]
        rows.append(row)
    return rows


def summary_table(sides: list[Side], title: str = "") -> Table:
    """The side-by-side totals with a ratio column after each."""
    headers = ["name", "layers", "input", "output"]
    for quantity in COMPARED:
        headers += [total_header(quantity), f"x {quantity.label}"]
    if predicted(sides):
        headers += [f"pred ms on {sides[0].profile.prediction.target}", "x pred"]  # type: ignore[union-attr]
    numeric = [False, False, True, True] + [True] * (len(headers) - 4)
    return table(
        headers,
        summary_rows(sides),
        numeric,
        title=title,
        hide=("layers", "input", "x FLOPs", "FLOPs", "x memory", "memory MB", "output"),
    )


def records(sides: list[Side]) -> list[dict]:
    """Plain data per side: raw integers, ratios to the first side as decimal text (6 places)."""
    base = sides[0].profile.total
    found = []
    for item in sides:
        total = item.profile.total
        record = {
            "name": item.name,
            "first": item.profile.layers[0].name,
            "last": item.profile.layers[-1].name,
            "layers": len(item.profile.layers),
            "input_shape": str(item.profile.input_shape),
            "output_shape": str(item.profile.output_shape),
            "batch": item.profile.batch,
            "dtype": item.profile.dtype,
            "convention": item.profile.convention,
        }
        for quantity in COMPARED:
            value = ratio(getattr(total, quantity.key), getattr(base, quantity.key))
            record[quantity.key] = getattr(total, quantity.key)
            record[f"{quantity.key}_ratio"] = "" if value is None else f"{float(value):.6f}"
        if predicted(sides):
            seconds, first = total.predicted_seconds or 0.0, base.predicted_seconds or 0.0
            record["target"] = item.profile.prediction.target  # type: ignore[union-attr]
            record["predicted_seconds"] = seconds
            record["predicted_seconds_ratio"] = f"{seconds / first:.6f}" if first else ""
            record["prediction_error"] = item.profile.prediction.error  # type: ignore[union-attr]
        found.append(record)
    return found


PREDICTION_COLUMNS = ("target", "predicted_seconds", "predicted_seconds_ratio", "prediction_error")  # --target
RECORD_COLUMNS = (
    "name",
    "first",
    "last",
    "layers",
    "input_shape",
    "output_shape",
    "batch",
    "dtype",
    "convention",
    *(f"{quantity.key}{suffix}" for quantity in COMPARED for suffix in ("", "_ratio")),
)
