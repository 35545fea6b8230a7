"""Reductions over some dimensions (mean, sum, max, variance, norms) and running sums.

A dim is an index into the shape the layer receives (0 is the channels of one sample's C×H×W, as in a built-in
network; a traced network's shapes include the batch at 0). No dim reduces every dimension. FLOPs count one
operation per input element, or as each docstring says.
"""

from __future__ import annotations

from functools import partial

from ..errors import ShapeError
from ..shapes import Shape
from .common import dim_index
from .registry import Example, OpCost, register

_reduce = partial(register, category="reduction", field="reduce", family="reduce")


def reduced(x: Shape, op: str, dim, keepdim: bool) -> Shape:
    """The shape left after reducing x over dim (an int, a tuple of ints, or None for every dimension)."""
    rank = len(x.dims)
    if dim is None or dim == () or dim == []:
        dims = set(range(rank))
    else:
        listed = (dim,) if type(dim) is int else tuple(dim) if isinstance(dim, (tuple, list)) else None
        if listed is None:
            raise ShapeError(f"{op} dim must be an int or a list of ints, got {dim!r}")
        dims = {dim_index(d, rank, op) for d in listed}
        if len(dims) != len(listed):
            raise ShapeError(f"{op} dims {dim} repeat a dimension")
    kept = [1 if d in dims else size for d, size in enumerate(x.dims)]
    return Shape(tuple(kept if keepdim else [size for d, size in enumerate(x.dims) if d not in dims]))


def reduction(x: Shape, op: str, dim, keepdim: bool, per_element: int = 1) -> OpCost:
    """FLOPs = per_element × input elements."""
    return OpCost(reduced(x, op, dim, keepdim), flops=per_element * x.numel)


