"""Resizing: interpolation to a size or by a scale factor, in every mode torch offers.

NB: FLOPs per output element: nearest (and nearest-exact) 0, a copy; linear, bilinear and trilinear
2^(k+1) − 1 for the k interpolated dimensions (2^k products and 2^k − 1 sums of the neighbours: 3, 7, 15);
bicubic 31 (16 neighbours); area the additions of an adaptive average pool.
"""

from __future__ import annotations

from math import floor, prod

from ..errors import ShapeError
from ..shapes import Shape
from .pool import adaptive_windows
from .registry import Example, OpCost, register

MODE_RANKS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
MODES = ("nearest", "nearest-exact", "area", *MODE_RANKS)


def interpolated_dims(x: Shape, size, scale_factor, mode: str) -> int:
    """How many trailing dims are resized: the length of size or scale_factor when a list, else the mode's (2 for
    bilinear), else every dim after one sample's channels."""
    for value in (size, scale_factor):
        if isinstance(value, (tuple, list)):
            return len(value)
    return MODE_RANKS.get(mode, len(x.dims) - 1)


def interpolation_flops(
    mode: str, k: int, sizes: tuple[int, ...], out: tuple[int, ...], elements: int, planes: int
) -> int:
    """FLOPs of one resize: per output element by mode; area resizing sums each output's window."""
    if mode in ("nearest", "nearest-exact"):
        return 0
    if mode == "area":
        return planes * prod(adaptive_windows(n, o) for n, o in zip(sizes, out, strict=True))
    if mode == "bicubic":
        return 31 * elements
    return (2 ** (k + 1) - 1) * elements


@register(
    "interpolate",
    category="resampling",
    example=Example(((3, 4, 4),), {"scale_factor": 2, "mode": "bilinear"}),
    keeps="input_by_mode",
    field="resample",
    torch_module="Upsample",
    torch_functions=(
        "interpolate",
        "upsample",
        "upsample_nearest",
        "upsample_bilinear",
        "upsample_nearest2d",
        "upsample_bilinear2d",
    ),
)
def interpolate(
    x: Shape,
    *,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> OpCost:
    """Resize the trailing dims to size, or to floor(size × scale_factor): FLOPs per output element by mode (nearest 0,
    linear 3, bilinear 7, trilinear 15, bicubic 31; area: its windows' additions)."""
    if mode not in MODES:
        raise ShapeError(f"interpolate mode must be one of {', '.join(MODES)}, got {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ShapeError("interpolate needs exactly one of size and scale_factor")
    k = interpolated_dims(x, size, scale_factor, mode)
    if not 1 <= k < len(x.dims) or (mode in MODE_RANKS and MODE_RANKS[mode] != k):
        raise ShapeError(f"interpolate ({mode}) cannot resize {k} trailing dimension(s) of {x}")
    sizes = x.dims[-k:]
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * k
        if len(out) != k or any(type(o) is not int or o < 1 for o in out):
            raise ShapeError(f"interpolate size must be {k} positive int(s), got {size!r}")
    else:
        scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * k
        if len(scales) != k or any(not isinstance(s, (int, float)) or isinstance(s, bool) or s <= 0 for s in scales):
            raise ShapeError(f"interpolate scale_factor must be {k} positive number(s), got {scale_factor!r}")
        out = tuple(floor(n * float(s)) for n, s in zip(sizes, scales, strict=True))
        if min(out) < 1:
            raise ShapeError(f"interpolate by {scale_factor} leaves nothing of {x}")
    result = Shape((*x.dims[:-k], *out))
    planes = prod(x.dims[:-k])
    return OpCost(result, flops=interpolation_flops(mode, k, sizes, out, result.numel, planes))
