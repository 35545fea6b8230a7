"""A real torch module for every layer type, made from the type's registration: its torch.nn class and its family.

A builder takes the input shapes and the node's attributes, with the formula's names, and returns an nn.Module
whose forward takes the input tensors. A network written for one sample (a built-in, a spec file) runs with the
batch in front, so the builders move its dims one on (its dim 0, the channels, is torch's dim 1); a traced
network's shapes and dims are torch's already.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import CnnCostError, UnknownNameError
from ..layers import layer_type, layer_types
from ..layers.common import channels_first
from ..layers.elementwise import SELECTIONS
from ..layers.linear import ELLIPSIS, _labels, _subscript_order
from ..registries import Registry
from ..shapes import Shape

ModuleBuilder = Callable[..., nn.Module]  # (spec, input shapes, one_sample, **attributes) -> nn.Module
BUILDERS: Registry[ModuleBuilder] = Registry("torch builder")


def builder(*names: str) -> Callable[[ModuleBuilder], ModuleBuilder]:
    """Register the torch builder of layer types or families; a second registration of a name is refused."""
    return BUILDERS.register(*names)


def torch_builder(name: str, one_sample: bool = True) -> Callable[..., nn.Module]:
    """The builder of that layer type: (*input shapes, **attributes) -> nn.Module."""
    spec = layer_type(name)
    function = BUILDERS.get(name) or BUILDERS.get(spec.family)
    if function is None:
        raise UnknownNameError(f"no torch builder for layer type {name!r}")
    return partial(function, spec, one_sample=one_sample)


def torch_builders() -> dict[str, Callable[..., nn.Module]]:
    """Every layer type that has a builder, by name."""
    return {
        name: torch_builder(name) for name, spec in layer_types().items() if name in BUILDERS or spec.family in BUILDERS
    }


def _nn_class(spec) -> type:
    return getattr(nn, spec.torch_module)


def _shift(dim, one_sample: bool):
    """A one-sample dim as torch's (one on, past the batch); negative dims and None are the same in both."""
    if dim is None or not one_sample:
        return dim
    if isinstance(dim, (tuple, list)):
        return type(dim)(_shift(d, one_sample) for d in dim)
    return dim + 1 if dim >= 0 else dim


class Lambda(nn.Module):
    """A module whose forward is a function of the inputs (for ops torch has no module of)."""

    def __init__(self, function: Callable, label: str) -> None:
        super().__init__()
        self.function, self.label = function, label

    def forward(self, *xs):
        return self.function(*xs)

    def extra_repr(self) -> str:
        return self.label


def _channels(x: Shape, spatial: int, one_sample: bool) -> int:
    return x.dims[0] if one_sample else channels_first(x, spatial, "builder")[1]


@builder("conv", "conv_transpose")
def conv(spec, x: Shape, one_sample: bool, **attrs):
    return _nn_class(spec)(_channels(x, int(spec.name[-2]), one_sample), **attrs)


@builder("pool", "adaptive_pool", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "dropout", "prelu")
def module_of_attributes(spec, *xs: Shape, one_sample: bool, **attrs):
    """The torch.nn class made from the attributes as they are."""
    return _nn_class(spec)(**attrs)


@builder("batch_norm", "instance_norm")
def batch_norm(spec, x: Shape, one_sample: bool, num_features=None, **attrs):
    spatial = {"1": 1, "2": 2, "3": 3}[spec.name[-2]]
    channels = num_features or (x.dims[0] if one_sample else channels_first(x, spatial, spec.name)[1])
    return _nn_class(spec)(channels, **attrs)


@builder("group_norm")
def group_norm(spec, x: Shape, one_sample: bool, num_groups, num_channels=None, **attrs):
    return nn.GroupNorm(num_groups, num_channels or (x.dims[0] if one_sample else x.dims[1]), **attrs)


@builder("layer_norm", "rms_norm", "local_response_norm")
def normalisation(spec, x: Shape, one_sample: bool, **attrs):
    return _nn_class(spec)(**attrs)


@builder("activation")
def activation(spec, x: Shape, one_sample: bool, inplace: bool = False, **attrs):
    """torch's module; an in-place call of a function whose module takes no inplace (torch.sigmoid_)."""
    cls = _nn_class(spec)
    if "inplace" in inspect.signature(cls).parameters:
        return cls(inplace=inplace, **attrs)
    if inplace:
        function = getattr(torch, f"{spec.name}_")
        return Lambda(function, f"{spec.name}_")
    return cls(**attrs)


