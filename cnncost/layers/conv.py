"""Convolutions and transposed convolutions over 1, 2 or 3 spatial dimensions.

A convolution's MACs are its output elements times the weights each one reads, (C_in/groups)·prod(k); a
transposed convolution scatters each input element through (C_out/groups)·prod(k) weights, so its MACs are its
input elements times that. Both are what torch.utils.flop_counter counts (its conv_flop_count). Biases are not
counted in MACs or FLOPs.
"""

from __future__ import annotations

from functools import partial
from math import prod

from ..errors import ShapeError
from ..shapes import Shape
from .common import batch_size, channels_first, ntuple, require_positive, sliding_sizes
from .registry import Example, OpCost, register


def _groups_divide(op: str, groups: int, in_channels: int, out_channels: int) -> None:
    if type(out_channels) is not int or type(groups) is not int or min(out_channels, groups) < 1:
        require_positive(f"{op} out_channels", out_channels)
        require_positive(f"{op} groups", groups)
    if in_channels % groups or out_channels % groups:
        raise ShapeError(
            f"{op} groups={groups} must divide both the input channels ({in_channels}) "
            f"and out_channels ({out_channels})"
        )


def same_padding(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """padding='same' as torch pads it: d·(k−1) in all, the smaller half before (left), the rest after."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(kernel, dilation, strict=True))


def conv_cost(
    x: Shape, n: int, op: str, out_channels: int, kernel_size, stride, padding, dilation, groups: int, bias: bool
) -> OpCost:
    """MACs = N·C_out·prod(out) · (C_in/groups)·prod(k); params = C_out·(C_in/groups)·prod(k) (+ C_out)."""
    batch, in_channels, sizes = channels_first(x, n, op)
    kernel, step = ntuple(kernel_size, n, f"{op} kernel_size"), ntuple(stride, n, f"{op} stride")
    dil = ntuple(dilation, n, f"{op} dilation")
    _groups_divide(op, groups, in_channels, out_channels)
    if padding == "valid":
        pad = (0,) * n
    elif padding == "same":
        if any(s != 1 for s in step):
            raise ShapeError(f"{op} padding='same' needs stride 1, got {stride}")
        sizes = tuple(
            size + before + after for size, (before, after) in zip(sizes, same_padding(kernel, dil), strict=True)
        )
        pad = (0,) * n
    else:
        pad = ntuple(padding, n, f"{op} padding")
    out = sliding_sizes(x, sizes, op, kernel, step, pad, dil)
    weights_per_output = in_channels // groups * prod(kernel)
    macs = batch_size(batch) * out_channels * prod(out) * weights_per_output
    params = out_channels * weights_per_output + (out_channels if bias else 0)
    return OpCost(Shape((*batch, out_channels, *out)), params=params, macs=macs, flops=2 * macs)


def transposed_conv_cost(
    x: Shape,
    n: int,
    op: str,
    out_channels: int,
    kernel_size,
    stride,
    padding,
    output_padding,
    dilation,
    groups: int,
    bias: bool,
) -> OpCost:
    """out = (in−1)·s − 2p + d·(k−1) + output_padding + 1; MACs = N·C_in·prod(in) · (C_out/groups)·prod(k)."""
    batch, in_channels, sizes = channels_first(x, n, op)
    kernel, step = ntuple(kernel_size, n, f"{op} kernel_size"), ntuple(stride, n, f"{op} stride")
    pad, extra = ntuple(padding, n, f"{op} padding"), ntuple(output_padding, n, f"{op} output_padding")
    dil = ntuple(dilation, n, f"{op} dilation")
    _groups_divide(op, groups, in_channels, out_channels)
    require_positive(f"{op} kernel size", *kernel)
    require_positive(f"{op} stride", *step)
    require_positive(f"{op} dilation", *dil)
    if min(pad) < 0 or min(extra) < 0:
        raise ShapeError(f"{op} padding and output_padding must not be negative, got {pad} and {extra}")
    if any(e >= max(s, d) for e, s, d in zip(extra, step, dil, strict=True)):
        raise ShapeError(f"{op} output_padding {extra} must be smaller than the stride {step} or the dilation {dil}")
    out = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + e + 1
        for size, s, p, d, k, e in zip(sizes, step, pad, dil, kernel, extra, strict=True)
    )
    if min(out) < 1:
        raise ShapeError(f"output would be {'x'.join(str(max(o, 0)) for o in out)} from {x}")
    weights_per_input = out_channels // groups * prod(kernel)
    macs = batch_size(batch) * in_channels * prod(sizes) * weights_per_input
    params = in_channels * weights_per_input + (out_channels if bias else 0)
    return OpCost(Shape((*batch, out_channels, *out)), params=params, macs=macs, flops=2 * macs)


_conv = partial(register, category="convolution", keeps="input", field="window", family="conv")
_transposed = partial(
    register, category="convolution", keeps="input", field="transposed_window", family="conv_transpose"
)


@_conv(
    "conv1d",
    example=Example(((3, 9),), {"out_channels": 4, "kernel_size": 3, "stride": 2}),
    torch_module="Conv1d",
    torch_functions=("conv1d",),
)
def conv1d(
    x: Shape, *, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1, bias: bool = True
) -> OpCost:
    """MACs = C_out·L_out · (C_in/groups)·k; FLOPs = 2·MACs; params = C_out·(C_in/groups)·k (+ C_out bias)."""
    return conv_cost(x, 1, "conv1d", out_channels, kernel_size, stride, padding, dilation, groups, bias)


@_conv(
    "conv2d",
    example=Example(((3, 8, 8),), {"out_channels": 4, "kernel_size": 3}),
    torch_module="Conv2d",
    torch_functions=("conv2d",),
)
def conv2d(
    x: Shape, *, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1, bias: bool = True
) -> OpCost:
    """MACs = C_out·H_out·W_out · (C_in/groups)·kh·kw; FLOPs = 2·MACs;
    params = C_out·(C_in/groups)·kh·kw (+ C_out bias)."""
    return conv_cost(x, 2, "conv2d", out_channels, kernel_size, stride, padding, dilation, groups, bias)


@_conv(
    "conv3d",
    example=Example(((2, 4, 6, 6),), {"out_channels": 3, "kernel_size": (2, 3, 3), "padding": 1}),
    torch_module="Conv3d",
    torch_functions=("conv3d",),
)
def conv3d(
    x: Shape, *, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1, bias: bool = True
) -> OpCost:
    """MACs = C_out·T_out·H_out·W_out · (C_in/groups)·kt·kh·kw; FLOPs = 2·MACs;
    params = C_out·(C_in/groups)·kt·kh·kw (+ C_out)."""
    return conv_cost(x, 3, "conv3d", out_channels, kernel_size, stride, padding, dilation, groups, bias)


@_transposed(
    "conv_transpose1d",
    example=Example(((4, 5),), {"out_channels": 2, "kernel_size": 3, "stride": 2}),
    torch_module="ConvTranspose1d",
    torch_functions=("conv_transpose1d",),
)
def conv_transpose1d(
    x: Shape,
    *,
    out_channels: int,
    kernel_size,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
    bias: bool = True,
) -> OpCost:
    """L_out = (L−1)·s − 2p + d(k−1) + output_padding + 1; MACs = C_in·L · (C_out/groups)·k; FLOPs = 2·MACs."""
    return transposed_conv_cost(
        x, 1, "conv_transpose1d", out_channels, kernel_size, stride, padding, output_padding, dilation, groups, bias
    )


@_transposed(
    "conv_transpose2d",
    example=Example(((4, 5, 5),), {"out_channels": 2, "kernel_size": 4, "stride": 2, "padding": 1}),
    torch_module="ConvTranspose2d",
    torch_functions=("conv_transpose2d",),
)
def conv_transpose2d(
    x: Shape,
    *,
    out_channels: int,
    kernel_size,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
    bias: bool = True,
) -> OpCost:
    """H_out = (H−1)·s − 2p + d(k−1) + output_padding + 1; MACs = C_in·H·W · (C_out/groups)·kh·kw; FLOPs = 2·MACs."""
    return transposed_conv_cost(
        x, 2, "conv_transpose2d", out_channels, kernel_size, stride, padding, output_padding, dilation, groups, bias
    )


@_transposed(
    "conv_transpose3d",
    example=Example(((4, 3, 4, 4),), {"out_channels": 2, "kernel_size": 2, "stride": 2}),
    torch_module="ConvTranspose3d",
    torch_functions=("conv_transpose3d",),
)
def conv_transpose3d(
    x: Shape,
    *,
    out_channels: int,
    kernel_size,
    stride=1,
    padding=0,
    output_padding=0,
    dilation=1,
    groups: int = 1,
    bias: bool = True,
) -> OpCost:
    """T_out = (T−1)·s − 2p + d(k−1) + output_padding + 1, and so H, W; MACs = C_in·T·H·W · (C_out/groups)·prod(k)."""
    return transposed_conv_cost(
        x, 3, "conv_transpose3d", out_channels, kernel_size, stride, padding, output_padding, dilation, groups, bias
    )
