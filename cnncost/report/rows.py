"""The rows of the human table: each layer, with in-place layers folded into the row of the layer they follow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..layers import layer_type
from ..results import LayerCost, ModuleInfo, Profile
from ..shapes import Shape


@dataclass(frozen=True)
class Row:
    """One printed row: a head layer and the in-place layers folded into it, or a whole block (label)."""

    layers: tuple[LayerCost, ...]
    label: str | None = None  # the block's name prefix when the row folds a block
    module_class: str | None = None  # the class of the module the block is, where the profile knows it (ConvNeXtStage)

    @property
    def head(self) -> LayerCost:
        return self.layers[0]

    @property
    def name(self) -> str:
        return self.label or self.head.name

    @property
    def is_block(self) -> bool:
        return self.label is not None

    @property
    def kind(self) -> str:
        """The layer types of the row, 'conv2d+relu', or for a block its class and size, 'C2f (17 layers)', or
        'block of 17 layers' where the class is not known (a built-in network, a spec file)."""
        if self.is_block:
            size = f"{len(self.layers)} layer{'s' if len(self.layers) > 1 else ''}"
            return f"{self.module_class} ({size})" if self.module_class else f"block of {size}"
        return "+".join(
            cost.op if cost.counted else f"uncounted({cost.attributes.get('source')})" for cost in self.layers
        )

    @property
    def counted(self) -> bool:
        """False when a layer of the row has no cost formula: its MACs and FLOPs are unknown."""
        return all(cost.counted for cost in self.layers)

    @property
    def output_shape(self) -> Shape:
        return self.layers[-1].output_shape

    def total(self, quantity: str) -> int:
        """Sum of a quantity over the row's layers."""
        return sum(getattr(cost, quantity) for cost in self.layers)


def table_rows(profile: Profile, fold: bool = True, depth: int | None = None) -> list[Row]:
    """One row per layer; with fold, an in-place layer or a view that reads the previous row's output joins that row.

    With depth, consecutive rows whose names share their first `depth` dotted parts become one block row
    ('layer1.0.conv1' is in block 'layer1' at depth 1 and 'layer1.0' at depth 2).
    """
    rows = _rows_of(profile.layers, fold)
    return rows if depth is None else _blocks(rows, depth, profile.modules or {})


FOLDED_VIEWS = ("reshape", "permute", "expand")  # views a row keeps with the layer that made their input


def _rows_of(layers, fold: bool) -> list[Row]:
    """One row per layer; with fold, an in-place layer or a view (a reshape, permute or expand: no new data, no
    cost) that reads the previous row's output joins that row."""
    groups: list[list[LayerCost]] = []
    for cost in layers:
        joins = cost.in_place or cost.op in FOLDED_VIEWS
        if fold and joins and groups and cost.inputs == (groups[-1][-1].name,):
            groups[-1].append(cost)
        else:
            groups.append([cost])
    return [Row(tuple(group)) for group in groups]


CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")  # torch.nn's classes that only hold other modules


def stage_rows(profile: Profile, depth: int = 1, limit: int = 40) -> list[Row]:
    """The blocks at depth, each block that is a plain container (an nn.Sequential of stages) opened one level into
    its own blocks where the rows stay within limit: timm's ConvNeXt at depth 1 is its stem's two layers, its four
    stages and its head, not one 'stages' row; torchvision's is the eight blocks of its features."""
    modules = profile.modules or {}
    rows = table_rows(profile, fold=True, depth=depth)
    opened: list[Row] = []
    for row in rows:
        if row.module_class in CONTAINERS and row.label is not None:
            opened += _blocks(_rows_of(row.layers, True), row.label.count(".") + 2, modules)
        else:
            opened.append(row)
    return opened if len(opened) <= limit else rows


def block_prefix(name: str, depth: int) -> str:
    """The first `depth` dotted parts of a layer name."""
    return ".".join(name.split(".")[:depth])


def _blocks(rows: list[Row], depth: int, modules: Mapping[str, ModuleInfo]) -> list[Row]:
    merged: list[list[Row]] = []
    for row in rows:
        if merged and block_prefix(merged[-1][0].name, depth) == block_prefix(row.name, depth):
            merged[-1].append(row)
        else:
            merged.append([row])
    result = []
    for group in merged:
        prefix = block_prefix(group[0].name, depth)
        if len(group) == 1 and group[0].name == prefix:
            result.append(group[0])
        else:
            known = modules.get(prefix.partition("#")[0])
            result.append(
                Row(
                    tuple(cost for row in group for cost in row.layers),
                    label=prefix,
                    module_class=known.kind.rpartition(".")[2] if known else None,
                )
            )
    return result


