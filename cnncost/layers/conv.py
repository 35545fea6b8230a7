"""Convolution."""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .common import pair, require_positive, sliding_output
from .registry import OpCost, register


@register("conv2d")
def conv2d(x: Shape, *, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
           bias: bool = True) -> OpCost:
    """MACs = C_out·H_out·W_out · (C_in/groups)·kh·kw; FLOPs = 2·MACs; params = C_out·(C_in/groups)·kh·kw (+ C_out bias)."""
    kernel, step = pair(kernel_size, "conv2d kernel_size"), pair(stride, "conv2d stride")
    pad, dil = pair(padding, "conv2d padding"), pair(dilation, "conv2d dilation")
    require_positive("conv2d out_channels", out_channels)
    require_positive("conv2d groups", groups)
    in_channels = x.channels
    if in_channels % groups or out_channels % groups:
        raise ShapeError(
            f"conv2d groups={groups} must divide both the input channels ({in_channels}) "
            f"and out_channels ({out_channels})"
        )
    h_out, w_out = sliding_output(x, "conv2d", kernel, step, pad, dil)
    weights_per_filter = in_channels // groups * kernel[0] * kernel[1]
    macs = out_channels * h_out * w_out * weights_per_filter
    params = out_channels * weights_per_filter + (out_channels if bias else 0)
    return OpCost(Shape((out_channels, h_out, w_out)), params=params, macs=macs, flops=2 * macs)
