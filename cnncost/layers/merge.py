"""Layers with several inputs: concatenation, elementwise add and multiply."""

from __future__ import annotations

from ..errors import InputMismatch
from ..shapes import Shape
from .registry import OpCost, register


@register("concat")
def concat(*xs: Shape, dim: int = 0) -> OpCost:
    """Joins the inputs along dim (0 = channels); no arithmetic."""
    first = xs[0]
    if not 0 <= dim < len(first.dims):
        raise InputMismatch(0, 0, f"concat dim {dim} is out of range for {first}")
    for i, x in enumerate(xs[1:], start=1):
        if len(x.dims) != len(first.dims) or any(a != b for d, (a, b) in enumerate(zip(first.dims, x.dims)) if d != dim):
            raise InputMismatch(0, i, f"sizes differ outside dim {dim}")
    dims = list(first.dims)
    dims[dim] = sum(x.dims[dim] for x in xs)
    return OpCost(Shape(tuple(dims)))


def broadcast(xs: tuple[Shape, ...]) -> Shape:
    """The shape torch broadcasts the inputs to: trailing dims aligned, each equal or 1."""
    if all(x == xs[0] for x in xs):
        return xs[0]
    rank = max(len(x.dims) for x in xs)
    padded = [(1,) * (rank - len(x.dims)) + x.dims for x in xs]
    out = list(padded[0])
    for i, dims in enumerate(padded[1:], start=1):
        for d, size in enumerate(dims):
            if size != out[d] and 1 not in (size, out[d]):
                raise InputMismatch(0, i, "sizes do not broadcast")
            out[d] = max(out[d], size)
    return Shape(tuple(out))


@register("add")
def add(*xs: Shape) -> OpCost:
    """FLOPs = (inputs − 1) per output element; inputs broadcast as in torch."""
    out = broadcast(xs)
    return OpCost(out, flops=(len(xs) - 1) * out.numel)


@register("multiply")
def multiply(*xs: Shape) -> OpCost:
    """FLOPs = (inputs − 1) per output element; inputs broadcast as in torch (a C×1×1 gate scales a C×H×W map)."""
    out = broadcast(xs)
    return OpCost(out, flops=(len(xs) - 1) * out.numel)


@register("elementwise")
def elementwise(*xs: Shape, operation: str, constant: float | None = None) -> OpCost:
    """Arithmetic op (add, sub, mul, div, ...) on broadcast inputs, or one input and a constant: FLOPs = 1 per
    output element per operation (inputs − 1, or 1 with a constant)."""
    out = broadcast(xs)
    return OpCost(out, flops=max(len(xs) - 1, 1) * out.numel)