"""Receptive fields: which input pixels each layer's outputs see, along each spatial axis of the input apart
(L; H and W; T, H and W).

Along one axis a layer's field is three numbers: its size, its jump (the distance in input pixels between two
neighbouring outputs: the product of the strides so far) and its start (the first input row or column that output
0 sees; negative when the field reaches into the padding). Output i sees input pixels
start + i·jump .. start + i·jump + size − 1. A window of kernel k, stride s, padding p and dilation d maps
(size, jump, start) to (size + d·(k−1)·jump, jump·s, start − p·jump). Upsampling makes the jump a fraction.

Each value also records at which of its dimensions each input axis now lies, so that permutes and reshapes
(a channels-last LayerNorm, Swin's windows) keep the axes apart; where an axis is merged away, every output sees
its whole extent. The field is the bounding box of the pixels that can influence the output: a dilated kernel
skips pixels inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, gcd

from ..errors import CnnCostError
from ..graph import INPUT, Graph
from ..layers import layer_type
from ..layers.common import ntuple
from ..layers.conv import same_padding
from ..registries import Registry
from ..results import LayerCost, Profile

NOTES = (
    "Receptive field: the input pixels that can change one output, as size, jump (input pixels between neighbouring "
    "outputs) and start (the first input row/column output 0 sees; negative is padding), shown HxW where they differ. "
    "Branches that merge (add, concat, multiply) take the union of their inputs' fields; a flattened vector and "
    "what follows see the whole map it came from. ~ marks a bound, not an exact field: after an adaptive pool "
    "whose windows differ in length (the largest is used), an upsampling or transposed convolution (fractional "
    "jumps), or a layer that may mix every position. Jump 0: every output sees the same pixels, as after a gate that "
    "pooled the whole map (squeeze-and-excitation). At the bottom and right edges, rows that no window reaches "
    "(floor division leaves them out) are not seen."
)

Number = int | Fraction


@dataclass(frozen=True)
class Field:
    """The receptive field along one axis: output i sees input pixels start + i·jump .. start + i·jump + size − 1."""

    size: Number
    jump: Number
    start: Number

    @property
    def end(self) -> Number:
        """The last input pixel output 0 sees: start + size − 1."""
        return self.start + self.size - 1

    def pixels(self, index: int) -> tuple[Number, Number]:
        """(first, last) input pixel that output `index` sees, unclipped."""
        first = self.start + index * self.jump
        return first, first + self.size - 1


PIXEL = Field(size=1, jump=1, start=0)  # the network's input sees itself


def _whole_number(value: Number) -> Number:
    return int(value) if isinstance(value, Fraction) and value.denominator == 1 else value


def window(field: Field, kernel: int, stride: int, padding: int, dilation: int = 1) -> Field:
    """size + d·(k−1)·jump; jump·s; start − p·jump."""
    return Field(
        _whole_number(field.size + dilation * (kernel - 1) * field.jump),
        _whole_number(field.jump * stride),
        _whole_number(field.start - padding * field.jump),
    )


@dataclass(frozen=True)
class ReceptiveField:
    """A layer's receptive field on the network's input, one Field per spatial axis (none for a parameter, which
    sees no input); exact is False where it is a bound."""

    name: str
    axes: tuple[Field, ...]
    exact: bool = True

    @property
    def height(self) -> Field | None:
        """The field along H (the only axis of a 1-d input)."""
        return self.axes[-2] if len(self.axes) >= 2 else (self.axes[0] if self.axes else None)

    @property
    def width(self) -> Field | None:
        """The field along W (the only axis of a 1-d input)."""
        return self.axes[-1] if self.axes else None


@dataclass(frozen=True)
class Tracked:
    """A value's fields, one per input axis, and the dimension of the value each axis lies at (None: merged away)."""

    fields: tuple[Field, ...]
    positions: tuple[int | None, ...]

    def moved(self, shift: Callable[[int], int | None]) -> Tracked:
        return Tracked(self.fields, tuple(None if p is None else shift(p) for p in self.positions))


Inputs = tuple[Tracked | None, ...]
Rule = Callable[[LayerCost, Inputs], tuple[Tracked | None, bool]]  # (the output's, whether exact)
FIELD_RULES: Registry[Rule] = Registry("receptive-field rule")


