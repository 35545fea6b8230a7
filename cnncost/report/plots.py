"""Figures: where activation memory, parameters and MACs go, layer by layer (or stage by stage); a roofline chart
of a bench run; parameters against MACs across networks.

matplotlib is optional (pip install 'cnncost[plot]') and imported only inside the functions that draw, with the
Agg backend, so the rest of cnncost never waits for it.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import CnnCostError
from ..files import write_atomic
from ..layers import layer_type
from ..results import LayerCost, Profile
from .render import escaped
from .rows import Row, stage_rows, table_rows

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
STAGE_VIEW_ROWS = 40  # more layer rows than this: one bar per stage
REPORT_NETWORKS = ("alexnet", "vgg16", "resnet50")
COMPARED_NETWORKS = ("alexnet", "vgg16", "googlenet", "resnet50", "densenet121", "mobilenet_v2", "efficientnet_b0")

# (legend entry, colour): colour-blind-safe, in the order the legend lists them
CATEGORIES = (
    ("convolution", "#0072B2"),
    ("fully connected", "#E69F00"),
    ("attention, recurrent", "#F0E442"),
    ("normalization", "#56B4E9"),
    ("activation", "#009E73"),
    ("pooling", "#999999"),
    ("merge", "#CC79A7"),
    ("other", "#D55E00"),
)
COLOURS = dict(CATEGORIES)
_LEGEND = {
    "convolution": "convolution",
    "linear": "fully connected",
    "attention": "attention, recurrent",
    "recurrent": "attention, recurrent",
    "normalization": "normalization",
    "activation": "activation",
    "pooling": "pooling",
    "reduction": "pooling",
    "elementwise": "merge",
}


def category(op: str) -> str:
    """The legend's entry for a layer type, from its registered category; concatenation counts as a merge."""
    if op in ("concat", "stack"):
        return "merge"
    return _LEGEND.get(layer_type(op).category, "other")


