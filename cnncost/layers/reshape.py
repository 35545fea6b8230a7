"""Layers that move or view data without arithmetic: reshapes, permutations, slices, concatenation, padding,
pixel shuffles, gathers and copies.

They cost no MACs and no FLOPs. A view (reshape, permute, a slice) shares its input's storage; the rest write a
new tensor. Every output is counted in the sum of layer outputs, as the lecture tables count a flatten.
A dim is an index into the shape the layer receives (0 is the channels of one sample's C×H×W).
"""

from __future__ import annotations

from functools import partial
from math import prod

from ..errors import InputMismatch, ShapeError
from ..shapes import Shape
from .common import channels_first, dim_index, require_positive
from .registry import Example, OpCost, register

_view = partial(register, category="view", keeps="nothing", view=True, family="view")
_move = partial(register, category="data movement", keeps="nothing")


def _dims(value, rank: int, op: str) -> tuple[int, ...]:
    listed = (value,) if type(value) is int else tuple(value) if isinstance(value, (tuple, list)) else None
    if listed is None:
        raise ShapeError(f"{op} dims must be an int or a list of ints, got {value!r}")
    return tuple(dim_index(d, rank, op) for d in listed)


@_view("flatten", example=Example(((2, 3, 4),)), field="flatten", torch_module="Flatten", torch_functions=("flatten",))
def flatten(x: Shape, *, start_dim: int = 0, end_dim: int = -1, copy: bool = False) -> OpCost:
    """Dims start_dim..end_dim become one (C×H×W -> C·H·W by default); no arithmetic. Counted as a layer output, as
    the lecture tables do. copy: torch copied the elements, as it does where the input's layout has no such view
    (after a transpose)."""
    rank = max(len(x.dims), 1)
    dims = x.dims or (1,)
    start, end = dim_index(start_dim, rank, "flatten"), dim_index(end_dim, rank, "flatten")
    if start > end:
        raise ShapeError(f"flatten start_dim {start_dim} comes after end_dim {end_dim} in {x}")
    return OpCost(Shape((*dims[:start], prod(dims[start : end + 1]), *dims[end + 1 :])))


@_view(
    "reshape",
    example=Example(((2, 3, 4),), {"shape": (6, 4)}),
    field="reshape",
    torch_functions=("reshape", "view", "view_as", "reshape_as", "squeeze", "unsqueeze", "unflatten"),
)
def reshape(x: Shape, *, shape, copy: bool = False) -> OpCost:
    """The same elements in another shape (a view, or with copy a new tensor, as torch.reshape makes after a
    transpose); no arithmetic."""
    if not isinstance(shape, (tuple, list)) or any(type(d) is not int or d < 0 for d in shape):
        raise ShapeError(f"reshape shape must be a list of sizes, got {shape!r}")
    out = Shape(tuple(shape))
    if out.numel != x.numel:
        raise ShapeError(f"cannot reshape {x} ({x.numel} elements) to {out} ({out.numel} elements)")
    return OpCost(out)


@_view(
    "permute",
    example=Example(((2, 3, 4),), {"dims": (2, 0, 1)}),
    field="permute",
    torch_functions=("permute", "transpose", "t", "mT", "T", "movedim", "numpy_T"),
)
def permute(x: Shape, *, dims) -> OpCost:
    """The dimensions in a new order (a view: torch.permute, transpose); no arithmetic."""
    order = _dims(dims, len(x.dims), "permute")
    if sorted(order) != list(range(len(x.dims))):
        raise ShapeError(f"permute dims {dims} are not an order of the {len(x.dims)} dimensions of {x}")
    return OpCost(Shape(tuple(x.dims[d] for d in order)))


@_view(
    "expand",
    example=Example(((1, 4),), {"shape": (3, 4)}),
    field="pointwise",
    torch_functions=("expand", "expand_as", "broadcast_to"),
)
def expand(x: Shape, *, shape) -> OpCost:
    """Size-1 dimensions repeated to shape without copying (a view, as torch.expand); no arithmetic."""
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) < len(x.dims)
        or any(type(d) is not int or d < 0 for d in shape)
    ):
        raise ShapeError(f"expand shape must list at least {len(x.dims)} sizes, got {shape!r}")
    for size, target in zip(reversed(x.dims), reversed(shape), strict=False):
        if size not in (1, target):
            raise ShapeError(f"cannot expand {x} to {list(shape)}")
    return OpCost(Shape(tuple(shape)))


