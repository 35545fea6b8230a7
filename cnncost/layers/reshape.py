"""Layers that move data without arithmetic: channel slicing (a split is one slice per part) and channel shuffle.

They cost no MACs and no FLOPs; their output is counted as memory like any layer's output.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .common import feature_map, require_positive
from .registry import OpCost, register


@register("slice")
def slice_(x: Shape, *, start: int, end: int, dim: int = 0) -> OpCost:
    """Elements start..end-1 along dim (0 = channels); no arithmetic. Two slices make ShuffleNet's channel split."""
    if not 0 <= dim < len(x.dims):
        raise ShapeError(f"slice dim {dim} is out of range for {x}")
    if not 0 <= start < end <= x.dims[dim]:
        raise ShapeError(f"slice {start}:{end} does not fit in size {x.dims[dim]} of {x}")
    dims = list(x.dims)
    dims[dim] = end - start
    return OpCost(Shape(tuple(dims)))


@register("channel_shuffle")
def channel_shuffle(x: Shape, *, groups: int) -> OpCost:
    """Interleaves the channels of `groups` groups (ShuffleNet); moves every element, no arithmetic."""
    channels, _, _ = feature_map(x, "channel_shuffle")
    require_positive("channel_shuffle groups", groups)
    if channels % groups:
        raise ShapeError(f"channel_shuffle groups={groups} must divide the channels ({channels})")
    return OpCost(x)


@register("uncounted")
def uncounted(*xs: Shape, output_shape, source: str, params: int = 0, buffers: int = 0) -> OpCost:
    """An op with no formula (source names it): output shape and parameters known, MACs and FLOPs unknown (not zero)."""
    for what, count in (("params", params), ("buffers", buffers)):
        if type(count) is not int or count < 0:
            raise ShapeError(f"uncounted {what} must be a whole number, at least 0, got {count!r}")
    return OpCost(Shape(tuple(output_shape)), params=params, buffers=buffers, counted=False)