def _default(spec, attribute: str):
    """The default of an attribute in the type's formula."""
    return inspect.signature(spec.formula).parameters[attribute].default


@builder("glu", "softmax")
def along_dim(spec, x: Shape, one_sample: bool, **attrs):
    return _nn_class(spec)(dim=_shift(attrs.get("dim", _default(spec, "dim")), one_sample))


@builder("linear")
def linear(spec, x: Shape, one_sample: bool, out_features, bias=True):
    return nn.Linear(x.dims[-1], out_features, bias)  # on the last dimension, as the formula and torch have it


class IndexEmbedding(nn.Module):
    """An embedding fed with any tensor: its values, made whole and wrapped into range, are the indices."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx=None) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_embeddings, embedding_dim, padding_idx)

    def forward(self, x):
        indices = x if not x.is_floating_point() else (x.abs() * 1000).long()
        return self.embedding(indices % self.embedding.num_embeddings)


@builder("embedding")
def embedding(spec, x: Shape, one_sample: bool, **attrs):
    return IndexEmbedding(**attrs)


@builder("matmul")
def matmul(spec, a: Shape, b: Shape, one_sample: bool, copied=()):
    return Lambda(torch.matmul, "matmul")


@builder("addmm")
def addmm(spec, bias: Shape, a: Shape, b: Shape, one_sample: bool):
    return Lambda(lambda c, x, y: c + torch.matmul(x, y), "bias + a @ b")


@builder("einsum")
def einsum(spec, *xs: Shape, one_sample: bool, equation, path=None):
    """torch.einsum; for one sample, a batch subscript in front of every operand and the output."""
    if one_sample:
        lhs, arrow, rhs = equation.partition("->")
        terms = [_labels(term, "einsum") for term in lhs.split(",")]
        letters = [label for term in terms for label in term if label != ELLIPSIS]
        if not arrow:
            once = sorted({lb for lb in letters if letters.count(lb) == 1}, key=_subscript_order)
            rhs = ("..." if any(ELLIPSIS in t for t in terms) else "") + "".join(once)
        batch = next(c for c in "ZYXWVUTSRQPONMLKJIHGFEDCBA" if c not in equation)
        equation = ",".join(batch + term for term in lhs.split(",")) + "->" + batch + rhs
    return Lambda(lambda *tensors: torch.einsum(equation, *tensors), equation)


@builder("scaled_dot_product_attention")
def attention(spec, q: Shape, k: Shape, v: Shape, *mask: Shape, one_sample: bool, **attrs):
    return Lambda(lambda *xs: F.scaled_dot_product_attention(*xs, **attrs), "sdpa")


class MultiheadAttention(nn.Module):
    """nn.MultiheadAttention returning its output (and its weights when asked), as the formula's outputs."""

    def __init__(self, embed_dim, num_heads, need_weights, average_attn_weights, **attrs) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, **attrs)
        self.need_weights, self.average = need_weights, average_attn_weights

    def forward(self, query, key, value, *masks):
        out, weights = self.attention(
            query,
            key,
            value,
            need_weights=self.need_weights,
            average_attn_weights=self.average,
            attn_mask=masks[0] if masks else None,
        )
        return (out, weights) if self.need_weights else out


@builder("multihead_attention")
def multihead_attention(
    spec, *xs: Shape, one_sample: bool, need_weights=True, average_attn_weights=True, batch_first=False, **attrs
):
    return MultiheadAttention(
        need_weights=need_weights,
        average_attn_weights=average_attn_weights,
        batch_first=batch_first or one_sample,
        **attrs,
    )


class Recurrent(nn.Module):
    """An LSTM, GRU or RNN returning (sequence, h_n[, c_n]) flat; for one sample, batch first and states too."""

    def __init__(self, module: nn.Module, one_sample: bool) -> None:
        super().__init__()
        self.module, self.one_sample = module, one_sample

    def forward(self, x, *states):
        if self.one_sample:  # states come batch first; torch keeps them (layers, batch, hidden)
            states = tuple(s.transpose(0, 1).contiguous() for s in states)
        hidden = (states if len(states) > 1 else states[0]) if states else None
        out, final = self.module(x, hidden)
        finals = final if isinstance(final, tuple) else (final,)
        if self.one_sample:
            finals = tuple(s.transpose(0, 1) for s in finals)
        return (out, *finals)