@_view("item", example=Example(((2, 3),), {"index": 0}), field="pointwise")
def item(x: Shape, *, index: int) -> OpCost:
    """Output `index` of an op that returns several tensors (an LSTM's states, a max's indices); no arithmetic."""
    outputs = x.outputs
    if type(index) is not int or not 0 <= index < len(outputs):
        raise ShapeError(f"item index {index!r} is not one of the {len(outputs)} output(s) of {x}")
    return OpCost(outputs[index])


@_view(
    "slice",
    example=Example(((6, 3, 3),), {"start": 2, "end": 5}),
    field="slice",
    torch_functions=("narrow", "chunk", "split", "split_with_sizes", "tensor_split"),
)
def slice_(x: Shape, *, start: int, end: int, dim: int = 0, step: int = 1) -> OpCost:
    """Elements start, start+step, … before end along dim (0 = channels); no arithmetic. Two slices make ShuffleNet's
    channel split."""
    axis = dim_index(dim, len(x.dims), "slice")
    require_positive("slice step", step)
    if not 0 <= start < end <= x.dims[axis]:
        raise ShapeError(f"slice {start}:{end} does not fit in size {x.dims[axis]} of {x}")
    dims = list(x.dims)
    dims[axis] = len(range(start, end, step))
    return OpCost(Shape(tuple(dims)))


@_view(
    "select", example=Example(((5, 4),), {"dim": 0, "index": 0}), field="select", torch_functions=("select", "unbind")
)
def select(x: Shape, *, dim: int, index: int) -> OpCost:
    """One position along dim, which disappears (x[:, 0] takes ViT's class token); no arithmetic."""
    axis = dim_index(dim, len(x.dims), "select")
    if type(index) is not int or not -x.dims[axis] <= index < x.dims[axis]:
        raise ShapeError(f"select index {index!r} is out of range for size {x.dims[axis]} of {x}")
    return OpCost(Shape(x.dims[:axis] + x.dims[axis + 1 :]))


def _index_output(x: Shape, index) -> tuple[int, ...]:
    """The shape that basic indexing (ints, [start, stop, step] slices, 'new' for None, '...') leaves."""
    items = list(index) if isinstance(index, (tuple, list)) else [index]
    consumed = sum(1 for item in items if item not in ("new", "..."))
    if consumed > len(x.dims) or items.count("...") > 1:
        raise ShapeError(f"getitem index {index!r} has more entries than {x} has dimensions")
    if "..." in items:
        at = items.index("...")
        items[at : at + 1] = [[0, size, 1] for size in x.dims[at : at + len(x.dims) - consumed]]
    out, dims = [], iter(x.dims)
    for item in items:
        if item == "new":
            out.append(1)
            continue
        size = next(dims)
        if type(item) is int:
            if not -size <= item < size:
                raise ShapeError(f"getitem index {item} is out of range for size {size} of {x}")
        elif isinstance(item, (tuple, list)) and len(item) == 3 and all(type(v) is int for v in item) and item[2] > 0:
            out.append(len(range(*slice(*item).indices(size))))
        else:
            raise ShapeError(f"getitem index entries are ints, [start, stop, step], 'new' or '...', got {item!r}")
    return (*out, *dims)


@_view(
    "getitem",
    example=Example(((4, 6, 6),), {"index": [[0, 4, 1], 2, [1, 5, 2]]}),
    field="getitem",
    torch_functions=("getitem",),
)
def getitem(x: Shape, *, index) -> OpCost:
    """Basic indexing x[...] (ints, slices with a step, None and ...): a view; no arithmetic."""
    return OpCost(Shape(_index_output(x, index)))