def sample_dims(shape: Shape, batched: bool = False) -> tuple[int, ...]:
    """A shape's dims without the batch in front, where a traced network's shapes include it."""
    return shape.dims[1:] if batched and shape.dims else shape.dims


def channels_text(shapes: tuple[Shape, ...], batched: bool = False, last: bool = False) -> str:
    """'64' for one input, '64+128' for several; a flat vector shows its length; last: the channels are the last
    dim (tokens x channels, or an image permuted to channels last)."""
    return "+".join(
        str(dims[-1] if last else dims[0]) for dims in (sample_dims(shape, batched) for shape in shapes) if dims
    )


def size_text(shape: Shape, batched: bool = False, last: bool = False) -> str:
    """'56' for 56x56, '56x28' if not square, '' for a flat vector; last: the dims before the channels (a
    transformer's 196 tokens, a channels-last image's 56x56)."""
    dims = sample_dims(shape, batched)
    if len(dims) < 2:
        return ""
    rest = dims[:-1] if last else dims[1:]
    return str(rest[0]) if len(set(rest)) == 1 else "x".join(map(str, rest))


CHANNELS_FIRST = ("convolution", "pooling", "resampling")  # layer categories that read and write N x C x ...
CHANNELS_LAST = ("linear", "attention")  # ... and those that act on the last dim: tokens x channels
LAST_DIM_NORMS = ("layer_norm", "rms_norm")


def channels_last(profile: Profile) -> frozenset[str]:
    """The tensors (by name) of a recorded network whose channels are their last dim: what a linear layer, a layer
    norm or attention writes, an image permuted to channels last (0, 2, 3, 1), and what reads those elementwise;
    a convolution, pool or resize writes channels first, as does a permute back. A built-in network's are all
    channels first."""
    if not profile.shapes_include_batch:
        return frozenset()
    last: set[str] = set()
    for cost in profile.layers:
        category = layer_type(cost.op).category
        if cost.op in LAST_DIM_NORMS or category in CHANNELS_LAST:
            last.add(cost.name)
        elif category in CHANNELS_FIRST or cost.op.startswith(("batch_norm", "instance_norm", "group_norm")):
            continue
        elif cost.op == "permute":
            dims = tuple(cost.attributes.get("dims", ()))
            first_in = bool(cost.inputs) and cost.inputs[0] not in last
            if len(dims) > 2 and ((first_in and dims[-1] == 1) or (not first_in and dims[1] != len(dims) - 1)):
                last.add(cost.name)
        elif any(name in last for name in cost.inputs):
            last.add(cost.name)
    return frozenset(last)


def _kernel_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return str(value[0]) if len(set(value)) == 1 else "x".join(map(str, value))
    return str(value)


@cache
def _default(op: str, attribute: str):
    """The default of an attribute in the layer type's formula (stride 1 for a conv, None for a pool)."""
    import inspect

    parameter = inspect.signature(layer_type(op).formula).parameters.get(attribute)
    return None if parameter is None or parameter.default is parameter.empty else parameter.default


def row_spec_text(row: Row) -> str:
    """spec_text of the row's head layer; blank for a block."""
    return "" if row.is_block else spec_text(row.head)


def spec_text(cost: LayerCost) -> str:
    """The lecture's 'filters, k, s, p' cell: '64, 11, 4, 2' for a conv, '3, 2, 0' for a pool, '4096' for an FC."""
    attrs = cost.attributes
    parts = []
    if "out_channels" in attrs:
        parts.append(str(attrs["out_channels"]))
    if "out_features" in attrs:
        parts.append(str(attrs["out_features"]))
    if "kernel_size" in attrs:
        stride = attrs.get("stride", _default(cost.op, "stride"))
        stride = attrs["kernel_size"] if stride is None else stride  # pools: the stride defaults to the kernel
        parts += [
            _kernel_text(attrs["kernel_size"]),
            _kernel_text(stride),
            _kernel_text(attrs.get("padding", _default(cost.op, "padding"))),
        ]
    if "output_size" in attrs:
        parts.append(f"to {_kernel_text(attrs['output_size'])}")
    extras = [
        f"{key} {_kernel_text(attrs[key])}" for key in ("groups", "dilation") if _kernel_text(attrs.get(key, 1)) != "1"
    ]
    if attrs.get("ceil_mode"):
        extras.append("ceil")
    return ", ".join(parts + extras)
