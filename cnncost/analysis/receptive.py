"""Receptive fields: which input pixels each layer's outputs see, along H and W apart.

Along one axis a layer's field is three integers: its size, its jump (the distance in input pixels between two
neighbouring outputs: the product of the strides so far) and its start (the first input row or column that output
0 sees; negative when the field reaches into the padding). Output i sees input pixels
start + i·jump .. start + i·jump + size − 1. A window of kernel k, stride s, padding p and dilation d maps
(size, jump, start) to (size + d·(k−1)·jump, jump·s, start − p·jump).

The field is the bounding box of the pixels that can influence the output: a dilated kernel skips pixels inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import CnnCostError
from ..graph import INPUT, Graph
from ..layers.common import pair
from ..layers.elementwise import ACTIVATIONS
from ..profile import LayerCost, Profile
from ..shapes import Shape

NOTES = (
    "Receptive field: the input pixels that can change one output, as size, jump (input pixels between neighbouring "
    "outputs) and start (the first input row/column output 0 sees; negative is padding), shown HxW where they differ. "
    "Branches that merge (add, concat, multiply) take the union of their inputs' fields; a flattened vector and "
    "what follows see the whole map it came from. ~ marks a bound, not an exact field: after an adaptive pool "
    "whose windows differ in length (the largest is used) or a layer that may mix every position. Jump 0: every output sees the same pixels, as after a gate that "
    "pooled the whole map (squeeze-and-excitation). At the bottom and right edges, rows that no window reaches "
    "(floor division leaves them out) are not seen."
)


@dataclass(frozen=True)
class Field:
    """The receptive field along one axis: output i sees input pixels start + i·jump .. start + i·jump + size − 1."""

    size: int
    jump: int
    start: int

    @property
    def end(self) -> int:
        """The last input pixel output 0 sees: start + size − 1."""
        return self.start + self.size - 1

    def pixels(self, index: int) -> tuple[int, int]:
        """(first, last) input pixel that output `index` sees, unclipped."""
        first = self.start + index * self.jump
        return first, first + self.size - 1


PIXEL = Field(size=1, jump=1, start=0)  # the network's input sees itself


def window(field: Field, kernel: int, stride: int, padding: int, dilation: int = 1) -> Field:
    """size + d·(k−1)·jump; jump·s; start − p·jump."""
    return Field(field.size + dilation * (kernel - 1) * field.jump, field.jump * stride,
                 field.start - padding * field.jump)


@dataclass(frozen=True)
class ReceptiveField:
    """A layer's receptive field on the network's input, along H and W; exact is False where it is a bound."""

    name: str
    height: Field
    width: Field
    exact: bool = True

    @property
    def axes(self) -> tuple[Field, Field]:
        return self.height, self.width


Axes = tuple[Field, Field]
Rule = Callable[[LayerCost, tuple[Axes, ...]], Axes]
_RULES: dict[str, Rule] = {}


def rule(*ops: str) -> Callable[[Rule], Rule]:
    """Register how layer types map their inputs' fields to their output's; a second registration is refused."""

    def decorate(function: Rule) -> Rule:
        for op in ops:
            if op in _RULES:
                raise ValueError(f"receptive-field rule {op!r} is already registered")
            _RULES[op] = function
        return function

    return decorate


def _spatial(shape: Shape) -> tuple[int, int] | None:
    return (shape.dims[1], shape.dims[2]) if len(shape.dims) == 3 else None


@rule("conv2d", "max_pool2d", "avg_pool2d")
def sliding_window(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """Per axis: window(kernel, stride, padding, dilation); a pool's stride defaults to its kernel."""
    attrs = cost.attributes
    kernel = pair(attrs["kernel_size"], "kernel_size")
    stride = attrs.get("stride", 1 if cost.op == "conv2d" else None)
    stride = kernel if stride is None else pair(stride, "stride")
    padding, dilation = pair(attrs.get("padding", 0), "padding"), pair(attrs.get("dilation", 1), "dilation")
    return tuple(window(f, k, s, p, d) for f, k, s, p, d in zip(fields[0], kernel, stride, padding, dilation))


def _whole(shape: Shape, fields: Axes, axes: tuple[int, ...] = (0, 1)) -> Axes:
    """A window over the whole map of that shape along the given axes (0 = H, 1 = W); a flat input is unchanged."""
    sizes = _spatial(shape)
    if sizes is None:
        return fields
    return tuple(window(f, n, n, 0) if axis in axes else f for axis, (f, n) in enumerate(zip(fields, sizes)))