@_move("concat", example=Example(((2, 3, 3), (5, 3, 3))), field="merge", torch_functions=("cat",))
def concat(*xs: Shape, dim: int = 0) -> OpCost:
    """Joins the inputs along dim (0 = channels); no arithmetic."""
    first = xs[0]
    try:
        axis = dim_index(dim, len(first.dims), "concat")
    except ShapeError as error:
        raise InputMismatch(0, 0, str(error)) from None
    for i, x in enumerate(xs[1:], start=1):
        if len(x.dims) != len(first.dims) or any(
            a != b for d, (a, b) in enumerate(zip(first.dims, x.dims, strict=True)) if d != axis
        ):
            raise InputMismatch(0, i, f"sizes differ outside dim {dim}")
    dims = list(first.dims)
    dims[axis] = sum(x.dims[axis] for x in xs)
    return OpCost(Shape(tuple(dims)))


@_move("stack", example=Example(((2, 3), (2, 3))), field="merge", torch_functions=("stack",))
def stack(*xs: Shape, dim: int = 0) -> OpCost:
    """Joins equal inputs along a new dim; no arithmetic."""
    for i, x in enumerate(xs[1:], start=1):
        if x.dims != xs[0].dims:
            raise InputMismatch(0, i, "stacked inputs must have equal shapes")
    axis = dim_index(dim, len(xs[0].dims) + 1, "stack")
    dims = list(xs[0].dims)
    dims.insert(axis, len(xs))
    return OpCost(Shape(tuple(dims)))


@_move(
    "channel_shuffle",
    example=Example(((6, 3, 3),), {"groups": 3}),
    field="pointwise",
    torch_module="ChannelShuffle",
    torch_functions=("channel_shuffle", "native_channel_shuffle"),
)
def channel_shuffle(x: Shape, *, groups: int) -> OpCost:
    """Interleaves the channels of `groups` groups (ShuffleNet); moves every element, no arithmetic."""
    _, channels, _ = channels_first(x, 2, "channel_shuffle")
    require_positive("channel_shuffle groups", groups)
    if channels % groups:
        raise ShapeError(f"channel_shuffle groups={groups} must divide the channels ({channels})")
    return OpCost(x)


@_move(
    "roll", example=Example(((2, 5, 5),), {"shifts": (2, 2), "dims": (1, 2)}), field="roll", torch_functions=("roll",)
)
def roll(x: Shape, *, shifts, dims=None) -> OpCost:
    """Elements shifted cyclically along dims (Swin's shifted windows); moves every element, no arithmetic."""
    if dims is not None:
        _dims(dims, len(x.dims), "roll")
    return OpCost(x)


@_move("flip", example=Example(((2, 5),), {"dims": 1}), field="anywhere", torch_functions=("flip",))
def flip(x: Shape, *, dims) -> OpCost:
    """Elements in reverse order along dims; moves every element, no arithmetic."""
    _dims(dims, len(x.dims), "flip")
    return OpCost(x)


@_move("repeat", example=Example(((2, 3),), {"sizes": (1, 2, 2)}), field="anywhere", torch_functions=("repeat", "tile"))
def repeat(x: Shape, *, sizes) -> OpCost:
    """The input tiled sizes[i] times along each dim (new leading dims allowed), as torch.repeat; no arithmetic."""
    if (
        not isinstance(sizes, (tuple, list))
        or len(sizes) < len(x.dims)
        or any(type(s) is not int or s < 0 for s in sizes)
    ):
        raise ShapeError(f"repeat sizes must list at least {len(x.dims)} counts, got {sizes!r}")
    dims = (1,) * (len(sizes) - len(x.dims)) + x.dims
    return OpCost(Shape(tuple(d * s for d, s in zip(dims, sizes, strict=True))))


