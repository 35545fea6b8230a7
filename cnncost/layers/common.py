"""Arithmetic shared by the formulas: tuples of sizes, batched and unbatched inputs, sliding windows."""

from __future__ import annotations

from math import prod

from ..errors import ShapeError
from ..shapes import Shape

Pair = tuple[int, int]
SPATIAL_NAMES = {1: "L", 2: "HxW", 3: "TxHxW"}


def ntuple(value, n: int, what: str) -> tuple[int, ...]:
    """(v,)*n for an int, the tuple itself for n ints; refuses anything else."""
    if type(value) is int:
        return (value,) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(type(v) is int for v in value):
        return tuple(value)
    raise ShapeError(f"{what} must be an int or {n} ints, got {value!r}")


def pair(value: int | tuple[int, int] | list[int], what: str) -> Pair:
    """(v, v) for an int, (a, b) for a pair; refuses anything else."""
    return ntuple(value, 2, what)  # type: ignore[return-value]


def require_positive(what: str, *values: int) -> None:
    """Refuse a size or stride that is not a whole number, or below 1."""
    for value in values:
        if type(value) is not int:
            raise ShapeError(f"{what} must be a whole number, got {value!r}")
    if min(values) < 1:
        raise ShapeError(f"{what} must be at least 1, got {values if len(values) > 1 else values[0]}")


def channels_first(x: Shape, spatial: int, op: str) -> tuple[tuple[int, ...], int, tuple[int, ...]]:
    """(batch, channels, spatial sizes) of C×spatial (one sample, torch's unbatched input) or N×C×spatial.

    batch is () for one sample and (N,) for a batched input: it multiplies the cost."""
    dims = x.dims
    if len(dims) == spatial + 1:
        return (), dims[0], dims[1:]
    if len(dims) == spatial + 2:
        return dims[:1], dims[1], dims[2:]
    layout = f"Cx{SPATIAL_NAMES.get(spatial, 'spatial')}" if spatial else "C"
    raise ShapeError(f"{op} expects a {layout} input (or N{'x' if spatial else ''}{layout} with a batch), got {x}")


def batch_size(batch: tuple[int, ...]) -> int:
    """1 for one sample, N for a batch: what a per-sample count is multiplied by."""
    return prod(batch)


def window_output(size: int, kernel: int, stride: int, padding: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """floor((size + 2p - d(k-1) - 1) / s) + 1, as torch computes it (ceil with ceil_mode).

    With ceil_mode the last window must start inside the input or its left padding,
    so torch drops an output that would start in the right padding.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def sliding_sizes(
    x: Shape,
    sizes: tuple[int, ...],
    op: str,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    padding: tuple[int, ...],
    dilation: tuple[int, ...],
    ceil_mode: bool = False,
) -> tuple[int, ...]:
    """The output sizes of a sliding window over the spatial sizes; refuses an empty output, naming the sizes."""
    for value in (*kernel, *stride, *dilation):  # one quick pass; the named checks say which one failed
        if type(value) is not int or value < 1:
            require_positive(f"{op} kernel size", *kernel)
            require_positive(f"{op} stride", *stride)
            require_positive(f"{op} dilation", *dilation)
    if min(padding) < 0:
        raise ShapeError(f"{op} padding must not be negative, got {padding}")
    if ceil_mode:
        out = tuple(
            [
                window_output(n, k, s, p, d, True)
                for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True)
            ]
        )
    else:  # window_output without ceil_mode, inline: this runs once per convolution
        out = tuple(
            [
                (n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation, strict=True)
            ]
        )
    if min(out) < 1:
        raise ShapeError(f"output would be {'x'.join(str(max(o, 0)) for o in out)} from {x}")
    return out


def dim_index(dim, rank: int, op: str) -> int:
    """A torch dim (negative counts from the end) as an index into a shape of that rank."""
    if type(dim) is not int or not -rank <= dim < max(rank, 1):
        raise ShapeError(f"{op} dim {dim!r} is out of range for a shape of {rank} dimension(s)")
    return dim % rank if rank else 0
