"""Normalisation: batch norm (running statistics at inference), layer, group, instance and RMS norm (statistics of
the input itself), and local response norm.

NB: FLOPs of a norm are nominal counts per element, stated in each docstring. Batch norm at inference is a scale
and a shift: 2. A norm that computes its statistics costs 5 (the mean: 1 addition; the variance: a difference,
its square and an addition; the normalisation: 1 combined subtract-and-scale), plus 1 for an affine weight and 1 for
an affine bias.
"""

from __future__ import annotations

from functools import partial
from math import prod

from ..errors import ShapeError
from ..shapes import Shape
from .common import channels_first, require_positive
from .registry import Example, OpCost, register

_norm = partial(register, category="normalization", field="pointwise")
STATISTICS_FLOPS = 5


def _channels(x: Shape, op: str, spatial: tuple[int, ...], num_features: int | None) -> int:
    """The channel count of an input with one of the given spatial ranks (C first for one sample, N×C for a batch).

    Where one sample and a batch have the same rank (batch_norm1d's C×L and N×C), num_features says which it is."""
    candidates = [x.dims[0] for n in spatial if len(x.dims) == n + 1]  # one sample first
    candidates += [x.dims[1] for n in spatial if len(x.dims) == n + 2]
    if not candidates:
        ranks = " or ".join(str(n + 1) for n in spatial)
        raise ShapeError(
            f"{op} expects {ranks} dimensions for one sample (channels first) or one more with a batch, got {x}"
        )
    if num_features is None:
        return candidates[0]
    require_positive(f"{op} num_features", num_features)
    if num_features not in candidates:
        raise ShapeError(f"{op} num_features={num_features} is not the channel count of {x}")
    return num_features


def batch_norm(
    x: Shape, op: str, spatial: tuple[int, ...], num_features, affine: bool, track_running_stats: bool
) -> OpCost:
    """Params = 2·C (γ, β); buffers = 2·C + 1 (running mean, variance, batch count); FLOPs = 2 per element."""
    channels = _channels(x, op, spatial, num_features)
    return OpCost(
        x,
        params=2 * channels if affine else 0,
        buffers=2 * channels + 1 if track_running_stats else 0,
        flops=2 * x.numel,
        counters=1 if track_running_stats else 0,
    )


_batch_norm = partial(
    _norm, keeps="input_and_statistics", family="batch_norm", torch_functions=("batch_norm",), same_shape=True
)


@_batch_norm("batch_norm1d", example=Example(((3, 5),)), torch_module="BatchNorm1d")
def batch_norm1d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
) -> OpCost:
    """C or C×L (N×C or N×C×L with a batch); params = 2·C; buffers = 2·C + 1; FLOPs = 2 per element (inference)."""
    return batch_norm(x, "batch_norm1d", (0, 1), num_features, affine, track_running_stats)


@_batch_norm("batch_norm2d", example=Example(((2, 3, 4),)), torch_module="BatchNorm2d")
def batch_norm2d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
) -> OpCost:
    """Params = 2·C (γ, β); buffers = 2·C + 1 (running mean, variance, batch count); FLOPs = 2 per element."""
    return batch_norm(x, "batch_norm2d", (2,), num_features, affine, track_running_stats)


@_batch_norm("batch_norm3d", example=Example(((2, 3, 4, 4),)), torch_module="BatchNorm3d")
def batch_norm3d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = True,
    track_running_stats: bool = True,
) -> OpCost:
    """C×T×H×W; params = 2·C; buffers = 2·C + 1; FLOPs = 2 per element (inference)."""
    return batch_norm(x, "batch_norm3d", (3,), num_features, affine, track_running_stats)


def affine_flops(weight: bool, bias: bool) -> int:
    """Per element: 1 for an affine weight, 1 for an affine bias."""
    return int(weight) + int(weight and bias)


def instance_norm(x: Shape, op: str, n: int, num_features, affine: bool, track_running_stats: bool) -> OpCost:
    """Statistics of each sample and channel; with running statistics, as batch norm at inference."""
    batch, channels, _ = channels_first(x, n, op)
    if num_features is not None and num_features != channels:
        raise ShapeError(f"{op} num_features={num_features} is not the channel count of {x}")
    per_element = 2 if track_running_stats else STATISTICS_FLOPS + affine_flops(affine, affine)
    return OpCost(
        x,
        params=2 * channels if affine else 0,
        buffers=2 * channels + 1 if track_running_stats else 0,
        flops=per_element * x.numel,
        counters=1 if track_running_stats else 0,
    )


_instance_norm = partial(
    _norm, keeps="input_and_row_statistics", family="instance_norm", torch_functions=("instance_norm",), same_shape=True
)


@_instance_norm("instance_norm1d", example=Example(((3, 6),), {"affine": True}), torch_module="InstanceNorm1d")
def instance_norm1d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = False,
    track_running_stats: bool = False,
) -> OpCost:
    """C×L; FLOPs = 5 per element (+2 affine), or 2 with running statistics; params = 2·C when affine."""
    return instance_norm(x, "instance_norm1d", 1, num_features, affine, track_running_stats)