@_move(
    "pad",
    keeps="input_by_mode",
    example=Example(((2, 4, 4),), {"pad": (1, 1, 2, 0)}),
    field="pad",
    torch_module="ZeroPad2d",
    torch_functions=("pad",),
)
def pad(x: Shape, *, pad, mode: str = "constant", value: float | None = None) -> OpCost:
    """pad = (before, after) pairs from the last dimension backwards, as torch.nn.functional.pad; no arithmetic."""
    if (
        not isinstance(pad, (tuple, list))
        or len(pad) % 2
        or len(pad) // 2 > len(x.dims)
        or any(type(p) is not int for p in pad)
    ):
        raise ShapeError(f"pad must be (before, after) pairs of ints for at most {len(x.dims)} dims, got {pad!r}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ShapeError(f"pad mode must be constant, reflect, replicate or circular, got {mode!r}")
    dims = list(x.dims)
    for i in range(len(pad) // 2):
        dims[-1 - i] += pad[2 * i] + pad[2 * i + 1]
    if min(dims, default=1) < 1:
        raise ShapeError(f"padding {list(pad)} leaves nothing of {x}")
    return OpCost(Shape(tuple(dims)))


def _shuffle(x: Shape, op: str, factor: int, up: bool) -> OpCost:
    require_positive(f"{op} factor", factor)
    if len(x.dims) < 3:
        raise ShapeError(f"{op} expects C×H×W (or more leading dims), got {x}")
    *lead, c, h, w = x.dims
    if up:
        if c % (factor * factor):
            raise ShapeError(f"{op} needs channels divisible by {factor * factor}, got {x}")
        return OpCost(Shape((*lead, c // factor**2, h * factor, w * factor)))
    if h % factor or w % factor:
        raise ShapeError(f"{op} needs H and W divisible by {factor}, got {x}")
    return OpCost(Shape((*lead, c * factor**2, h // factor, w // factor)))


@_move(
    "pixel_shuffle",
    example=Example(((8, 3, 3),), {"upscale_factor": 2}),
    field="pixel_shuffle",
    torch_module="PixelShuffle",
    torch_functions=("pixel_shuffle",),
)
def pixel_shuffle(x: Shape, *, upscale_factor: int) -> OpCost:
    """C·r²×H×W -> C×rH×rW: moves every element, no arithmetic."""
    return _shuffle(x, "pixel_shuffle", upscale_factor, True)


@_move(
    "pixel_unshuffle",
    example=Example(((2, 4, 6),), {"downscale_factor": 2}),
    field="pixel_shuffle",
    torch_module="PixelUnshuffle",
    torch_functions=("pixel_unshuffle",),
)
def pixel_unshuffle(x: Shape, *, downscale_factor: int) -> OpCost:
    """C×rH×rW -> C·r²×H×W: moves every element, no arithmetic."""
    return _shuffle(x, "pixel_unshuffle", downscale_factor, False)


def given_shape(shape, op: str) -> Shape:
    """A shape given as a list of sizes, or as a list of such lists for an op of several outputs."""
    if isinstance(shape, (tuple, list)) and shape and all(isinstance(s, (tuple, list)) for s in shape):
        shapes = [given_shape(s, op) for s in shape]
        return Shape(shapes[0].dims, also=tuple(shapes[1:]))
    if not isinstance(shape, (tuple, list)) or any(type(d) is not int or d < 0 for d in shape):
        raise ShapeError(f"{op} output_shape must be a list of sizes, got {shape!r}")
    return Shape(tuple(shape))


@_move(
    "gather",
    example=Example(((10, 4), (3,)), {"output_shape": (3, 4)}),
    field="anywhere",
    torch_functions=(
        "index_select",
        "gather",
        "take_along_dim",
        "index",
        "repeat_interleave",
        "masked_select",
        "nonzero",
        "argwhere",
        "unique",
        "unique_consecutive",
    ),
)
def gather(*xs: Shape, output_shape) -> OpCost:
    """Elements picked by index tensors (x[idx], index_select, gather, repeat_interleave) or found by their values
    (nonzero, unique): the output shape (or shapes) is torch's; no arithmetic."""
    return OpCost(given_shape(output_shape, "gather"))


@_move(
    "setitem",
    example=Example(((4, 4), (2, 4))),
    field="merge",
    torch_functions=("setitem", "index_put", "masked_scatter", "fill", "zero", "copy", "index_fill"),
    always_in_place=True,
)
def setitem(*xs: Shape) -> OpCost:
    """x[...] = value, in place: writes into the first input's storage; no arithmetic."""
    return OpCost(xs[0], in_place=True)


@_move(
    "copy",
    example=Example(((2, 3),)),
    field="pointwise",
    torch_functions=(
        "clone",
        "contiguous",
        "to",
        "detach",
        "float",
        "half",
        "double",
        "bfloat16",
        "type",
        "type_as",
        "cpu",
        "cuda",
        "long",
        "int",
        "bool",
        "requires_grad",
        "retain_grad",
    ),
)
def copy(x: Shape) -> OpCost:
    """A copy of the input (clone, contiguous of a strided view, a dtype change); no arithmetic."""
    return OpCost(x)