@rule("global_avg_pool2d", "flatten")
def whole_map(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """A window over the whole H×W map: every output (of a flatten: the vector as a whole) sees all of it."""
    return _whole(cost.input_shape, fields[0])


@rule("adaptive_avg_pool2d", "adaptive_max_pool2d")
def adaptive_window(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """Window n/o with stride n/o when o divides n; else the longest of torch's windows with the shortest step."""
    sizes = _spatial(cost.input_shape)
    outs = pair(cost.attributes["output_size"], "output_size")
    result = []
    for f, n, o in zip(fields[0], sizes, outs):
        if n % o == 0:
            result.append(window(f, n // o, n // o, 0))
            continue
        longest = max(-(-(i + 1) * n // o) - i * n // o for i in range(o))
        result.append(window(f, longest, max(1, n // o), 0))
    return tuple(result)


@rule(*ACTIVATIONS, "dropout", "batch_norm2d", "local_response_norm", "softmax", "channel_shuffle")
def pointwise(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """Unchanged: each output reads its own position (across channels at most)."""
    return fields[0]


@rule("linear")
def linear_field(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """A flat vector: unchanged (it sees the whole map already); a C×H×W map: every W position, as torch applies
    a linear layer to the last dimension."""
    return _whole(cost.input_shape, fields[0], (1,))


@rule("mean", "sum", "amax")
def mean_field(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """The whole map along the reduced spatial dimensions (1 = H, 2 = W); unchanged along the others."""
    dims = cost.attributes["dim"]
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return _whole(cost.input_shape, fields[0], tuple(d - 1 for d in dims if d in (1, 2)))


def _keeps_layout(cost: LayerCost) -> bool:
    """A reshape whose input and output are maps of the same H×W."""
    return _spatial(cost.input_shape) is not None and _spatial(cost.output_shape) == _spatial(cost.input_shape)


@rule("reshape", "matmul", "uncounted")
def anywhere(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """A reshape that keeps H×W: unchanged; else (and for a matrix product or an op without a formula) every
    output may see every position of every input: the union of their whole maps, marked inexact."""
    if cost.op == "reshape" and _keeps_layout(cost):
        return fields[0]
    wholes = [_whole(shape, f) for f, shape in zip(fields, cost.input_shapes)]
    return tuple(Field(end - start + 1, max(f.jump for f in axis), start)
                 for axis in zip(*wholes) for start, end in [_union(list(axis))])


@rule("slice")
def slice_field(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """Unchanged for a slice of channels; a slice of rows or columns from `start` moves the field start·jump on."""
    dim, start = cost.attributes.get("dim", 0), cost.attributes["start"]
    if dim not in (1, 2) or len(cost.input_shape.dims) != 3:
        return fields[0]
    moved = list(fields[0])
    f = moved[dim - 1]
    moved[dim - 1] = Field(f.size, f.jump, f.start + start * f.jump)
    return tuple(moved)


def _is_fixed(field: Field, size: int | None, out: int) -> bool:
    """A field that is the same for every output: jump 0 already, or an input of size 1 broadcast over the map."""
    return field.jump == 0 or (size == 1 and out > 1)


def _union(fields: list[Field]) -> tuple[int, int]:
    """(first, last) pixel of the union of the fields of output 0."""
    return min(f.start for f in fields), max(f.end for f in fields)


def _covers(fixed: list[Field], moving: list[Field], outputs: int) -> bool:
    """True if the fixed fields hold the moving fields of every output, 0 to outputs − 1."""
    (first, last), (start, end) = _union(fixed), _union(moving)
    return first <= start and end + (outputs - 1) * max(f.jump for f in moving) <= last


@rule("add", "multiply", "concat", "elementwise")
def merge(cost: LayerCost, fields: tuple[Axes, ...]) -> Axes:
    """Per axis, the union of the inputs' fields (the largest, when they are centred alike).

    An input broadcast over the map (an SE gate of 1×1) has one field for every output; where it covers the
    fields of every position of the other inputs, as a gate that pooled the whole map does, every output sees
    the same pixels: jump 0.
    """
    out = _spatial(cost.output_shape)
    sizes = [_spatial(shape) for shape in cost.input_shapes]
    result = []
    for axis in range(2):
        n = out[axis] if out else 1
        fixed = [f[axis] for f, size in zip(fields, sizes) if _is_fixed(f[axis], size[axis] if size else None, n)]
        moving = [f[axis] for f, size in zip(fields, sizes) if not _is_fixed(f[axis], size[axis] if size else None, n)]
        if fixed and moving and not _covers(fixed, moving, n):
            moving, fixed = moving + fixed, []  # NB: exact for output 0 only; no built-in network does this
        first, last = _union(fixed or moving)
        result.append(Field(last - first + 1, 0 if fixed else max(f.jump for f in moving), first))
    return tuple(result)


def inexact(cost: LayerCost) -> bool:
    """True where the field is a bound, not exact: an adaptive pool whose input is not a multiple of its output
    (torch's windows then differ in length), and the layers that may mix every position."""
    if cost.op in ("matmul", "uncounted"):
        return True
    if cost.op == "reshape":
        return _spatial(cost.input_shape) is not None and not _keeps_layout(cost)
    if cost.op not in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        return False
    outs = pair(cost.attributes["output_size"], "output_size")
    return any(n % o for n, o in zip(_spatial(cost.input_shape), outs))


def field_rule(op: str) -> Rule:
    """The receptive-field rule of a layer type; an unknown type names itself."""
    if op not in _RULES:
        raise CnnCostError(f"no receptive-field rule for layer type {op!r}")
    return _RULES[op]


def receptive_fields(graph: Graph, profile: Profile) -> tuple[ReceptiveField, ...]:
    """Every layer's receptive field on the input, in execution order."""
    if _spatial(profile.input_shape) is None:
        raise CnnCostError(f"{profile.name}: receptive fields need a CxHxW input, not {profile.input_shape}")
    fields: dict[str, Axes] = {INPUT: (PIXEL, PIXEL)}
    approximate: dict[str, bool] = {INPUT: False}
    result = []
    for node, cost in zip(graph.nodes, profile.layers):
        try:
            fields[node.name] = field_rule(node.op)(cost, tuple(fields[source] for source in node.inputs))
        except CnnCostError as error:
            raise CnnCostError(f"{node.name}: {error}") from None
        approximate[node.name] = inexact(cost) or any(approximate[source] for source in node.inputs)
        height, width = fields[node.name]
        result.append(ReceptiveField(node.name, height, width, exact=not approximate[node.name]))
    return tuple(result)