def require_matplotlib():
    """matplotlib.pyplot on the Agg backend, or a one-line error saying what to install."""
    try:
        import matplotlib
    except ImportError:
        raise CnnCostError("plots need matplotlib: pip install 'cnncost[plot]' (or pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def image_format(path: str | os.PathLike) -> str:
    """png, svg or pdf from the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise CnnCostError(f"cannot tell the image format of {str(path)!r}: name it .png, .svg or .pdf")
    return FORMATS[suffix]


def save(figure, path: str | os.PathLike) -> Path:
    """Write the figure to path through a temporary file in the same folder (no reader sees half an image)."""
    fmt = image_format(path)
    buffer = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Date": None} if fmt == "svg" else {"CreationDate": None}
    figure.savefig(buffer, format=fmt, dpi=150, metadata=metadata)
    import matplotlib.pyplot as plt

    plt.close(figure)

    write_atomic(path, buffer.getvalue())
    return Path(path)


Amount = Literal[1, 2, 3]  # the index of a quantity in a Bar's part: memory, params or MACs


@dataclass(frozen=True)
class Bar:
    """One bar of the layer figure: its label and, per category, the memory, params and MACs of its layers."""

    label: str
    parts: tuple[tuple[str, int, int, int], ...]  # (category, activation bytes, params, MACs)

    def total(self, index: Amount) -> int:
        """Sum over categories of quantity index 1 (memory), 2 (params) or 3 (MACs)."""
        return sum(part[index] for part in self.parts)


def _shape_text(cost: LayerCost) -> str:
    return "×".join(str(d) for d in cost.output_shape.dims)


def bars(profile: Profile, stages: bool, depth: int | None = None) -> list[Bar]:
    """The table's rows (in-place layers folded in), or one per stage ('layer1', a container of stages opened: timm's
    ConvNeXt's stages.0 to stages.3) or per block at depth, each split by category."""
    if depth is not None or stages:
        rows: list[Row] = stage_rows(profile, depth or 1, STAGE_VIEW_ROWS)
    else:
        rows = table_rows(profile, fold=True)
    result = []
    for row in rows:
        sums: dict[str, list[int]] = {}
        for cost in row.layers:
            totals = sums.setdefault(category(cost.op), [0, 0, 0])
            totals[0] += cost.activation_bytes
            totals[1] += cost.params
            totals[2] += cost.macs
        label = escaped(f"{row.name}  {_shape_text(row.layers[-1])}")  # a name from a file, printable
        parts = tuple((name, sums[name][0], sums[name][1], sums[name][2]) for name, _ in CATEGORIES if name in sums)
        result.append(Bar(label, parts))
    return result


def _scale(largest: int, units: Sequence[tuple[float, str]]) -> tuple[float, str]:
    """The largest unit that keeps the largest value at 1 or more."""
    for factor, name in units:
        if largest >= factor:
            return factor, name
    return units[-1]


MEMORY_UNITS = ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB"), (1, "bytes"))
COUNT_UNITS = ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands"), (1, ""))


def takeaways(profile: Profile) -> str:
    """The figure's message in numbers: where half the memory is, which layers hold the parameters and the MACs."""
    rows = table_rows(profile)
    whole = profile.total.activation_bytes
    running, first = 0, len(rows)
    for i, row in enumerate(rows):
        running += row.total("activation_bytes")
        if running * 2 >= whole:
            first = i + 1
            break
    params = sum(c.params for c in profile.layers if category(c.op) == "fully connected")
    macs = sum(c.macs for c in profile.layers if category(c.op) == "convolution")
    parts = [f"half the activation memory is in the first {first} of {len(rows)} layers"]
    if profile.total.params:
        parts.append(f"{100 * params / profile.total.params:.0f}% of the parameters are in fully connected layers")
    if profile.total.macs:
        parts.append(f"{100 * macs / profile.total.macs:.0f}% of the MACs are in convolutions")
    return "; ".join(parts)


def layer_figure(profile: Profile, view: str = "auto", depth: int | None = None):
    """Horizontal bars, one per layer (or stage, or block at depth), of activation memory, parameters and MACs, side
    by side."""
    plt = require_matplotlib()
    stages = view == "stages" or (view == "auto" and len(table_rows(profile)) > STAGE_VIEW_ROWS)
    found = bars(profile, stages, depth)
    panels: list[tuple[Amount, str, Sequence[tuple[float, str]], int]] = [
        (1, "Activation memory", MEMORY_UNITS, profile.total.activation_bytes),
        (2, "Parameters", COUNT_UNITS, profile.total.params),
        (3, "MACs", COUNT_UNITS, profile.total.macs),
    ]
    height = max(4.8, 0.34 * len(found) + 2.2)
    figure, axes = plt.subplots(1, 3, figsize=(15, height), sharey=True)
    positions = list(range(len(found)))
    for ax, (index, title, units, whole) in zip(axes, panels, strict=True):
        factor, unit = _scale(max(bar.total(index) for bar in found), units)
        left = [0.0] * len(found)
        for name, colour in CATEGORIES:
            values = [next((part[index] for part in bar.parts if part[0] == name), 0) / factor for bar in found]
            if any(values):
                ax.barh(positions, values, left=left, color=colour, label=name, height=0.72)
                left = [a + b for a, b in zip(left, values, strict=True)]
        for y, bar in zip(positions, found, strict=True):
            share = bar.total(index) / whole if whole else 0
            if share >= 0.01:
                ax.text(left[y], y, f" {100 * share:.0f}%", va="center", fontsize=9, color="#333333")
        ax.set_title(f"{title} ({unit})" if unit else title, fontsize=13, fontweight="bold")
        ax.margins(x=0.16, y=0.01)
        ax.grid(axis="x", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=10)
    axes[0].set_yticks(positions, [bar.label for bar in found], fontsize=10)
    axes[0].invert_yaxis()
    kind = "stage" if stages else "layer"
    message = takeaways(profile)
    _header(
        figure,
        height,
        escaped(f"{profile.name}: activation memory, parameters and MACs by {kind}"),
        [
            f"{message[0].upper()}{message[1:]}.",
            f"{profile.sample_input_shape} input, batch {profile.batch}, {profile.dtype}; activation memory is each "
            "layer's output (in-place layers add none); percentages are shares of the network's total.",
        ],
    )
    handles, labels = _legend_entries(axes)
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False, fontsize=10.5)
    figure.tight_layout(rect=(0, 0.45 / height, 1, 1 - HEADER_INCHES / height))
    return figure