def rule(name: str, on_first: bool = False) -> Callable[[Callable], Callable]:
    """Register a receptive-field rule under the name layer types give in their registration; duplicates refused.

    on_first: the rule reads its first input's field alone, and a layer whose first input sees no pixel (a
    parameter) sees none either."""

    def decorate(function: Callable) -> Callable:
        if on_first:

            def first_only(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
                tracked = _first(inputs)
                return (None, True) if tracked is None else function(cost, tracked)

            FIELD_RULES.add(name, first_only)
        else:
            FIELD_RULES.add(name, function)
        return function

    return decorate


def _first(inputs: Inputs) -> Tracked | None:
    return inputs[0] if inputs else None


def _whole_axis(field: Field, size: int) -> Field:
    """A window over all `size` positions along an axis: every output sees the whole extent."""
    return window(field, size, size, 0)


def _replace(tracked: Tracked, axis: int, field: Field, position: int | None = -1) -> Tracked:
    fields, positions = list(tracked.fields), list(tracked.positions)
    fields[axis] = field
    if position != -1:
        positions[axis] = position
    return Tracked(tuple(fields), tuple(positions))


def _spatial_rank(op: str) -> int:
    """1, 2 or 3 from a windowed type's name (conv2d, max_pool3d, adaptive_avg_pool1d)."""
    return int(op[-2]) if op[-1] == "d" and op[-2] in "123" else 2


def _windowed(cost: LayerCost, tracked: Tracked) -> list[tuple[int, int, int]]:
    """(axis, the dimension it lies at, its index among the op's n spatial dims) for each input axis lying in the
    op's last n dims."""
    n, rank = _spatial_rank(cost.op), len(cost.input_shape.dims)
    return [(axis, p, p - (rank - n)) for axis, p in enumerate(tracked.positions) if p is not None and p >= rank - n]


@rule("window", on_first=True)
def sliding_window(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Per axis: window(kernel, stride, padding, dilation); a pool's stride defaults to its kernel; 'same' padding
    pads the smaller half before."""
    attrs, n = cost.attributes, _spatial_rank(cost.op)
    kernel = ntuple(attrs["kernel_size"], n, "kernel_size")
    stride = attrs.get("stride", 1 if cost.op.startswith("conv") else None)
    stride = kernel if stride in (None, (), []) else ntuple(stride, n, "stride")
    dilation = ntuple(attrs.get("dilation", 1), n, "dilation")
    padding = attrs.get("padding", 0)
    if padding == "valid":
        padding = (0,) * n
    elif padding == "same":
        padding = tuple(before for before, _ in same_padding(kernel, dilation))
    padding = ntuple(padding, n, "padding")
    for axis, _, i in _windowed(cost, tracked):
        tracked = _replace(tracked, axis, window(tracked.fields[axis], kernel[i], stride[i], padding[i], dilation[i]))
    return tracked, True


@rule("transposed_window", on_first=True)
def transposed_window(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Stride 1: a convolution with padding d(k−1) − p, exact. Stride s: output o gathers the inputs
    (o + p − d(k−1))/s .. (o + p)/s, so jump/s, start + jump·(p − d(k−1))/s and size + jump·d(k−1)/s: a bound."""
    attrs, n = cost.attributes, _spatial_rank(cost.op)
    kernel, stride = ntuple(attrs["kernel_size"], n, "kernel_size"), ntuple(attrs.get("stride", 1), n, "stride")
    padding, dilation = ntuple(attrs.get("padding", 0), n, "padding"), ntuple(attrs.get("dilation", 1), n, "dilation")
    exact = True
    for axis, _, i in _windowed(cost, tracked):
        f, k, s, p, d = tracked.fields[axis], kernel[i], stride[i], padding[i], dilation[i]
        if s == 1:
            new = window(f, k, 1, d * (k - 1) - p, d)
        else:
            exact = False
            reach = Fraction(d * (k - 1), s)
            new = Field(
                _whole_number(f.size + ceil(reach) * f.jump),
                _whole_number(Fraction(f.jump) / s),
                _whole_number(f.start + f.jump * (Fraction(p, s) - reach)),
            )
        tracked = _replace(tracked, axis, new)
    return tracked, exact


@rule("adaptive_window", on_first=True)
def adaptive_window(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Window n/o with stride n/o when o divides n; else the longest of torch's windows with the shortest step."""
    sizes, outs, exact = cost.input_shape.dims, cost.output_shape.dims, True
    for axis, p, _ in _windowed(cost, tracked):
        size, out, f = sizes[p], outs[p], tracked.fields[axis]
        if size % out == 0:
            new = window(f, size // out, size // out, 0)
        else:
            exact = False
            new = window(f, longest_adaptive_window(size, out), max(1, size // out), 0)
        tracked = _replace(tracked, axis, new)
    return tracked, exact


def longest_adaptive_window(size: int, out: int) -> int:
    """max over i of ceil((i+1)·size/out) - floor(i·size/out), out not dividing size: with size = a·out + b, window
    i has a + ceil((r_i + b)/out) positions, r_i = i·b mod out, whose largest is out - gcd(b, out); so a + 2 where
    b > gcd(b, out), else a + 1 (a closed form: an output of 10**12 costs nothing)."""
    a, b = divmod(size, out)
    return a + (2 if b > gcd(b, out) else 1)


@rule("whole", on_first=True)
def whole_map(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Global pooling: every output sees the whole extent of every axis it pools."""
    for axis, p, _ in _windowed(cost, tracked):
        tracked = _replace(tracked, axis, _whole_axis(tracked.fields[axis], cost.input_shape.dims[p]))
    return tracked, True


def _merge_dims(cost: LayerCost, tracked: Tracked, first: int, last: int, removed: int) -> Tracked:
    """Dims first..last become one: the axes among them see their whole extent; later dims move `removed` down."""
    sizes = cost.input_shape.dims
    for axis, p in enumerate(tracked.positions):
        if p is not None and first <= p <= last:
            tracked = _replace(tracked, axis, _whole_axis(tracked.fields[axis], sizes[p]), None)
    return tracked.moved(lambda p: p - removed if p > last else p)


@rule("flatten", on_first=True)
def flatten_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """The flattened dims become one: each output (of a whole map flattened: the vector) sees their whole extent."""
    rank = max(len(cost.input_shape.dims), 1)
    first = cost.attributes.get("start_dim", 0) % rank
    last = cost.attributes.get("end_dim", -1) % rank
    return _merge_dims(cost, tracked, first, last, last - first), True


@rule("pointwise", on_first=True)
def pointwise(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Unchanged: each output reads its own position (across channels at most); new leading dims move the axes."""
    shift = len(cost.output_shape.dims) - len(cost.input_shape.dims) if cost.inputs else 0
    return tracked.moved(lambda p: p + shift), True


@rule("linear", on_first=True)
def linear_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Acts on the last dimension, as torch's linear does: an axis lying there is seen whole; others unchanged."""
    last = len(cost.input_shape.dims) - 1
    return _merge_dims(cost, tracked, last, last, 0), True


def _reduced_dims(cost: LayerCost) -> set[int]:
    rank = len(cost.input_shape.dims)
    dim = cost.attributes.get("dim")
    if dim is None or dim == () or dim == []:
        return set(range(rank))
    return {d % rank for d in ((dim,) if isinstance(dim, int) else dim)}


@rule("reduce", on_first=True)
def reduce_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """The whole extent along the reduced dims; unchanged along the others (which move down without keepdim)."""
    reduced, sizes = _reduced_dims(cost), cost.input_shape.dims
    keep = cost.attributes.get("keepdim", False) or len(cost.output_shape.dims) == len(sizes)
    for axis, p in enumerate(tracked.positions):
        if p is not None and p in reduced:
            tracked = _replace(tracked, axis, _whole_axis(tracked.fields[axis], sizes[p]), p if keep else None)
    if not keep:
        tracked = tracked.moved(lambda p: p - sum(1 for d in reduced if d < p))
    return tracked, True


def _prefix_products(dims: tuple[int, ...]) -> list[int]:
    products, running = [], 1
    for d in dims:
        products.append(running)
        running *= d
    return products


@rule("reshape", on_first=True)
def reshape_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """An axis whose dim survives whole (the same size after the same number of elements) keeps its field; an axis
    merged with others, or split, sees its whole extent (marked a bound)."""
    before, after = cost.input_shape.dims, cost.output_shape.dims
    starts_in, starts_out = _prefix_products(before), _prefix_products(after)
    exact = True
    for axis, p in enumerate(tracked.positions):
        if p is None:
            continue
        match = next(
            (q for q, (s, d) in enumerate(zip(starts_out, after, strict=True)) if s == starts_in[p] and d == before[p]),
            None,
        )
        if match is None and before[p] > 1:
            exact = False
            tracked = _replace(tracked, axis, _whole_axis(tracked.fields[axis], before[p]), None)
        else:
            tracked = _replace(tracked, axis, tracked.fields[axis], match)
    return tracked, exact


@rule("permute", on_first=True)
def permute_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """The fields follow their dims to their new places."""
    rank = len(cost.input_shape.dims)
    order = [d % rank for d in cost.attributes["dims"]]
    return tracked.moved(order.index), True


def _moved_start(field: Field, offset: int, step: int = 1) -> Field:
    return Field(field.size, _whole_number(field.jump * step), _whole_number(field.start + offset * field.jump))


@rule("slice", on_first=True)
def slice_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """A slice of channels changes nothing; a slice of rows or columns from `start` moves the field start·jump on."""
    dim = cost.attributes.get("dim", 0) % len(cost.input_shape.dims)
    for axis, p in enumerate(tracked.positions):
        if p == dim:
            field = _moved_start(tracked.fields[axis], cost.attributes["start"], cost.attributes.get("step", 1))
            tracked = _replace(tracked, axis, field)
    return tracked, True


@rule("select", on_first=True)
def select_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """One position along dim: an axis lying there is fixed at that position (jump 0); later dims move down."""
    dim = cost.attributes["dim"] % len(cost.input_shape.dims)
    index = cost.attributes["index"] % cost.input_shape.dims[dim]
    for axis, p in enumerate(tracked.positions):
        if p == dim:
            moved = _moved_start(tracked.fields[axis], index)
            tracked = _replace(tracked, axis, Field(moved.size, 0, moved.start), None)
    return tracked.moved(lambda p: p - 1 if p > dim else p), True


@rule("getitem", on_first=True)
def getitem_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Each index entry along a dim: an int fixes it (jump 0), a slice moves its start and multiplies its jump by the
    step, None inserts a dim."""
    sizes = cost.input_shape.dims
    items = (
        list(cost.attributes["index"])
        if isinstance(cost.attributes["index"], (tuple, list))
        else [cost.attributes["index"]]
    )
    if "..." in items:
        at = items.index("...")
        consumed = sum(1 for item in items if item not in ("new", "..."))
        items[at : at + 1] = [[0, size, 1] for size in sizes[at : at + len(sizes) - consumed]]
    where: dict[int, int | None] = {}
    dim = out = 0
    fields = list(tracked.fields)
    for item in items:
        if item == "new":
            out += 1
            continue
        for axis, p in enumerate(tracked.positions):
            if p == dim:
                if isinstance(item, int):
                    moved = _moved_start(fields[axis], item % sizes[dim])
                    fields[axis] = Field(moved.size, 0, moved.start)
                else:
                    start, _, step = slice(*item).indices(sizes[dim])
                    fields[axis] = _moved_start(fields[axis], start, step)
        where[dim] = None if isinstance(item, int) else out
        out += 0 if isinstance(item, int) else 1
        dim += 1
    for rest in range(dim, len(sizes)):
        where[rest], out = out, out + 1
    return Tracked(tuple(fields), tuple(None if p is None else where[p] for p in tracked.positions)), True


def _union(fields: list[Field]) -> tuple[Number, Number]:
    """(first, last) pixel of the union of the fields of output 0."""
    return min(f.start for f in fields), max(f.end for f in fields)


def _covers(fixed: list[Field], moving: list[Field], outputs: int) -> bool:
    """True if the fixed fields hold the moving fields of every output, 0 to outputs − 1."""
    (first, last), (start, end) = _union(fixed), _union(moving)
    return first <= start and end + (outputs - 1) * max(f.jump for f in moving) <= last


@rule("merge")
def merge(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
    """Per axis, the union of the inputs' fields (the largest, when they are centred alike).

    An input broadcast over the map (an SE gate of 1×1) has one field for every output; where it covers the
    fields of every position of the other inputs, as a gate that pooled the whole map does, every output sees
    the same pixels: jump 0. Inputs that see no pixels (parameters) add nothing.
    """
    present = [(t, shape) for t, shape in zip(inputs, cost.input_shapes, strict=True) if t is not None]
    if not present:
        return None, True
    lead, out_dims = present[0][0], cost.output_shape.dims
    shift = len(out_dims) - len(cost.input_shapes[0].dims) if cost.op == "stack" else 0
    fields = []
    for axis in range(len(lead.fields)):
        p = lead.positions[axis]
        n = out_dims[p + shift] if p is not None and p + shift < len(out_dims) else 1
        fixed: list[Field] = []
        moving: list[Field] = []
        for tracked, shape in present:
            q = tracked.positions[axis]
            size = shape.dims[q] if q is not None and q < len(shape.dims) else None
            field = tracked.fields[axis]
            (fixed if field.jump == 0 or (size == 1 and n > 1) or q is None else moving).append(field)
        if fixed and moving and not _covers(fixed, moving, n):
            moving, fixed = moving + fixed, []  # NB: exact for output 0 only; no built-in network does this
        first, last = _union(fixed or moving)
        fields.append(Field(last - first + 1, 0 if fixed else max(f.jump for f in moving), first))
    concat_axis = cost.attributes.get("dim", 0) % max(len(out_dims), 1) if cost.op == "concat" else None
    exact = concat_axis is None or concat_axis not in lead.positions
    return Tracked(tuple(fields), tuple(None if p is None else p + shift for p in lead.positions)), exact


@rule("anywhere")
def anywhere(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
    """Every output may see every position of every input (a matrix product, attention, a recurrent layer, an op
    without a formula): the union of their whole extents, marked a bound."""
    present = [(t, shape) for t, shape in zip(inputs, cost.input_shapes, strict=True) if t is not None]
    if not present:
        return None, True
    wholes = []
    for tracked, shape in present:
        wholes.append(
            [
                _whole_axis(f, shape.dims[p]) if p is not None else f
                for f, p in zip(tracked.fields, tracked.positions, strict=True)
            ]
        )
    fields = []
    for axis in zip(*wholes, strict=True):
        first, last = _union(list(axis))
        fields.append(Field(last - first + 1, max(f.jump for f in axis), first))
    return Tracked(tuple(fields), (None,) * len(fields)), False


@rule("resample", on_first=True)
def resample_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Resizing n to m positions: the jump becomes jump·n/m, and each output sees up to one more input position
    (a neighbour it interpolates from): a bound."""
    sizes, outs = cost.input_shape.dims, cost.output_shape.dims
    changed = [d for d in range(len(sizes)) if sizes[d] != outs[d]]
    for axis, p in enumerate(tracked.positions):
        if p in changed:
            f = tracked.fields[axis]
            tracked = _replace(
                tracked,
                axis,
                Field(
                    f.size + f.jump,
                    _whole_number(Fraction(f.jump) * sizes[p] / outs[p]),
                    _whole_number(f.start - Fraction(f.jump, 2)),
                ),
            )
    return tracked, not changed


@rule("pixel_shuffle")
def pixel_shuffle_field(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
    """H and W change by the factor: the jump scales inversely and each output may come from any of r positions:
    a bound."""
    return FIELD_RULES["resample"](cost, inputs)


@rule("pad", on_first=True)
def pad_field(cost: LayerCost, tracked: Tracked) -> tuple[Tracked | None, bool]:
    """Padding p before an axis moves its start p·jump back."""
    pads, rank = cost.attributes["pad"], len(cost.input_shape.dims)
    for i in range(len(pads) // 2):
        dim = rank - 1 - i
        for axis, p in enumerate(tracked.positions):
            if p == dim:
                tracked = _replace(tracked, axis, _moved_start(tracked.fields[axis], -pads[2 * i]))
    return tracked, cost.attributes.get("mode", "constant") in ("constant", "replicate")


@rule("roll")
def roll_field(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
    """A cyclic shift: the field moves and wraps at the edges: a bound."""
    tracked, exact = anywhere(cost, inputs)
    first = _first(inputs)
    return (None if tracked is None or first is None else Tracked(tracked.fields, first.positions)), exact


@rule("source")
def source_field(cost: LayerCost, inputs: Inputs) -> tuple[Tracked | None, bool]:
    """A parameter or constant sees no input pixel; a further input is not mapped."""
    return None, True


def field_rule(op: str) -> Rule:
    """The receptive-field rule a layer type names; a type whose rule is missing names itself."""
    name = layer_type(op).field
    if name not in FIELD_RULES:
        raise CnnCostError(f"layer type {op!r} names the receptive-field rule {name!r}, which does not exist")
    return FIELD_RULES[name]


def receptive_fields(graph: Graph, profile: Profile) -> tuple[ReceptiveField, ...]:
    """Every layer's receptive field on the input, in execution order."""
    dims = profile.input_shape.dims
    first_spatial = 2 if profile.shapes_include_batch else 1
    if len(dims) <= first_spatial:
        raise CnnCostError(
            f"{profile.name}: receptive fields need an input with spatial dimensions (C×L, C×H×W, "
            f"C×T×H×W), not {profile.input_shape}"
        )
    axes = len(dims) - first_spatial
    values: dict[str, Tracked | None] = {INPUT: Tracked((PIXEL,) * axes, tuple(range(first_spatial, len(dims))))}
    approximate: dict[str, bool] = {INPUT: False}
    result = []
    for node, cost in zip(graph.nodes, profile.layers, strict=True):
        try:
            tracked, exact = field_rule(node.op)(cost, tuple(values[source] for source in node.inputs))
        except CnnCostError as error:
            raise CnnCostError(f"{node.name}: {error}") from None
        values[node.name] = tracked
        approximate[node.name] = not exact or any(approximate[source] for source in node.inputs)
        result.append(
            ReceptiveField(node.name, () if tracked is None else tracked.fields, exact=not approximate[node.name])
        )
    return tuple(result)
