"""Pooling: max and average over sliding windows, adaptive and global average.

Pooling costs output elements x window size (comparisons or additions), as the lecture
tables compute it; pooling has no MACs and no parameters.
"""

from __future__ import annotations

from math import gcd

from ..errors import ShapeError
from ..shapes import Shape
from .common import Pair, feature_map, pair, require_positive, sliding_output
from .registry import OpCost, register


def _window_pool(x: Shape, op: str, kernel_size, stride, padding, dilation, ceil_mode: bool) -> OpCost:
    """FLOPs = C·H_out·W_out·kh·kw; torch refuses padding above half the kernel."""
    kernel = pair(kernel_size, f"{op} kernel_size")
    step = kernel if stride is None else pair(stride, f"{op} stride")
    pad, dil = pair(padding, f"{op} padding"), pair(dilation, f"{op} dilation")
    require_positive(f"{op} kernel size", *kernel)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ShapeError(f"{op} padding {pad} is more than half the kernel {kernel}")
    h_out, w_out = sliding_output(x, op, kernel, step, pad, dil, ceil_mode)
    channels = x.channels
    return OpCost(Shape((channels, h_out, w_out)), flops=channels * h_out * w_out * kernel[0] * kernel[1])


@register("max_pool2d")
def max_pool2d(x: Shape, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> OpCost:
    """FLOPs = C·H_out·W_out·kh·kw comparisons; stride defaults to the kernel size."""
    return _window_pool(x, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)


@register("avg_pool2d")
def avg_pool2d(x: Shape, *, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> OpCost:
    """FLOPs = C·H_out·W_out·kh·kw additions; stride defaults to the kernel size."""
    return _window_pool(x, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)


def adaptive_windows(size: int, out: int) -> int:
    """Sum of torch's adaptive window lengths: window i spans floor(i·size/out) to ceil((i+1)·size/out).

    The lengths add up to the size, plus one for each boundary j·size/out (0 < j < out) that falls inside a position,
    which the windows on both sides share: size + out - gcd(size, out). A closed form, so a huge output size costs
    nothing to count.
    """
    return size + out - gcd(size, out)


def _adaptive_pool(x: Shape, op: str, output_size) -> OpCost:
    """FLOPs = C · (sum of window heights) · (sum of window widths): each output reads its whole window."""
    channels, h, w = feature_map(x, op)
    out: Pair = pair(output_size, f"{op} output_size")
    require_positive(f"{op} output_size", *out)
    return OpCost(Shape((channels, *out)), flops=channels * adaptive_windows(h, out[0]) * adaptive_windows(w, out[1]))


@register("adaptive_avg_pool2d")
def adaptive_avg_pool2d(x: Shape, *, output_size) -> OpCost:
    """Output C×oh×ow; FLOPs = C · Σ window heights · Σ window widths additions."""
    return _adaptive_pool(x, "adaptive_avg_pool2d", output_size)


@register("adaptive_max_pool2d")
def adaptive_max_pool2d(x: Shape, *, output_size) -> OpCost:
    """Output C×oh×ow; FLOPs = C · Σ window heights · Σ window widths comparisons."""
    return _adaptive_pool(x, "adaptive_max_pool2d", output_size)


@register("global_avg_pool2d")
def global_avg_pool2d(x: Shape) -> OpCost:
    """Output C×1×1 (the mean of each channel); FLOPs = C·H·W additions."""
    channels, h, w = feature_map(x, "global_avg_pool2d")
    return OpCost(Shape((channels, 1, 1)), flops=channels * h * w)


def _reduction(x: Shape, op: str, dim, keepdim: bool) -> OpCost:
    """Reduce the sample dimensions in dim (0 = channels); FLOPs = one operation per input element."""
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims or any(not 0 <= d < len(x.dims) for d in dims):
        raise ShapeError(f"{op} dims {dim} are out of range for {x}")
    kept = [1 if d in dims else size for d, size in enumerate(x.dims)]
    out = kept if keepdim else [size for d, size in enumerate(x.dims) if d not in dims]
    return OpCost(Shape(tuple(out) or (1,)), flops=x.numel)


@register("mean")
def mean(x: Shape, *, dim, keepdim: bool = False) -> OpCost:
    """The mean over the sample dimensions in dim (0 = channels); FLOPs = one addition per input element."""
    return _reduction(x, "mean", dim, keepdim)


@register("sum")
def sum_(x: Shape, *, dim, keepdim: bool = False) -> OpCost:
    """The sum over the sample dimensions in dim (0 = channels); FLOPs = one addition per input element."""
    return _reduction(x, "sum", dim, keepdim)


@register("amax")
def amax(x: Shape, *, dim, keepdim: bool = False) -> OpCost:
    """The maximum over the sample dimensions in dim (0 = channels); FLOPs = one comparison per input element."""
    return _reduction(x, "amax", dim, keepdim)