@builder("recurrent")
def recurrent(spec, x: Shape, *states: Shape, one_sample: bool, batch_first=False, nonlinearity=None, **attrs):
    extra = {"nonlinearity": nonlinearity} if nonlinearity is not None else {}
    return Recurrent(_nn_class(spec)(batch_first=batch_first or one_sample, **attrs, **extra), one_sample)


class Cell(nn.Module):
    """An LSTM, GRU or RNN cell returning its state (h, c for an LSTM)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x, *states):
        hidden = (states if len(states) > 1 else states[0]) if states else None
        return self.module(x, hidden)


@builder("recurrent_cell")
def recurrent_cell(spec, x: Shape, *states: Shape, one_sample: bool, nonlinearity=None, **attrs):
    extra = {"nonlinearity": nonlinearity} if nonlinearity is not None else {}
    return Cell(_nn_class(spec)(**attrs, **extra))


@builder("interpolate")
def interpolate(spec, x: Shape, one_sample: bool, **attrs):
    return Lambda(lambda t: F.interpolate(t, **attrs), "interpolate")


@builder("pad")
def pad(spec, x: Shape, one_sample: bool, pad, mode="constant", value=None):
    return Lambda(lambda t: F.pad(t, list(pad), mode, value), "pad")


class Reduce(nn.Module):
    """A reduction (x.mean, x.var, torch.max along a dim, ...) over sample dims; None: every sample dim."""

    def __init__(self, method: str, dim, one_sample: bool, **kwargs) -> None:
        super().__init__()
        self.method, self.one_sample, self.kwargs = method, one_sample, kwargs
        self.dim = _shift(dim, one_sample)

    def forward(self, x):
        dim = self.dim
        if dim is None and self.one_sample:
            if self.method == "argmax":
                return x.flatten(1).argmax(1, **self.kwargs)
            dim = tuple(range(1, x.dim()))
        kwargs = self.kwargs if dim is not None else {k: v for k, v in self.kwargs.items() if k != "keepdim"}
        result = getattr(torch, self.method)(x, **({} if dim is None else {"dim": dim}), **kwargs)
        return tuple(result) if isinstance(result, tuple) else result


@builder("reduce")
def reduce(spec, x: Shape, one_sample: bool, dim=None, **attrs):
    return Reduce(spec.name, dim, one_sample, **attrs)


@builder("normalize", "cumsum")
def along_one_dim(spec, x: Shape, one_sample: bool, dim, **attrs):
    function = F.normalize if spec.name == "normalize" else torch.cumsum
    return Lambda(lambda t: function(t, dim=_shift(dim, one_sample), **attrs), spec.name)


@builder("add", "multiply")
def arithmetic_chain(spec, *xs: Shape, one_sample: bool, inplace=False):
    operation = torch.add if spec.name == "add" else torch.mul

    def chain(first, *rest):
        for x in rest:
            first = (
                first.add_(x) if inplace and spec.name == "add" else first.mul_(x) if inplace else operation(first, x)
            )
        return first

    return Lambda(chain, spec.name)


@builder("elementwise")
def elementwise(spec, *xs: Shape, one_sample: bool, operation, constant=None, inplace=False):
    if not hasattr(torch, operation):
        raise CnnCostError(f"no torch op for elementwise {operation!r}")
    function = getattr(torch, operation)
    extra = () if constant is None else (constant,)

    def apply(*tensors):
        if operation == "where":  # the condition (random data here) as the booleans torch wants
            tensors = (tensors[0] > 0, *tensors[1:])
        elif operation == "masked_fill":
            tensors = (tensors[0], tensors[1] > 0)
        if len(tensors) == 1 or operation in SELECTIONS:  # where(c, a, b), masked_fill(x, mask, value): one call
            return function(*tensors, *extra)
        result = tensors[0]
        for x in tensors[1:]:
            result = function(result, x)
        return result

    return Lambda(apply, operation)


@builder("concat", "stack")
def join(spec, *xs: Shape, one_sample: bool, dim=0):
    function = torch.cat if spec.name == "concat" else torch.stack
    return Lambda(lambda *tensors: function(tensors, dim=_shift(dim, one_sample)), spec.name)


@builder("flatten")
def flatten(spec, x: Shape, one_sample: bool, start_dim=0, end_dim=-1, copy=False):
    return nn.Flatten(_shift(start_dim, one_sample), _shift(end_dim, one_sample))


def _batched_shape(shape, one_sample: bool, fill: int):
    return (fill, *shape) if one_sample else tuple(shape)


@builder("reshape")
def reshape(spec, x: Shape, one_sample: bool, shape, copy=False):
    return Lambda(lambda t: t.reshape(_batched_shape(shape, one_sample, -1)), f"reshape {shape}")


@builder("permute")
def permute(spec, x: Shape, one_sample: bool, dims):
    order = (0, *_shift(tuple(dims), one_sample)) if one_sample else tuple(dims)
    return Lambda(lambda t: t.permute(order), f"permute {order}")


@builder("expand")
def expand(spec, x: Shape, one_sample: bool, shape):
    def run(t):
        if not one_sample:
            return t.expand(shape)
        new = len(shape) - (t.dim() - 1)
        return t.reshape(t.shape[0], *(1,) * new, *t.shape[1:]).expand(t.shape[0], *shape)

    return Lambda(run, f"expand {shape}")


@builder("item")
def item(spec, x: Shape, one_sample: bool, index):
    return Lambda(lambda outputs: outputs[index] if isinstance(outputs, tuple) else outputs, f"output {index}")


@builder("global_avg_pool2d")
def global_avg_pool2d(spec, x: Shape, one_sample: bool):
    return Lambda(lambda t: t.mean((-2, -1), keepdim=True), "mean over H and W")


@builder("slice")
def slice_(spec, x: Shape, one_sample: bool, start, end, dim=0, step=1):
    axis = _shift(dim % len(x.dims), one_sample)
    return Lambda(lambda t: t[(slice(None),) * axis + (slice(start, end, step),)], f"slice {start}:{end}:{step}")


@builder("select")
def select(spec, x: Shape, one_sample: bool, dim, index):
    return Lambda(lambda t: t.select(_shift(dim % len(x.dims), one_sample), index), f"select {index}")


def python_index(index) -> tuple:
    """cnncost's index entries as Python's: [start, stop, step] a slice, 'new' None, '...' Ellipsis."""
    items = index if isinstance(index, (tuple, list)) else [index]
    return tuple(
        slice(*item)
        if isinstance(item, (tuple, list))
        else None
        if item == "new"
        else Ellipsis
        if item == "..."
        else item
        for item in items
    )


@builder("getitem")
def getitem(spec, x: Shape, one_sample: bool, index):
    key = ((slice(None),) if one_sample else ()) + python_index(index)
    return Lambda(lambda t: t[key], f"[{index}]")


@builder("roll", "flip")
def move(spec, x: Shape, one_sample: bool, dims=None, **attrs):
    function = getattr(torch, spec.name)
    dims = _shift((dims,) if isinstance(dims, int) else dims, one_sample)
    return Lambda(lambda t: function(t, dims=dims, **attrs), spec.name)


@builder("repeat")
def repeat(spec, x: Shape, one_sample: bool, sizes):
    def run(t):
        if not one_sample:
            return t.repeat(*sizes)
        new = len(sizes) - (t.dim() - 1)
        return t.reshape(t.shape[0], *(1,) * new, *t.shape[1:]).repeat(1, *sizes)

    return Lambda(run, f"repeat {sizes}")


@builder("setitem")
def setitem(spec, *xs: Shape, one_sample: bool):
    def write(target, *values):
        for value in values:  # into the first positions of the first dim where the value is shorter
            dim = next((d for d in range(value.dim()) if value.shape[d] != target.shape[d]), 0)
            target.narrow(dim, 0, value.shape[dim]).copy_(value)
        return target

    return Lambda(write, "setitem")


@builder("copy")
def copy(spec, x: Shape, one_sample: bool):
    return Lambda(torch.clone, "clone")


class HeldTensor(nn.Module):
    """A parameter (or buffer, or constant) of a shape, returned as it is: it does not grow with the batch."""

    def __init__(self, shape, kind: str) -> None:
        super().__init__()
        value = torch.zeros(shape)
        if kind == "parameter":
            self.value: torch.Tensor = nn.Parameter(value)
        elif kind == "buffer":
            self.register_buffer("value", value)
        else:
            self.value = value  # a constant: neither a parameter nor a buffer

    def forward(self):
        return self.value


@builder("parameter")
def parameter(spec, one_sample: bool, shape, buffer=False):
    return HeldTensor(tuple(shape), "buffer" if buffer else "parameter")


@builder("constant")
def constant(spec, one_sample: bool, shape):
    return HeldTensor(tuple(shape), "constant")


@builder("input", "unused", "gather", "uncounted")
def unbuildable(spec, *xs: Shape, one_sample: bool, **attrs):
    what = attrs.get("source") or spec.name
    raise CnnCostError(f"no torch module stands for the {spec.name} op {what!r}")
