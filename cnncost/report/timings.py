"""Presentation of bench results: the table with measured and predicted columns, and a summary in numbers."""

from __future__ import annotations

from . import units
from .rows import size_text
from .document import Document, Facts, table

HEADERS = ("layer", "type", "out C", "out H/W", "MACs M", "FLOPs M", "median ms", "IQR ms", "GFLOP/s", "GB/s",
           "% time", "FLOP/B", "roof ms", "measured/roof", "bound", "note")
NUMERIC = (False, False, True, True, True, True, True, True, True, True, True, True, True, True, False, False)
FAR_FROM_ROOF = 10.0  # measured/predicted above this is called far from the roofline


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else units.fixed(seconds * 1e3, 3)


def _maybe(value: float | None, decimals: int) -> str:
    return "" if value is None else units.fixed(value, decimals)


def bound(timing, roof) -> str:
    """'compute' when FLOPs / peak exceeds bytes / bandwidth, else 'memory'."""
    if timing.intensity is None:
        return ""
    return "compute" if timing.intensity >= roof.ridge else "memory"


def note(timing, roof, cache: int | None) -> str:
    """Why a row stands out: an error, a view that moves nothing, or a time away from the roofline."""
    if timing.error:
        return f"failed: {timing.error}"
    if timing.predicted is None:
        return "view / identity: no data moved"
    if timing.ratio is not None and timing.ratio < 1:
        if bound(timing, roof) == "memory" and cache and timing.bytes_moved <= cache:
            return f"beats the memory roof: its {units.megabytes(timing.bytes_moved)} fit in the cache"
        return "beats the roof: this kernel outruns the matmul that set it"
    if timing.ratio is not None and timing.ratio > FAR_FROM_ROOF:
        return "far from the roof"
    return ""


def bench_rows(result, cache: int | None) -> list[list[str]]:
    """One row per layer."""
    rows = []
    for t in result.layers:
        c = t.cost
        rows.append([c.name, c.op, str(c.output_shape.channels), size_text(c.output_shape), units.millions(c.macs),
                     units.millions(c.flops), _ms(t.median), _ms(t.iqr),
                     _maybe(t.flops_per_second and t.flops_per_second / 1e9, 1),
                     _maybe(t.bytes_per_second and t.bytes_per_second / 1e9, 1),
                     units.percent(result.share(t)) if t.median else "", _maybe(t.intensity, 1),
                     _ms(t.predicted), _maybe(t.ratio, 2), bound(t, result.roof), note(t, result.roof, cache)])
    return rows


def summary_lines(result) -> list[tuple[str, str]]:
    """What the timing confirms or contradicts in the analytic table, in numbers."""
    d, roof, p = result.device, result.roof, result.profile
    with_macs, with_roof = result.rank_correlations()
    far = sorted((t for t in result.layers if t.ratio and t.ratio > FAR_FROM_ROOF), key=lambda t: -t.ratio)
    failed = [t for t in result.layers if t.error]
    lines = [
        ("Device", f"{d.device}: {d.name}, {d.threads} threads, torch {d.torch_version}"
                   + "".join(f", {k} {v}" for k, v in d.settings)),
        ("Input", f"{p.sample_input_shape}, batch {p.batch}, {p.dtype}"),
        ("Roof", f"{roof.peak_flops / 1e9:,.1f} GFLOP/s, {roof.bandwidth / 1e9:,.1f} GB/s, ridge at "
                 f"{roof.ridge:,.1f} FLOP/B ({roof.method})"),
        ("Whole forward", f"{_ms(result.forward_median)} ms median (IQR {_ms(result.forward_iqr)} ms)"
                          if result.forward_median else f"failed: {result.forward_error}"),
        ("Sum of layer medians", f"{_ms(result.layer_sum)} ms"
                                 + (f" ({result.layer_sum / result.forward_median:.2f} x the whole forward)"
                                    if result.forward_median else "")),
        ("Rank correlation, MACs vs time", _maybe(with_macs, 3) or "n/a"),
        ("Rank correlation, roof prediction vs time", _maybe(with_roof, 3) or "n/a"),
        (f"Layers over {FAR_FROM_ROOF:g}x the roof", ", ".join(f"{t.cost.name} ({t.ratio:,.1f}x)" for t in far[:8])
         + (f" and {len(far) - 8} more" if len(far) > 8 else "") or "none"),
    ]
    if failed:
        lines.append(("Failed layers", ", ".join(f"{t.cost.name}: {t.error}" for t in failed)))
    return lines


CAPTION = ("Each layer is timed alone on random inputs of its computed shape (torch.utils.benchmark: warm-up, "
           "then repeats; median and interquartile range). GFLOP/s and GB/s are the cnncost FLOPs and the bytes "
           "moved (inputs, weights and buffers, output) over the median. FLOP/B is the arithmetic intensity; "
           "roof ms = max(FLOPs / peak, bytes / bandwidth); measured/roof above 1 is slower than the roofline allows, "
           "below 1 faster than the measured roof (small tensors that stay in cache beat the memory roof). "
           "% time is the share of the sum of layer medians.")


HIDE = ("FLOPs M", "IQR ms", "GB/s", "GFLOP/s", "FLOP/B", "out C", "out H/W", "type", "% time")


def bench_document(result, cache: int | None) -> Document:
    """The bench table, then the summary."""
    p = result.profile
    return Document(f"{p.name}: measured on {result.device.device}, batch {p.batch}, {p.dtype}", (
        table(HEADERS, bench_rows(result, cache), NUMERIC, caption=CAPTION, hide=HIDE),
        Facts(tuple(summary_lines(result)))))


def bench_records(result) -> list[dict]:
    """One plain dict per layer: raw integers and seconds, for CSV and JSON."""
    return [{"layer": t.cost.name, "op": t.cost.op, "output_shape": str(t.cost.output_shape), "macs": t.cost.macs,
             "flops": t.cost.flops, "bytes_moved": t.bytes_moved, "median_s": t.median, "iqr_s": t.iqr,
             "predicted_s": t.predicted, "measured_over_predicted": t.ratio, "intensity_flop_per_byte": t.intensity,
             "bound": bound(t, result.roof), "error": t.error or ""}
            for t in result.layers]
