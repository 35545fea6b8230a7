"""Pooling over 1, 2 or 3 spatial dimensions: max and average over sliding windows, adaptive and global average.

Pooling costs output elements x window size (comparisons or additions), as the lecture tables compute it;
pooling has no MACs and no parameters.
"""

from __future__ import annotations

from functools import partial
from math import gcd, prod

from ..errors import ShapeError
from ..shapes import Shape
from .common import batch_size, channels_first, ntuple, require_positive, sliding_sizes
from .registry import Example, OpCost, register

_pool = partial(register, category="pooling", field="window", family="pool")


def window_pool(x: Shape, n: int, op: str, kernel_size, stride, padding, dilation, ceil_mode: bool) -> OpCost:
    """FLOPs = N·C·prod(out)·prod(k); torch refuses padding above half the kernel."""
    batch, channels, sizes = channels_first(x, n, op)
    kernel = ntuple(kernel_size, n, f"{op} kernel_size")
    step = kernel if stride is None or stride == () or stride == [] else ntuple(stride, n, f"{op} stride")
    pad, dil = ntuple(padding, n, f"{op} padding"), ntuple(dilation, n, f"{op} dilation")
    require_positive(f"{op} kernel size", *kernel)
    if any(p > k // 2 for p, k in zip(pad, kernel, strict=True)):
        raise ShapeError(f"{op} padding {pad} is more than half the kernel {kernel}")
    out = sliding_sizes(x, sizes, op, kernel, step, pad, dil, ceil_mode)
    return OpCost(Shape((*batch, channels, *out)), flops=batch_size(batch) * channels * prod(out) * prod(kernel))


@_pool(
    "max_pool1d",
    example=Example(((4, 9),), {"kernel_size": 3, "stride": 2}),
    keeps="input_and_indices",
    torch_module="MaxPool1d",
    torch_functions=("max_pool1d",),
)
def max_pool1d(x: Shape, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> OpCost:
    """FLOPs = C·L_out·k comparisons; stride defaults to the kernel size."""
    return window_pool(x, 1, "max_pool1d", kernel_size, stride, padding, dilation, ceil_mode)


@_pool(
    "max_pool2d",
    example=Example(((4, 8, 8),), {"kernel_size": 2}),
    keeps="input_and_indices",
    torch_module="MaxPool2d",
    torch_functions=("max_pool2d",),
    transient="indices",
)
def max_pool2d(x: Shape, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> OpCost:
    """FLOPs = C·H_out·W_out·kh·kw comparisons; stride defaults to the kernel size."""
    return window_pool(x, 2, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)


@_pool(
    "max_pool3d",
    example=Example(((2, 4, 6, 6),), {"kernel_size": (1, 3, 3), "stride": (1, 2, 2), "padding": (0, 1, 1)}),
    keeps="input_and_indices",
    torch_module="MaxPool3d",
    torch_functions=("max_pool3d",),
    transient="indices",
)
def max_pool3d(x: Shape, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> OpCost:
    """FLOPs = C·T_out·H_out·W_out·kt·kh·kw comparisons; stride defaults to the kernel size."""
    return window_pool(x, 3, "max_pool3d", kernel_size, stride, padding, dilation, ceil_mode)


@_pool(
    "avg_pool1d",
    example=Example(((4, 9),), {"kernel_size": 3}),
    keeps="input",
    torch_module="AvgPool1d",
    torch_functions=("avg_pool1d",),
)
def avg_pool1d(
    x: Shape, *, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
) -> OpCost:
    """FLOPs = C·L_out·k additions; stride defaults to the kernel size."""
    return window_pool(x, 1, "avg_pool1d", kernel_size, stride, padding, 1, ceil_mode)


@_pool(
    "avg_pool2d",
    example=Example(((4, 8, 8),), {"kernel_size": 2}),
    keeps="input",
    torch_module="AvgPool2d",
    torch_functions=("avg_pool2d",),
)
def avg_pool2d(
    x: Shape,
    *,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> OpCost:
    """FLOPs = C·H_out·W_out·kh·kw additions; stride defaults to the kernel size."""
    return window_pool(x, 2, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)


@_pool(
    "avg_pool3d",
    example=Example(((2, 4, 6, 6),), {"kernel_size": 2}),
    keeps="input",
    torch_module="AvgPool3d",
    torch_functions=("avg_pool3d",),
)
def avg_pool3d(
    x: Shape,
    *,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> OpCost:
    """FLOPs = C·T_out·H_out·W_out·kt·kh·kw additions; stride defaults to the kernel size."""
    return window_pool(x, 3, "avg_pool3d", kernel_size, stride, padding, 1, ceil_mode)


def adaptive_windows(size: int, out: int) -> int:
    """Sum of torch's adaptive window lengths: window i spans floor(i·size/out) to ceil((i+1)·size/out).

    The lengths add up to the size, plus one for each boundary j·size/out (0 < j < out) that falls inside a position,
    which the windows on both sides share: size + out - gcd(size, out). A closed form, so a huge output size costs
    nothing to count.
    """
    return size + out - gcd(size, out)


def adaptive_pool(x: Shape, n: int, op: str, output_size) -> OpCost:
    """FLOPs = N·C · Π (sum of the window lengths along each axis): each output reads its whole window."""
    batch, channels, sizes = channels_first(x, n, op)
    if isinstance(output_size, (tuple, list)) and len(output_size) == n:  # None keeps that size, as in torch
        output_size = tuple(size if o is None else o for o, size in zip(output_size, sizes, strict=True))
    out = ntuple(output_size, n, f"{op} output_size")
    require_positive(f"{op} output_size", *out)
    windows = prod(adaptive_windows(size, o) for size, o in zip(sizes, out, strict=True))
    return OpCost(Shape((*batch, channels, *out)), flops=batch_size(batch) * channels * windows)


_adaptive = partial(register, category="pooling", field="adaptive_window", family="adaptive_pool")


@_adaptive(
    "adaptive_avg_pool1d",
    example=Example(((4, 7),), {"output_size": 3}),
    keeps="pooled_input",
    torch_module="AdaptiveAvgPool1d",
    torch_functions=("adaptive_avg_pool1d",),
)
def adaptive_avg_pool1d(x: Shape, *, output_size) -> OpCost:
    """Output C×o; FLOPs = C · Σ window lengths additions."""
    return adaptive_pool(x, 1, "adaptive_avg_pool1d", output_size)


@_adaptive(
    "adaptive_avg_pool2d",
    example=Example(((4, 7, 7),), {"output_size": 3}),
    keeps="pooled_input",
    torch_module="AdaptiveAvgPool2d",
    torch_functions=("adaptive_avg_pool2d",),
)
def adaptive_avg_pool2d(x: Shape, *, output_size) -> OpCost:
    """Output C×oh×ow; FLOPs = C · Σ window heights · Σ window widths additions."""
    return adaptive_pool(x, 2, "adaptive_avg_pool2d", output_size)


@_adaptive(
    "adaptive_avg_pool3d",
    example=Example(((2, 4, 5, 5),), {"output_size": 1}),
    keeps="pooled_input",
    torch_module="AdaptiveAvgPool3d",
    torch_functions=("adaptive_avg_pool3d",),
)
def adaptive_avg_pool3d(x: Shape, *, output_size) -> OpCost:
    """Output C×ot×oh×ow; FLOPs = C · Σ window lengths along T, H and W multiplied, additions."""
    return adaptive_pool(x, 3, "adaptive_avg_pool3d", output_size)


@_adaptive(
    "adaptive_max_pool1d",
    example=Example(((4, 7),), {"output_size": 3}),
    keeps="input_and_indices",
    torch_module="AdaptiveMaxPool1d",
    torch_functions=("adaptive_max_pool1d",),
    transient="indices",
)
def adaptive_max_pool1d(x: Shape, *, output_size) -> OpCost:
    """Output C×o; FLOPs = C · Σ window lengths comparisons."""
    return adaptive_pool(x, 1, "adaptive_max_pool1d", output_size)


@_adaptive(
    "adaptive_max_pool2d",
    example=Example(((4, 7, 7),), {"output_size": 3}),
    keeps="input_and_indices",
    torch_module="AdaptiveMaxPool2d",
    torch_functions=("adaptive_max_pool2d",),
    transient="indices",
)
def adaptive_max_pool2d(x: Shape, *, output_size) -> OpCost:
    """Output C×oh×ow; FLOPs = C · Σ window heights · Σ window widths comparisons."""
    return adaptive_pool(x, 2, "adaptive_max_pool2d", output_size)


@_adaptive(
    "adaptive_max_pool3d",
    example=Example(((2, 4, 5, 5),), {"output_size": 2}),
    keeps="input_and_indices",
    torch_module="AdaptiveMaxPool3d",
    torch_functions=("adaptive_max_pool3d",),
    transient="indices",
)
def adaptive_max_pool3d(x: Shape, *, output_size) -> OpCost:
    """Output C×ot×oh×ow; FLOPs = C · Σ window lengths along T, H and W multiplied, comparisons."""
    return adaptive_pool(x, 3, "adaptive_max_pool3d", output_size)


@register("global_avg_pool2d", example=Example(((4, 7, 7),)), category="pooling", keeps="nothing", field="whole")
def global_avg_pool2d(x: Shape) -> OpCost:
    """Output C×1×1 (the mean of each channel); FLOPs = C·H·W additions."""
    batch, channels, (h, w) = channels_first(x, 2, "global_avg_pool2d")
    return OpCost(Shape((*batch, channels, 1, 1)), flops=batch_size(batch) * channels * h * w)