@_instance_norm("instance_norm2d", example=Example(((3, 4, 4),)), torch_module="InstanceNorm2d")
def instance_norm2d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = False,
    track_running_stats: bool = False,
) -> OpCost:
    """C×H×W; FLOPs = 5 per element (+2 affine), or 2 with running statistics; params = 2·C when affine."""
    return instance_norm(x, "instance_norm2d", 2, num_features, affine, track_running_stats)


@_instance_norm(
    "instance_norm3d", example=Example(((3, 2, 4, 4),), {"track_running_stats": True}), torch_module="InstanceNorm3d"
)
def instance_norm3d(
    x: Shape,
    *,
    num_features: int | None = None,
    eps: float = 1e-5,
    momentum: float = 0.1,
    affine: bool = False,
    track_running_stats: bool = False,
) -> OpCost:
    """C×T×H×W; FLOPs = 5 per element (+2 affine), or 2 with running statistics; params = 2·C when affine."""
    return instance_norm(x, "instance_norm3d", 3, num_features, affine, track_running_stats)


def _trailing(x: Shape, op: str, normalized_shape) -> tuple[int, ...]:
    shape = (
        (normalized_shape,)
        if type(normalized_shape) is int
        else tuple(normalized_shape)
        if isinstance(normalized_shape, (tuple, list))
        else None
    )
    if not shape or any(type(d) is not int or d < 1 for d in shape):
        raise ShapeError(f"{op} normalized_shape must be a positive int or a list of them, got {normalized_shape!r}")
    if x.dims[len(x.dims) - len(shape) :] != shape:
        raise ShapeError(f"{op} normalized_shape {list(shape)} is not the last dimensions of {x}")
    return shape


@_norm(
    "layer_norm",
    example=Example(((5, 6),), {"normalized_shape": 6}),
    keeps="input_and_row_statistics",
    torch_module="LayerNorm",
    torch_functions=("layer_norm",),
    same_shape=True,
)
def layer_norm(
    x: Shape, *, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True
) -> OpCost:
    """Over the last dims: FLOPs = 5 per element (+1 weight, +1 bias); params = prod(normalized_shape)·(1 + bias)."""
    shape = _trailing(x, "layer_norm", normalized_shape)
    params = prod(shape) * (1 + bias) if elementwise_affine else 0
    return OpCost(x, params=params, flops=(STATISTICS_FLOPS + affine_flops(elementwise_affine, bias)) * x.numel)


@_norm(
    "rms_norm",
    example=Example(((5, 6),), {"normalized_shape": 6}),
    keeps="input_and_row_statistics",
    torch_module="RMSNorm",
    torch_functions=("rms_norm",),
    same_shape=True,
)
def rms_norm(x: Shape, *, normalized_shape, eps: float | None = None, elementwise_affine: bool = True) -> OpCost:
    """x / √(mean(x²) + eps) over the last dims: FLOPs = 3 per element (square, add, scale) (+1 weight);
    params = prod(normalized_shape)."""
    shape = _trailing(x, "rms_norm", normalized_shape)
    return OpCost(x, params=prod(shape) if elementwise_affine else 0, flops=(3 + int(elementwise_affine)) * x.numel)


@_norm(
    "group_norm",
    example=Example(((6, 3, 3),), {"num_groups": 3}),
    keeps="input_and_row_statistics",
    torch_module="GroupNorm",
    torch_functions=("group_norm",),
    same_shape=True,
)
def group_norm(
    x: Shape, *, num_groups: int, num_channels: int | None = None, eps: float = 1e-5, affine: bool = True
) -> OpCost:
    """Statistics per group of channels: FLOPs = 5 per element (+2 affine); params = 2·C when affine."""
    if num_channels is None:
        channels = x.dims[0] if x.dims else 0  # one sample: channels first
    elif num_channels in x.dims[:2]:  # one sample (C first) or a batch (N×C)
        channels = num_channels
    else:
        raise ShapeError(f"group_norm num_channels={num_channels} is not the channel count of {x}")
    require_positive("group_norm num_groups", num_groups)
    if channels % num_groups:
        raise ShapeError(f"group_norm num_groups={num_groups} must divide the channels ({channels})")
    return OpCost(
        x, params=2 * channels if affine else 0, flops=(STATISTICS_FLOPS + affine_flops(affine, affine)) * x.numel
    )


@_norm(
    "local_response_norm",
    example=Example(((6, 3, 3),), {"size": 3}),
    keeps="lrn",
    torch_module="LocalResponseNorm",
    torch_functions=("local_response_norm",),
    same_shape=True,
    transient="lrn_temporaries",
)
def local_response_norm(x: Shape, *, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> OpCost:
    """FLOPs = (size + 4) per element: a square, size−1 adds over the window, then scale, add k, power, divide."""
    channels_first(x, 2, "local_response_norm")
    require_positive("local_response_norm size", size)
    return OpCost(x, flops=(size + 4) * x.numel)
