"""Presentation of torch cross-checks (cnncost verify): a line per network, a row per layer that differs."""

from __future__ import annotations

from .document import Document, Text, table

HEADERS = (
    "layer",
    "type",
    "shape (cnncost)",
    "shape (torch)",
    "params (cnncost)",
    "params (torch)",
    "buffers (cnncost)",
    "buffers (torch)",
    "MACs (cnncost)",
    "MACs (torch)",
    "verdict",
)
NUMERIC = (False, False, True, True, True, True, True, True, True, True, False)


def _shape(shapes) -> str:
    """'2x64x56x56', or each output's for a layer of several: '2x5x8, 2x1x8'."""
    return ", ".join("x".join(map(str, dims)) or "scalar" for dims in shapes)


def check_cells(check) -> list[str]:
    """One row of the per-layer table."""
    return [
        check.name,
        check.op,
        _shape(check.engine_shape),
        _shape(check.torch_shape),
        f"{check.engine_params:,}",
        f"{check.torch_params:,}",
        f"{check.engine_buffers:,}",
        f"{check.torch_buffers:,}",
        f"{check.engine_macs:,}",
        f"{check.torch_macs:,}",
        "equal" if check.ok else "DIFFERENT: " + ", ".join(check.mismatches),
    ]


def summary_line(result) -> str:
    """'alexnet 3x227x227 batch 1 (meta): 22 layers equal torch's ...' or the count of layers that differ."""
    params, buffers, macs = result.engine_totals
    where = f"{result.name} {result.input_shape} batch {result.batch} on {result.device}"
    if result.ok:
        return (
            f"{where}: all {len(result.layers)} layers equal torch's: shapes, params {params:,}, "
            f"buffers {buffers:,}, MACs {macs:,}"
        )
    t_params, t_buffers, t_macs = result.torch_totals
    return (
        f"{where}: {len(result.failures)} of {len(result.layers)} layers DIFFER; totals cnncost "
        f"{params:,} / {buffers:,} / {macs:,}, torch {t_params:,} / {t_buffers:,} / {t_macs:,} "
        "(params / buffers / MACs)"
    )


HIDE = ("buffers (cnncost)", "buffers (torch)", "type", "shape (cnncost)")


def verification_document(results, all_layers: bool = False) -> Document:
    """Per network: the summary line, then a table of the layers that differ (every layer with all_layers)."""
    blocks: list = []
    for result in results:
        blocks.append(Text(summary_line(result)))
        rows = [check_cells(check) for check in result.layers if all_layers or not check.ok]
        if rows:
            blocks.append(
                table(
                    HEADERS,
                    rows,
                    NUMERIC,
                    title=f"{result.name}: cnncost against torch",
                    hide=HIDE,
                    caption="MACs (torch) = FlopCounterMode's FLOPs / 2 for the layer's module.",
                )
            )
    return Document("cnncost against torch: shapes, parameters, buffers and MACs", tuple(blocks))


def verification_records(result) -> list[dict]:
    """One plain dict per layer (raw integers) for CSV and JSON."""
    return [
        {
            "network": result.name,
            "layer": c.name,
            "op": c.op,
            "engine_shape": _shape(c.engine_shape),
            "torch_shape": _shape(c.torch_shape),
            "engine_params": c.engine_params,
            "torch_params": c.torch_params,
            "engine_buffers": c.engine_buffers,
            "torch_buffers": c.torch_buffers,
            "engine_macs": c.engine_macs,
            "torch_macs": c.torch_macs,
            "ok": c.ok,
        }
        for c in result.layers
    ]
