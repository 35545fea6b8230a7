"""Layers that act on each element: activations, normalisation, dropout and softmax.

NB: FLOPs of elementwise layers are nominal counts per output element, stated in each
docstring: one for an activation (the exponential in sigmoid, tanh, GELU or SiLU counts as one),
two for an inference batch norm. Papers and model zoos leave them out of their totals;
cnncost keeps them out of MACs and in FLOPs.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .common import feature_map, require_positive
from .registry import OpCost, register

ACTIVATIONS = ("relu", "relu6", "gelu", "tanh", "sigmoid", "silu", "hardswish", "hardsigmoid")


def activation(x: Shape, *, inplace: bool = False) -> OpCost:
    """FLOPs = 1 per output element; with inplace the output reuses the input's memory."""
    return OpCost(x, flops=x.numel, in_place=inplace)


for _name in ACTIVATIONS:
    register(_name)(activation)


@register("dropout")
def dropout(x: Shape, *, p: float = 0.5) -> OpCost:
    """No FLOPs and no new memory: dropout is the identity at inference."""
    if not 0 <= p <= 1:
        raise ShapeError(f"dropout p must lie in [0, 1], got {p}")
    return OpCost(x, in_place=True)


@register("batch_norm2d")
def batch_norm2d(x: Shape, *, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True) -> OpCost:
    """Params = 2·C (γ, β); buffers = 2·C + 1 (running mean, variance, batch count); FLOPs = 2 per element."""
    channels, _, _ = feature_map(x, "batch_norm2d")
    return OpCost(x, params=2 * channels if affine else 0, buffers=2 * channels + 1 if track_running_stats else 0,
                  flops=2 * x.numel)


@register("local_response_norm")
def local_response_norm(x: Shape, *, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> OpCost:
    """FLOPs = (size + 4) per element: a square, size−1 adds over the window, then scale, add k, power, divide."""
    feature_map(x, "local_response_norm")
    require_positive("local_response_norm size", size)
    return OpCost(x, flops=(size + 4) * x.numel)


@register("softmax")
def softmax(x: Shape, *, dim: int = 0) -> OpCost:
    """FLOPs = 3 per element: exponential, sum, divide."""
    if not -len(x.dims) <= dim < len(x.dims):
        raise ShapeError(f"softmax dim {dim} is out of range for {x}")
    return OpCost(x, flops=3 * x.numel)
