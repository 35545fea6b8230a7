"""Arithmetic shared by the formulas: pairs of sizes and the output size of a sliding window."""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape

Pair = tuple[int, int]


def pair(value: int | tuple[int, int] | list[int], what: str) -> Pair:
    """(v, v) for an int, (a, b) for a pair; refuses anything else."""
    if type(value) is int:
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    raise ShapeError(f"{what} must be an int or a pair of ints, got {value!r}")


def require_positive(what: str, *values: int) -> None:
    """Refuse a size or stride that is not a whole number, or below 1."""
    for value in values:
        if type(value) is not int:
            raise ShapeError(f"{what} must be a whole number, got {value!r}")
    if min(values) < 1:
        raise ShapeError(f"{what} must be at least 1, got {values if len(values) > 1 else values[0]}")


def feature_map(x: Shape, op: str) -> tuple[int, int, int]:
    """(C, H, W) of a feature map; refuses a flat vector."""
    if len(x.dims) != 3:
        raise ShapeError(f"{op} expects a CxHxW feature map, got {x}")
    return x.dims  # type: ignore[return-value]


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


def sliding_output(x: Shape, op: str, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1),
                   ceil_mode: bool = False) -> tuple[int, int]:
    """(H_out, W_out) of a sliding window over x; refuses an empty output, naming the sizes."""
    _, h, w = feature_map(x, op)
    require_positive(f"{op} kernel size", *kernel)
    require_positive(f"{op} stride", *stride)
    require_positive(f"{op} dilation", *dilation)
    if min(padding) < 0:
        raise ShapeError(f"{op} padding must not be negative, got {padding}")
    h_out = window_output(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    w_out = window_output(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    if h_out < 1 or w_out < 1:
        raise ShapeError(f"output would be {max(h_out, 0)}x{max(w_out, 0)} from {x}")
    return h_out, w_out