HEADER_INCHES = 1.05


def _header(figure, height: float, title: str, lines: Sequence[str]) -> None:
    """A bold title and grey lines under it, left-aligned, in the top HEADER_INCHES of the figure."""
    figure.text(0.01, 1 - 0.12 / height, title, fontsize=16, fontweight="bold", ha="left", va="top")
    for i, line in enumerate(lines):
        figure.text(0.01, 1 - (0.5 + 0.24 * i) / height, line, fontsize=10.5, color="#444444", ha="left", va="top")


def _legend_entries(axes):
    """Each category once, in CATEGORIES order, from whichever panel drew it."""
    found: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            found.setdefault(label, handle)
    labels = [name for name, _ in CATEGORIES if name in found]
    return [found[label] for label in labels], labels


def _plain_log_axes(ax) -> None:
    """Log scales on both axes, ticks written as plain numbers (0.5, 1, 10) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.yaxis.set_major_formatter(plain)


def compare_figure(profiles: Sequence[Profile]):
    """Parameters against MACs per network, log axes; the area of each point is its activation memory."""
    plt = require_matplotlib()
    figure, ax = plt.subplots(figsize=(10, 7))
    largest = max(p.total.activation_bytes for p in profiles) or 1
    for p in profiles:
        x, y = p.total.params / 1e6, p.total.macs / 1e9
        size = 60 + 1400 * p.total.activation_bytes / largest
        ax.scatter(x, y, s=size, alpha=0.55, color=COLOURS["convolution"], edgecolors="#003a5c", linewidths=1)
        crowded = any(
            1 < q.total.params / p.total.params < 2.5 and 0.6 < q.total.macs / p.total.macs < 1.7 for q in profiles
        )  # a neighbour on the right: label on the left
        offset = (size**0.5 / 2 + 4) * (-1 if crowded else 1)
        ax.annotate(
            escaped(f"{p.name}\n{p.total.activation_bytes / 1024**2:,.0f} MB"),
            (x, y),
            xytext=(offset, 0),
            textcoords="offset points",
            fontsize=10.5,
            va="center",
            ha="right" if crowded else "left",
        )
    _plain_log_axes(ax)
    ax.set_xlabel("Parameters (millions, log scale)", fontsize=12)
    ax.set_ylabel("MACs per image (billions, log scale)", fontsize=12)
    ax.grid(True, which="both", color="#e5e5e5", linewidth=0.7)
    ax.set_axisbelow(True)
    ax.margins(0.25)
    first = profiles[0]
    ax.set_title("Parameters against compute", fontsize=15, fontweight="bold", loc="left")
    figure.text(
        0.01,
        0.005,
        f"Each network at its default input, batch {first.batch}, {first.dtype}. Point area and "
        "label: activation memory (sum of layer outputs).",
        fontsize=9.5,
        color="#444444",
    )
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return figure


def roofline_figure(result, label_count: int = 6):
    """Each timed layer at its arithmetic intensity and measured FLOP/s, under the measured roof."""
    plt = require_matplotlib()
    roof, p = result.roof, result.profile
    timed = [t for t in result.layers if t.median and t.intensity and t.cost.flops]
    if not timed:
        raise CnnCostError(
            f"{p.name}: no layer both computes and moves data, so there is nothing to place on a roofline"
        )
    figure, ax = plt.subplots(figsize=(11, 7))
    low = min(min(t.intensity for t in timed), roof.ridge) / 4
    high = max(max(t.intensity for t in timed), roof.ridge) * 4
    xs = [low * (high / low) ** (i / 200) for i in range(201)]
    ax.plot(
        xs,
        [min(roof.peak_flops, roof.bandwidth * x) / 1e9 for x in xs],
        color="#222222",
        linewidth=2,
        label=f"roof: {roof.peak_flops / 1e9:,.0f} GFLOP/s, {roof.bandwidth / 1e9:,.1f} GB/s",
    )
    ax.axvline(roof.ridge, color="#888888", linestyle=":", linewidth=1)
    ax.annotate(
        f"ridge {roof.ridge:,.1f} FLOP/B",
        (roof.ridge, roof.peak_flops / 1e9),
        xytext=(5, -15),
        textcoords="offset points",
        fontsize=9.5,
        color="#555555",
    )
    shares = {id(t): result.share(t) for t in timed}
    for name, colour in CATEGORIES:
        group = [t for t in timed if category(t.cost.op) == name]
        if group:
            ax.scatter(
                [t.intensity for t in group],
                [t.flops_per_second / 1e9 for t in group],
                color=colour,
                s=[30 + 900 * shares[id(t)] for t in group],
                alpha=0.75,
                edgecolors="white",
                label=name,
            )
    _plain_log_axes(ax)
    top = sorted(timed, key=lambda t: -shares[id(t)])[:label_count]
    _place_labels(ax, [(escaped(t.cost.name), t.intensity, t.flops_per_second / 1e9) for t in top])
    ax.set_xlabel("Arithmetic intensity (FLOPs per byte moved, log scale)", fontsize=12)
    ax.set_ylabel("Achieved GFLOP/s (log scale)", fontsize=12)
    ax.grid(True, which="both", color="#e8e8e8", linewidth=0.7)
    ax.set_axisbelow(True)
    d = result.device
    ax.set_title(
        escaped(f"{p.name} on {d.device} ({d.name}): each layer under the roofline"),
        fontsize=14,
        fontweight="bold",
        loc="left",
    )
    legend = ax.legend(fontsize=9.5, loc="lower right", frameon=False)
    for handle in legend.legend_handles:
        if hasattr(handle, "set_sizes"):
            handle.set_sizes([45])
    footer = (
        f"{p.sample_input_shape}, batch {p.batch}, {p.dtype}, {d.threads} threads, torch {d.torch_version}. Each layer "
        f"is timed alone; point area: its share of the summed layer time. Roof: {roof.method}."
    )
    figure.text(0.01, 0.008, "\n".join(textwrap.wrap(footer, 150)), fontsize=8.5, color="#444444", va="bottom")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    return figure


def _place_labels(ax, points: Sequence[tuple[str, float, float]], fontsize: float = 9.5) -> None:
    """Each name to the right of its point, moved down until it clears the names placed before it."""
    scale = ax.figure.dpi / 72  # display pixels per point
    taken: list[tuple[float, float, float, float]] = []  # (left, right, bottom, top) in points
    for name, x, y in points:
        px, py = (value / scale for value in ax.transData.transform((x, y)))
        left, width, height = px + 7, 0.62 * fontsize * len(name), 1.25 * fontsize
        bottom = py - height / 2
        while any(left < r and lo < left + width and bottom < t and b < bottom + height for lo, r, b, t in taken):
            bottom -= height / 2
        taken.append((left, left + width, bottom, bottom + height))
        ax.annotate(
            name,
            (x, y),
            xytext=(7, bottom + height / 2 - py),
            textcoords="offset points",
            fontsize=fontsize,
            va="center",
            arrowprops=dict(arrowstyle="-", color="#aaaaaa", linewidth=0.6)
            if bottom + height / 2 < py - height
            else None,
        )
