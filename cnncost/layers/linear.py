"""Fully connected layers, matrix products, and the reshapes that feed them."""

from __future__ import annotations

from math import prod

from ..errors import InputMismatch, ShapeError
from ..shapes import Shape
from .common import require_positive
from .merge import broadcast
from .registry import OpCost, register


@register("linear")
def linear(x: Shape, *, out_features: int, bias: bool = True) -> OpCost:
    """MACs = (elements / in)·in·out, applied to the last dimension as torch does; FLOPs = 2·MACs; params = in·out (+ out)."""
    require_positive("linear out_features", out_features)
    in_features = x.dims[-1]
    macs = x.numel * out_features
    return OpCost(Shape((*x.dims[:-1], out_features)), params=in_features * out_features + (out_features if bias else 0),
                  macs=macs, flops=2 * macs)


@register("flatten")
def flatten(x: Shape) -> OpCost:
    """C×H×W -> C·H·W features; no arithmetic. Counted as a layer output, as the lecture tables do."""
    return OpCost(Shape((x.numel,)))


@register("reshape")
def reshape(x: Shape, *, shape) -> OpCost:
    """The same elements in another shape (a view); no arithmetic."""
    out = Shape(tuple(shape))
    if out.numel != x.numel:
        raise ShapeError(f"cannot reshape {x} ({x.numel} elements) to {out} ({out.numel} elements)")
    return OpCost(out)


@register("matmul")
def matmul(a: Shape, b: Shape) -> OpCost:
    """(…, n, k) @ (…, k, m): MACs = (broadcast leading sizes)·n·k·m; FLOPs = 2·MACs."""
    if len(a.dims) < 2 or len(b.dims) < 2:
        raise ShapeError(f"matmul needs two matrices per sample, got {a} and {b}")
    (n, k), (k2, m) = a.dims[-2:], b.dims[-2:]
    if k != k2:
        raise InputMismatch(0, 1, f"inner sizes differ: {k} and {k2}")
    lead_a, lead_b = a.dims[:-2], b.dims[:-2]
    lead = broadcast((Shape(lead_a or (1,)), Shape(lead_b or (1,)))).dims if lead_a or lead_b else ()
    macs = prod(lead) * n * k * m
    return OpCost(Shape((*lead, n, m)), macs=macs, flops=2 * macs)