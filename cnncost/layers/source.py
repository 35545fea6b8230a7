"""Tensors that no layer computes from the input: further inputs, parameters used directly (a class token, a
layer-scale vector), constants a forward makes (a mask, positions), tensors a forward never touches, and ops
without a formula.

A parameter or constant does not grow with the batch: its cost is counted once, whatever the batch size.
"""

from __future__ import annotations

from functools import partial

from ..errors import ShapeError
from ..shapes import Shape
from .registry import Example, OpCost, register
from .reshape import given_shape

_source = partial(register, category="source", keeps="nothing", field="source")


def _shape(shape, op: str) -> Shape:
    if not isinstance(shape, (tuple, list)) or any(type(d) is not int or d < 0 for d in shape):
        raise ShapeError(f"{op} shape must be a list of sizes, got {shape!r}")
    return Shape(tuple(shape))


def _count(value, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ShapeError(f"{what} must be a whole number, at least 0, got {value!r}")
    return value


@_source("input", example=Example((), {"shape": (3, 4)}), source="input")
def input_(*, shape) -> OpCost:
    """A further input of the network (the first is 'input'), of the given shape; its memory is the input's."""
    return OpCost(_shape(shape, "input"), in_place=True)


@_source(
    "parameter", example=Example((), {"shape": (1, 1, 8)}), source="shared", parameter_tensors=lambda attributes: 1
)
def parameter(*, shape, buffer: bool = False) -> OpCost:
    """A parameter (or buffer) a forward uses directly, such as a class token: params (or buffers) = its elements;
    its memory is the weights', not an activation."""
    out = _shape(shape, "parameter")
    return OpCost(out, params=0 if buffer else out.numel, buffers=out.numel if buffer else 0, in_place=True)


@_source(
    "constant",
    example=Example((), {"shape": (7, 7)}),
    source="shared",
    torch_functions=tuple(
        "zeros ones full empty arange range linspace logspace eye tensor as_tensor rand randn randint randperm "
        "zeros_like ones_like full_like empty_like rand_like randn_like new_zeros new_ones new_full new_empty "
        "new_tensor scalar_tensor empty_strided meshgrid".split()
    ),
)
def constant(*, shape) -> OpCost:
    """A tensor the forward makes from no input (torch.zeros, torch.arange): no arithmetic; its memory counts once."""
    return OpCost(_shape(shape, "constant"))


@_source(
    "unused", example=Example((), {"params": 10, "buffers": 2, "reason": "not called in this forward"}), source="shared"
)
def unused(*, params: int = 0, buffers: int = 0, reason: str = "not called in this forward") -> OpCost:
    """Parameters and buffers of a module the forward never calls (an auxiliary head at inference) or never reads:
    counted in the totals, with no cost."""
    return OpCost(
        Shape(()), params=_count(params, "unused params"), buffers=_count(buffers, "unused buffers"), in_place=True
    )


@register(
    "uncounted",
    category="unknown",
    example=Example(((2, 3, 4),), {"output_shape": (7,), "source": "torch.erf"}),
    keeps="every_input",
    field="anywhere",
)
def uncounted(*xs: Shape, output_shape, source: str, params: int = 0, buffers: int = 0) -> OpCost:
    """An op with no formula (source names it): output shape (a list of them for several outputs) and parameters
    known, MACs and FLOPs unknown (not zero)."""
    return OpCost(
        given_shape(output_shape, "uncounted"),
        params=_count(params, "uncounted params"),
        buffers=_count(buffers, "uncounted buffers"),
        counted=False,
    )
