"""cnncost targets [ID]: the devices cnncost predicts latency for, their figures, and the source of every figure."""

from __future__ import annotations

from typing import Any

from ..report.document import Document, Text, table
from ..targets.catalog import LOCAL, RATES, Target, catalog
from ..targets.predict import find_target, validation
from .common import add_output_options, emit

SUMMARY = (
    ("fp32 TFLOP/s", "fp32", 1e12),
    ("fp16 tensor TFLOP/s", "fp16_tensor", 1e12),
    ("bf16 tensor TFLOP/s", "bf16_tensor", 1e12),
    ("int8 tensor TOP/s", "int8_tensor", 1e12),
    ("bandwidth GB/s", "bandwidth", 1e9),
    ("memory GB", "memory", 1e9),
)
RATE_NOTE = (
    "Rates are dense (no structured sparsity) at the vendor's boost clock (CPUs: cores x base clock x FP32 FLOP per "
    "cycle); fp16 tensor is with FP32 accumulate, as torch's autocast runs it. Memory in the vendor's decimal GB. "
    "`cnncost targets ID` shows every figure of a device with its source; `local` is this machine, as cnncost bench "
    "measures its roofline (needs torch)."
)


def register(commands) -> None:
    parser = commands.add_parser("targets", help="the devices latency is predicted for, with their figures' sources")
    parser.add_argument("id", nargs="?", help="one device: every figure with its source ('local': this machine)")
    add_output_options(parser)
    parser.set_defaults(run=run)


def _figure(value: float | str | None, scale: float) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value / scale:,.1f}"


def figure_text(figure: str, value: float | str) -> str:
    """A figure in its unit: '165.2 TFLOP/s', '1,008 GB/s', '24 GB', '72 MiB', '2.52 GHz', '450 W'."""
    if isinstance(value, str):
        return value
    if figure in RATES or figure.endswith("_tensor") or figure.endswith("acc"):
        return f"{value / 1e12:,.4g} {'TOP/s' if figure.startswith('int') else 'TFLOP/s'}"
    if figure == "bandwidth" or figure.startswith("bandwidth"):
        return f"{value / 1e9:,.4g} GB/s"
    if figure == "memory":
        return f"{value / 1e9:,.4g} GB"
    if figure in ("l2", "l3", "cache"):
        return f"{value / 2**20:,.4g} MiB"
    if figure.endswith("_hz"):
        return f"{value / 1e9:,.4g} GHz"
    if figure.endswith("_w"):
        return f"{value:,.4g} W"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


# `local` in the list: its figures are measured when it is named (cnncost targets local), which needs torch
LOCAL_RECORD = {
    "id": LOCAL,
    "name": "this machine",
    "kind": "local-cpu",
    "figures": {},
    "sources": {},
    "note": "its fp32 rate and bandwidth are measured as cnncost bench measures its roofline: cnncost targets local",
    "validated": False,
    "prediction_error": "on the machine `local` was fitted on: see cnncost targets local",
}


def device_record(target: Target) -> dict[str, Any]:
    """A device as plain data: its figures, their sources, and how far its predictions are validated."""
    error, typical = validation(target, "fp16" if target.group == "gpu" else "fp32")
    return {
        "id": target.id,
        "name": target.name,
        "kind": target.kind,
        "figures": dict(target.figures),
        "sources": dict(target.sources),
        "validated": typical is not None,
        "prediction_error": error,
    }


def figure_rows(target: Target) -> list[dict[str, Any]]:
    """One row per figure of a device: its value and source (the CSV)."""
    return [
        {"id": target.id, "kind": target.kind, "figure": figure, "value": value, "source": target.sources[figure]}
        for figure, value in target.figures.items()
    ]


LOCAL_ROWS = [
    {"id": LOCAL, "kind": "local-cpu", "figure": figure, "value": "", "source": LOCAL_RECORD["note"]}
    for figure in ("fp32", "bandwidth")
]


def run(args) -> int:
    devices = [find_target(args.id)] if args.id else list(catalog().values())

    def document() -> Document:
        if args.id:
            device = devices[0]
            rows = [
                [figure, figure_text(figure, value), device.sources[figure]] for figure, value in device.figures.items()
            ]
            shown = table(
                ("figure", "value", "source"), rows, (False, True, False), title=f"{device.name}: {device.kind}"
            )
            return Document(f"cnncost targets {device.id}", (shown, Text(device_record(device)["prediction_error"])))
        rows = [
            [device.id, device.kind, *(_figure(device.figures.get(key), scale) for _, key, scale in SUMMARY)]
            for device in devices
        ]
        measured = ("fp32", "bandwidth")  # what `local` has, measured when it is named
        rows.append([LOCAL, "local-cpu", *("measured" if key in measured else "-" for _, key, _ in SUMMARY)])
        headers = ("id", "kind", *(header for header, _, _ in SUMMARY))
        numeric = (False, False, *(True for _ in SUMMARY))
        shown = table(headers, rows, numeric, title="Devices latency is predicted for", hide=("memory GB",))
        return Document("cnncost targets", (shown, Text(RATE_NOTE)))

    listed = not args.id  # the whole list names `local` too, without measuring it
    emit(
        args,
        document,
        lambda: [row for device in devices for row in figure_rows(device)] + (LOCAL_ROWS if listed else []),
        data=lambda: [device_record(device) for device in devices] + ([LOCAL_RECORD] if listed else []),
    )
    return 0
