"""Elementwise arithmetic: residual adds, gates that multiply, and any other op on each element of broadcast inputs.

NB: one FLOP per output element per operation, whatever the operation (an exponential, a comparison, a division
count alike); a chain over n inputs (x + y + z) is n − 1 operations.
"""

from __future__ import annotations

from functools import partial

from ..errors import InputMismatch, ShapeError
from ..shapes import Shape
from .registry import Example, OpCost, register

# Operations of more than one FLOP per element; every other operation counts 1.
TWO_STEP = frozenset({"addcmul", "addcdiv", "lerp"})
# Operations that pick among their inputs (a condition and two values, a tensor and a mask): one operation.
SELECTIONS = frozenset(set("where masked_fill clamp clip addcmul addcdiv lerp triu tril".split()))


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
            out[d] = max(out[d], size) if 0 not in (size, out[d]) else 0
    return Shape(tuple(out))


_elementwise = partial(register, category="elementwise", field="merge")
# The torch functions cnncost counts as one operation per element (add and mul: when they are not a sum or product of
# two tensors, which are `add` and `multiply`)
FUNCTIONS = tuple(
    "sub div pow maximum minimum remainder fmod floor_divide atan2 eq ne lt le gt ge logical_and logical_or "
    "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not and or xor invert exp exp2 expm1 "
    "log log2 log10 log1p sqrt rsqrt abs neg sign sgn sin cos tan asin acos atan sinh cosh erf erfc erfinv "
    "reciprocal square floor ceil round trunc frac clamp clamp_min clamp_max where masked_fill lerp addcmul "
    "addcdiv isnan isinf isfinite nan_to_num positive negative xlogy hypot copysign heaviside logaddexp "
    "float_power triu tril".split()
)
# Those whose output has their one input's shape and strides (the trace makes their result on the meta device
# without running them)
SAME_SHAPE = tuple("exp log sqrt rsqrt neg abs erf reciprocal square sin cos".split())


@_elementwise(
    "add", example=Example(((2, 3, 3), (2, 3, 3))), keeps="nothing", torch_functions=("add",), family="arithmetic"
)
def add(*xs: Shape, inplace: bool = False) -> OpCost:
    """FLOPs = (inputs − 1) per output element; inputs broadcast as in torch; with inplace (x += y) the output is
    the first input's storage."""
    return _chain(xs, "add", inplace)


def _chain(xs: tuple[Shape, ...], op: str, inplace: bool) -> OpCost:
    out = broadcast(xs)
    if inplace and out.dims != xs[0].dims:
        raise ShapeError(f"an in-place {op} cannot grow {xs[0]} to {out}")
    return OpCost(out, flops=(len(xs) - 1) * out.numel, in_place=inplace)


@_elementwise(
    "multiply", example=Example(((2, 3, 3), (2, 1, 1))), keeps="product", torch_functions=("mul",), family="arithmetic"
)
def multiply(*xs: Shape, inplace: bool = False) -> OpCost:
    """FLOPs = (inputs − 1) per output element; inputs broadcast as in torch (a C×1×1 gate scales a C×H×W map);
    with inplace the output is the first input's storage."""
    return _chain(xs, "multiply", inplace)


@_elementwise(
    "elementwise",
    example=Example(((2, 3, 4), (2, 3, 4)), {"operation": "sub"}),
    keeps="operands",
    family="arithmetic",
    torch_functions=FUNCTIONS,
    same_shape=SAME_SHAPE,
)
def elementwise(*xs: Shape, operation: str, constant: float | None = None, inplace: bool = False) -> OpCost:
    """Any op on each element of broadcast inputs (sub, div, exp, where, eq, ...), or of one input and a constant:
    FLOPs = 1 per output element per operation (inputs − 1 for a chain, 1 for one input or a selection such as
    where; 2 for addcmul, addcdiv and lerp); with inplace the output is the first input's storage."""
    if not isinstance(operation, str) or not operation:
        raise ShapeError(f"elementwise operation must be a name such as 'sub', got {operation!r}")
    out = _chain(xs, operation, inplace).output
    steps = 1 if operation in SELECTIONS or len(xs) == 1 else len(xs) - 1
    if operation in TWO_STEP:
        steps = 2
    return OpCost(out, flops=steps * out.numel, in_place=inplace)
