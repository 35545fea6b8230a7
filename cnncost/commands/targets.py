"""cnncost targets [ID]: the devices cnncost predicts latency for, their figures, and the source of every figure."""

from __future__ import annotations

from typing import Any

from .. import units
from ..report.document import Document, Text, table
from ..targets.catalog import LOCAL, Target, catalog
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


def device_record(target: Target) -> dict[str, Any]:
    """A device as plain data: its figures, their sources, and how far its predictions are validated."""
    error, validated = validation(target.kind)
    return {
        "id": target.id,
        "name": target.name,
        "kind": target.kind,
        "figures": dict(target.figures),
        "sources": dict(target.sources),
        "validated": validated,
        "prediction_error": error,
    }


def figure_rows(target: Target) -> list[dict[str, Any]]:
    """One row per figure of a device: its value and source (the CSV)."""
    return [
        {"id": target.id, "kind": target.kind, "figure": figure, "value": value, "source": target.sources[figure]}
        for figure, value in target.figures.items()
    ]


def run(args) -> int:
    devices = [find_target(args.id)] if args.id else list(catalog().values())

    def document() -> Document:
        if args.id:
            device = devices[0]
            rows = [
                [figure, value if isinstance(value, str) else units.human(value), device.sources[figure]]
                for figure, value in device.figures.items()
            ]
            shown = table(
                ("figure", "value", "source"), rows, (False, True, False), title=f"{device.name} ({device.kind})"
            )
            return Document(f"cnncost targets {device.id}", (shown, Text(device_record(device)["prediction_error"])))
        rows = [
            [device.id, device.kind, *(_figure(device.figures.get(key), scale) for _, key, scale in SUMMARY)]
            for device in devices
        ]
        rows.append([LOCAL, "this machine", *("measured" if i < 2 else "-" for i in range(len(SUMMARY)))])
        headers = ("id", "kind", *(header for header, _, _ in SUMMARY))
        numeric = (False, False, *(True for _ in SUMMARY))
        shown = table(headers, rows, numeric, title="Devices latency is predicted for", hide=("memory GB",))
        return Document("cnncost targets", (shown, Text(RATE_NOTE)))

    emit(
        args,
        document,
        lambda: [row for device in devices for row in figure_rows(device)],
        data=lambda: [device_record(device) for device in devices],
    )
    return 0