@_reduce("mean", example=Example(((2, 3, 4),), {"dim": (1, 2)}), keeps="nothing", torch_functions=("mean",))
def mean(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The mean over the dimensions in dim; FLOPs = one addition per input element."""
    return reduction(x, "mean", dim, keepdim)


@_reduce("sum", example=Example(((2, 3, 4),), {"dim": 0, "keepdim": True}), keeps="nothing", torch_functions=("sum",))
def sum_(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The sum over the dimensions in dim; FLOPs = one addition per input element."""
    return reduction(x, "sum", dim, keepdim)


@_reduce("amax", example=Example(((2, 3, 4),), {"dim": (0, 2)}), keeps="input_and_output", torch_functions=("amax",))
def amax(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The maximum over the dimensions in dim; FLOPs = one comparison per input element."""
    return reduction(x, "amax", dim, keepdim)


@_reduce("amin", example=Example(((2, 3, 4),), {"dim": 1}), keeps="input_and_output", torch_functions=("amin",))
def amin(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The minimum over the dimensions in dim; FLOPs = one comparison per input element."""
    return reduction(x, "amin", dim, keepdim)


@_reduce("max", example=Example(((2, 3, 4),), {"dim": 1}), keeps="input_and_output", torch_functions=("max", "min"))
def max_(x: Shape, *, dim: int, keepdim: bool = False) -> OpCost:
    """torch.max (or min) along one dim: the values and their int64 indices; FLOPs = one comparison per input
    element."""
    values = reduced(x, "max", dim, keepdim)
    return OpCost(Shape(values.dims, also=(values,)), flops=x.numel)


@_reduce("argmax", example=Example(((2, 3, 4),), {"dim": 2}), keeps="nothing", torch_functions=("argmax", "argmin"))
def argmax(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The index of the maximum (or minimum) along dim, or of all elements; FLOPs = one comparison per input element."""
    if dim is not None and type(dim) is not int:
        raise ShapeError(f"argmax dim must be one int or None, got {dim!r}")
    return reduction(x, "argmax", dim, keepdim)


@_reduce("var", example=Example(((2, 3, 4),), {"dim": 2}), keeps="input", torch_functions=("var", "std"))
def var(x: Shape, *, dim=None, correction: int = 1, keepdim: bool = False) -> OpCost:
    """Variance (or standard deviation) over dim: FLOPs = 4 per input element (sum for the mean, subtract, square,
    sum)."""
    return reduction(x, "var", dim, keepdim, per_element=4)


@_reduce("prod", example=Example(((2, 3, 4),), {"dim": 1}), keeps="input_and_output", torch_functions=("prod",))
def prod_(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """The product over dim; FLOPs = one multiplication per input element."""
    return reduction(x, "prod", dim, keepdim)


@_reduce(
    "logsumexp", example=Example(((2, 3, 4),), {"dim": 2}), keeps="input_and_output", torch_functions=("logsumexp",)
)
def logsumexp(x: Shape, *, dim, keepdim: bool = False) -> OpCost:
    """log Σ exp over dim: FLOPs = 3 per input element (subtract the maximum, exponential, sum)."""
    return reduction(x, "logsumexp", dim, keepdim, per_element=3)


@_reduce("norm", example=Example(((2, 3, 4),), {"dim": 2}), keeps="input_and_output", torch_functions=("norm",))
def norm(x: Shape, *, p=2, dim=None, keepdim: bool = False) -> OpCost:
    """A vector p-norm over dim: FLOPs = 2 per input element (a power, or absolute value, and a sum)."""
    return reduction(x, "norm", dim, keepdim, per_element=2)


@_reduce("all", example=Example(((2, 3, 4),), {"dim": 1}), keeps="nothing", torch_functions=("all", "any"))
def all_(x: Shape, *, dim=None, keepdim: bool = False) -> OpCost:
    """Whether all (or any) elements along dim are true; FLOPs = one operation per input element."""
    return reduction(x, "all", dim, keepdim)


def _sorted(x: Shape, op: str, dim: int, k: int | None) -> tuple[Shape, int]:
    axis = dim_index(dim, len(x.dims), op)
    size = x.dims[axis]
    if k is not None:
        if type(k) is not int or not 0 <= k <= size:
            raise ShapeError(f"{op} k={k!r} must lie in 0..{size}, the size of dim {dim} of {x}")
        dims = list(x.dims)
        dims[axis] = k
        return Shape(tuple(dims)), max(1, (max(k, 1) - 1).bit_length())
    return x, max(1, (size - 1).bit_length())


@_reduce("sort", example=Example(((4, 8),), {"dim": 1}), keeps="nothing", torch_functions=("sort",))
def sort(x: Shape, *, dim: int = -1, descending: bool = False, stable: bool = False) -> OpCost:
    """Values and their int64 indices in order along dim: FLOPs = ⌈log2 n⌉ comparisons per element (n along dim)."""
    out, depth = _sorted(x, "sort", dim, None)
    return OpCost(Shape(out.dims, also=(out,)), flops=depth * x.numel)


@_reduce("topk", example=Example(((4, 8),), {"k": 3, "dim": 1}), keeps="nothing", torch_functions=("topk",))
def topk(x: Shape, *, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> OpCost:
    """The k largest (or smallest) values along dim and their int64 indices: FLOPs = ⌈log2 k⌉ comparisons per input
    element (a heap of k), at least 1."""
    out, depth = _sorted(x, "topk", dim, k)
    return OpCost(Shape(out.dims, also=(out,)), flops=depth * x.numel)


@register(
    "normalize",
    example=Example(((4, 5),), {"dim": 1}),
    category="normalization",
    keeps="input_and_output",
    field="reduce",
    torch_functions=("normalize",),
    same_shape=True,
)
def normalize(x: Shape, *, p=2.0, dim: int = 1, eps: float = 1e-12) -> OpCost:
    """x / max(‖x‖_p, eps) along dim, as torch.nn.functional.normalize: FLOPs = 3 per element (power, sum, divide)."""
    dim_index(dim, len(x.dims), "normalize")
    return OpCost(x, flops=3 * x.numel)


@register(
    "cumsum",
    example=Example(((2, 3, 4),), {"dim": 1}),
    category="reduction",
    keeps="nothing",
    field="reduce",
    torch_functions=("cumsum", "cumprod"),
)
def cumsum(x: Shape, *, dim: int) -> OpCost:
    """Running sums (or products) along dim: FLOPs = one operation per element."""
    dim_index(dim, len(x.dims), "cumsum")
    return OpCost(x, flops=x.numel)
