"""Fully connected layers and the flatten that feeds them."""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .common import require_positive
from .registry import OpCost, register


@register("linear")
def linear(x: Shape, *, out_features: int, bias: bool = True) -> OpCost:
    """MACs = in·out; FLOPs = 2·MACs; params = in·out (+ out bias)."""
    if len(x.dims) != 1:
        raise ShapeError(f"linear expects a flat vector of features, got {x}: add a flatten before it")
    require_positive("linear out_features", out_features)
    macs = x.numel * out_features
    return OpCost(Shape((out_features,)), params=macs + (out_features if bias else 0), macs=macs, flops=2 * macs)


@register("flatten")
def flatten(x: Shape) -> OpCost:
    """C×H×W -> C·H·W features; no arithmetic. Counted as a layer output, as the lecture tables do."""
    return OpCost(Shape((x.numel,)))
