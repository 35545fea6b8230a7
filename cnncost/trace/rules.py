"""How a torch call becomes a cnncost node: one handler per family of layer types, found through the registry.

Which layer type a torch function becomes is read from the registry (each type lists its torch functions); how
the call's arguments become the type's attributes is one handler per family, in the way torch.fx's Interpreter
dispatches on a table (`handler_of`). A handler returns the node (or nodes) the call becomes, an Alias where the call
returns one of its inputs itself, or None for arguments cnncost has no formula for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from math import prod
from typing import Any

import torch
from torch import nn

from ..layers import layer_type, layer_types
from ..layers.elementwise import SELECTIONS
from ..layers.registry import LAYER_TYPES
from ..registries import Registry
from .record import Call, Value, Weight


def output_shapes(outputs) -> tuple | list:
    """An output_shape attribute: the one shape, or the list of them for a call of several outputs."""
    return tuple(outputs[0]) if len(outputs) == 1 else [list(o) for o in outputs]


@dataclass
class Lowered:
    """A node a call becomes: its type, attributes, the tensors it reads, the weights it owns, the output it gives."""

    op: str
    attrs: dict = field(default_factory=dict)
    inputs: tuple = ()  # Values, or Weights used as operands (they become parameter nodes)
    weights: tuple = ()  # Weights that belong to the node (a conv's weight and bias)
    output: int | None = None  # the call's output this node stands for; None: all of them
    suffix: str = ""  # added to the call's name when a call makes several nodes (chunk)


@dataclass(frozen=True)
class Alias:
    """The call returns one of its inputs itself (x.contiguous() of a contiguous x, x.detach(), x.float() of fp32)."""

    value: Any


Result = Lowered | Alias | list | None
Handler = Callable[[Call, str], Result]


def arg(call: Call, index: int, name: str, default=None):
    """An argument by keyword, else by position."""
    if name in call.kwargs:
        return call.kwargs[name]
    return call.args[index] if len(call.args) > index else default


def is_tensor(value) -> bool:
    return isinstance(value, (Value, Weight))


def tensors(values) -> tuple:
    """The Values and Weights among the arguments, in order, lists flattened."""
    found: list[Value | Weight] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            found += tensors(value)
        elif is_tensor(value):
            found.append(value)
    return tuple(found)


def shape_of(value) -> tuple[int, ...]:
    return tuple(value.shape)


def _first_shape(call: Call) -> tuple[int, ...]:
    return shape_of(call.args[0])


def _tuple(value) -> Any:
    return tuple(value) if isinstance(value, (list, tuple, torch.Size)) else value


def _python(value):
    """A plain number or list from a torch scalar or size."""
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_python(v) for v in value)
    return value


# --- handlers, one per family ----------------------------------------------------------------------------


def _conv(call: Call, op: str) -> Result:
    weight, bias = arg(call, 1, "weight"), arg(call, 2, "bias")
    transposed = op.startswith("conv_transpose")
    names = (
        ("stride", "padding", "output_padding", "groups", "dilation")
        if transposed
        else ("stride", "padding", "dilation", "groups")
    )
    attrs = {key: _tuple(arg(call, i + 3, key)) for i, key in enumerate(names) if arg(call, i + 3, key) is not None}
    groups = attrs.get("groups", 1)
    attrs["out_channels"] = weight.shape[1] * groups if transposed else weight.shape[0]
    attrs["kernel_size"] = tuple(weight.shape[2:])
    attrs["bias"] = bias is not None
    return Lowered(op, attrs, (call.args[0],), tuple(w for w in (weight, bias) if w is not None))


def _convolution(call: Call, op: str) -> Result:
    """torch.convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)."""
    x, weight, bias = call.args[:3]
    stride, padding, dilation, transposed, output_padding, groups = call.args[3:9]
    n = len(shape_of(weight)) - 2
    op = f"conv{'_transpose' if transposed else ''}{n}d"
    attrs = dict(
        out_channels=weight.shape[1] * groups if transposed else weight.shape[0],
        kernel_size=tuple(weight.shape[2:]),
        stride=_tuple(stride),
        padding=_tuple(padding),
        dilation=_tuple(dilation),
        groups=groups,
        bias=bias is not None,
    )
    if transposed:
        attrs["output_padding"] = _tuple(output_padding)
    return Lowered(op, attrs, (x,), tuple(w for w in (weight, bias) if w is not None))


def _tensordot(call: Call, op: str) -> Result:
    """torch.tensordot as the einsum it is: dims a number of trailing and leading dims, or two lists."""
    a, b = call.args[0], call.args[1]
    dims = arg(call, 2, "dims", 2)
    rank_a, rank_b = len(shape_of(a)), len(shape_of(b))
    if isinstance(dims, int):
        first, second = list(range(rank_a - dims, rank_a)), list(range(dims))
    else:
        first, second = (
            [dims[0]] if isinstance(dims[0], int) else list(dims[0]),
            [dims[1]] if isinstance(dims[1], int) else list(dims[1]),
        )
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    left = [next(letters) for _ in range(rank_a)]
    right = [next(letters) for _ in range(rank_b)]
    for i, j in zip(first, second, strict=True):
        right[j % rank_b] = left[i % rank_a]
    summed = {left[i % rank_a] for i in first}
    output = [c for c in left if c not in summed] + [c for c in right if c not in summed]
    return Lowered("einsum", {"equation": f"{''.join(left)},{''.join(right)}->{''.join(output)}"}, (a, b))


def _batch_norm(call: Call, op: str) -> Result:
    x = call.args[0]
    mean, var, weight, bias = (
        arg(call, i, key) for i, key in ((1, "running_mean"), (2, "running_var"), (3, "weight"), (4, "bias"))
    )
    features = next((t.shape[0] for t in (weight, mean) if t is not None), None)
    kind = "batch_norm" if op.startswith("batch_norm") else "instance_norm"
    rank = len(shape_of(x))
    op = f"{kind}{ {2: 1, 3: 1, 4: 2, 5: 3}.get(rank, 2) }d"
    attrs: dict[str, Any] = dict(affine=weight is not None, track_running_stats=mean is not None)
    if features is not None:
        attrs["num_features"] = features
    eps = arg(call, 7, "eps")
    if eps is not None:
        attrs["eps"] = float(eps)
    return Lowered(op, attrs, (x,), tuple(t for t in (weight, bias, mean, var) if t is not None))


def _layer_norm(call: Call, op: str) -> Result:
    shape = _tuple(_python(arg(call, 1, "normalized_shape")))
    if op == "rms_norm":
        weight = arg(call, 2, "weight")
        return Lowered(
            op,
            dict(normalized_shape=shape, elementwise_affine=weight is not None),
            (call.args[0],),
            tuple(t for t in (weight,) if t is not None),
        )
    weight, bias = arg(call, 2, "weight"), arg(call, 3, "bias")
    attrs = dict(normalized_shape=shape, elementwise_affine=weight is not None, bias=bias is not None)
    return Lowered(op, attrs, (call.args[0],), tuple(t for t in (weight, bias) if t is not None))


def _group_norm(call: Call, op: str) -> Result:
    x, weight, bias = call.args[0], arg(call, 2, "weight"), arg(call, 3, "bias")
    attrs = dict(num_groups=arg(call, 1, "num_groups"), num_channels=shape_of(x)[1], affine=weight is not None)
    return Lowered(op, attrs, (x,), tuple(t for t in (weight, bias) if t is not None))


def _same_names(call: Call, op: str, skip: tuple[str, ...] = ()) -> dict:
    """The call's arguments that the formula takes by the same name (positional ones bound by the formula's order)."""
    attributes = layer_type(op).attributes
    found = {}
    positional = [a for a in call.args[1:] if not is_tensor(a)]
    for key, value in zip(attributes, positional, strict=False):
        found[key] = value
    for key, value in call.kwargs.items():
        if key in attributes:
            found[key] = value
    return {key: _tuple(_python(value)) for key, value in found.items() if key not in skip and value is not None}


def _activation(call: Call, op: str) -> Result:
    x = call.args[0]
    if call.function == "hardtanh":
        low, high = arg(call, 1, "min_val", -1.0), arg(call, 2, "max_val", 1.0)
        inplace = bool(arg(call, 3, "inplace", False)) or call.in_place
        if (low, high) == (0.0, 6.0):
            return Lowered("relu6", {"inplace": inplace}, (x,))
        return Lowered("hardtanh", dict(min_val=float(low), max_val=float(high), inplace=inplace), (x,))
    attrs = _same_names(call, op, skip=("inplace",))
    if "inplace" in layer_type(op).attributes:
        attrs["inplace"] = call.in_place
    return Lowered(op, attrs, (x,))


def _prelu(call: Call, op: str) -> Result:
    weight = arg(call, 1, "weight")
    return Lowered(op, {"num_parameters": prod(weight.shape)}, (call.args[0],), (weight,))


def _along_dim(call: Call, op: str) -> Result:
    """glu along its dim (the last by default); softmax along its dim, or the one torch picks when it is not given
    (0 for 0, 1 and 3 dimensions, else 1)."""
    x = call.args[0]
    dim = arg(call, 1, "dim")
    if dim is None:
        dim = -1 if op == "glu" else (0 if len(shape_of(x)) in (0, 1, 3) else 1)
    return Lowered(op, {"dim": dim}, (x,))


def _dropout(call: Call, op: str) -> Result:
    return Lowered("dropout", {"p": float(arg(call, 1, "p", 0.5))}, (call.args[0],))


def _pool(call: Call, op: str) -> Result:
    if arg(call, 6 if op.startswith("max") else 99, "return_indices", False):
        return None
    attrs = _same_names(call, op)
    return Lowered(op, attrs, (call.args[0],))


def _adaptive_pool(call: Call, op: str) -> Result:
    if arg(call, 2, "return_indices", False) or len(call.outputs) != 1:
        return None
    n = int(op[-2])
    return Lowered(op, {"output_size": tuple(call.outputs[0][-n:])}, (call.args[0],))


UPSAMPLE_MODES = {
    "upsample_nearest": "nearest",
    "upsample_bilinear": "bilinear",
    "upsample_nearest2d": "nearest",
    "upsample_bilinear2d": "bilinear",
}


def _interpolate(call: Call, op: str) -> Result:
    """The output size torch gave, and the mode: F.upsample_bilinear's is bilinear with aligned corners."""
    x, out = call.args[0], call.outputs[0]
    k = len(out) - 2
    mode = UPSAMPLE_MODES.get(call.function) or arg(call, 3, "mode", "nearest")
    attrs = dict(size=tuple(out[-k:]), mode=mode)
    corners = True if call.function == "upsample_bilinear" else arg(call, 4, "align_corners")
    if corners is not None:
        attrs["align_corners"] = corners
    return Lowered(op, attrs, (x,))


def _with_attributes(call: Call, op: str) -> Result:
    """The formula's attributes from the call's arguments of the same names; every tensor argument is an input."""
    return Lowered(op, _same_names(call, op), tuple(t for t in tensors(call.args) + tensors(call.kwargs.values())))


def _pad(call: Call, op: str) -> Result:
    attrs = dict(pad=_tuple(arg(call, 1, "pad")), mode=arg(call, 2, "mode", "constant"))
    value = arg(call, 3, "value")
    if value is not None:
        attrs["value"] = float(value)
    return Lowered(op, attrs, (call.args[0],))


def _linear(call: Call, op: str) -> Result:
    x, weight, bias = call.args[0], arg(call, 1, "weight"), arg(call, 2, "bias")
    return Lowered(
        op,
        dict(out_features=weight.shape[0], bias=bias is not None),
        (x,),
        tuple(t for t in (weight, bias) if t is not None),
    )


def _embedding(call: Call, op: str) -> Result:
    indices, weight = call.args[0], arg(call, 1, "weight")
    if isinstance(indices, Weight) and not isinstance(weight, Weight):  # torch.embedding(weight, indices)
        indices, weight = weight, indices
    return Lowered(op, dict(num_embeddings=weight.shape[0], embedding_dim=weight.shape[1]), (indices,), (weight,))


def _matmul(call: Call, op: str) -> Result:
    operands = tensors(call.args)
    if op == "addmm":
        bias, a, b = (
            arg(call, 0, "input"),
            arg(call, 1, "mat1", arg(call, 1, "batch1")),
            arg(call, 2, "mat2", arg(call, 2, "batch2")),
        )
        return Lowered(op, {}, (bias, a, b))
    a, b = operands[:2]
    copied = tuple(i for i, x in enumerate((a, b)) if not _folds_as_view(x, a, b))
    return Lowered(op, {"copied": copied} if copied else {}, (a, b))


def _folds_as_view(x, a, b) -> bool:
    """Whether torch.matmul folds operand x into the 3-d (or 2-d) tensor its batched product takes as a view of x:
    its batch dims, broadcast to the product's, merge (each dim's stride is the next one's times its size); else it
    copies x (k of an attention's packed q, k, v after a permute, with several heads)."""
    shape, strides = shape_of(x), getattr(x, "strides", None)
    if strides is None or len(shape) < 3 and not (len(shape) == 2 and len(shape_of(b if x is a else a)) >= 3):
        return True
    other = shape_of(b if x is a else a)
    if len(other) <= 2 and x is a:  # (…, n, k) @ (k, m): x becomes (… · n, k)
        dims = list(zip(shape[:-1], strides[:-1], strict=True))
    else:  # batch dims broadcast to the product's, then (batch, rows, cols)
        batch = _broadcast_batch(shape[:-2], other[:-2])
        padded = (1,) * (len(batch) - len(shape[:-2])) + shape[:-2]
        padded_strides = (0,) * (len(batch) - len(shape[:-2])) + strides[:-2]
        dims = [
            (size, stride if own == size else 0)
            for size, own, stride in zip(batch, padded, padded_strides, strict=True)
        ]
    dims = [(size, stride) for size, stride in dims if size != 1]
    return all(dims[i][1] == dims[i + 1][1] * dims[i + 1][0] for i in range(len(dims) - 1))


def _broadcast_batch(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b, strict=True))


def _einsum(call: Call, op: str) -> Result:
    equation = call.args[0]
    operands = tensors(call.args[1:])
    attrs: dict = {"equation": equation}
    if len(operands) >= 3 and torch.backends.opt_einsum.enabled and torch.backends.opt_einsum.is_available():
        import opt_einsum  # torch then contracts along opt_einsum's path: so does the formula

        path = opt_einsum.contract_path(
            equation,
            *(torch.empty(shape_of(t), device="meta") for t in operands),
            optimize=torch.backends.opt_einsum.strategy,
        )[0]
        attrs["path"] = [i for pair in path for i in pair]
    return Lowered(op, attrs, operands)


def _attention(call: Call, op: str) -> Result:
    q, k, v = (arg(call, i, key) for i, key in enumerate(("query", "key", "value")))
    mask = arg(call, 3, "attn_mask")
    attrs = {
        key: arg(call, i, key)
        for i, key in ((5, "is_causal"), (6, "scale"), (7, "enable_gqa"))
        if arg(call, i, key) not in (None, False)
    }
    return Lowered(op, attrs, tuple(t for t in (q, k, v, mask) if is_tensor(t)))


_MHA_WEIGHTS = (
    (5, "in_proj_weight"),
    (6, "in_proj_bias"),
    (7, "bias_k"),
    (8, "bias_v"),
    (11, "out_proj_weight"),
    (12, "out_proj_bias"),
    (18, "q_proj_weight"),
    (19, "k_proj_weight"),
    (20, "v_proj_weight"),
)


def _multihead_attention(call: Call, op: str) -> Result:
    q, k, v = call.args[:3]
    embed_dim, heads = arg(call, 3, "embed_dim_to_check"), arg(call, 4, "num_heads")
    masks = tuple(t for t in (arg(call, 14, "key_padding_mask"), arg(call, 16, "attn_mask")) if is_tensor(t))
    weights = {key: arg(call, i, key) for i, key in _MHA_WEIGHTS}
    if arg(call, 21, "static_k") is not None or arg(call, 22, "static_v") is not None:
        return None
    attrs = dict(
        embed_dim=embed_dim,
        num_heads=heads,
        kdim=shape_of(k)[-1],
        vdim=shape_of(v)[-1],
        bias=weights["in_proj_bias"] is not None,
        add_bias_kv=weights["bias_k"] is not None,
        add_zero_attn=bool(arg(call, 9, "add_zero_attn", False)),
        batch_first=False,
        need_weights=bool(arg(call, 15, "need_weights", True)),
        average_attn_weights=bool(arg(call, 23, "average_attn_weights", True)),
    )
    return Lowered(op, attrs, (q, k, v, *masks), tuple(w for w in weights.values() if is_tensor(w)))


def _recurrent(call: Call, op: str) -> Result:
    if len(call.args) > 1 and is_tensor(call.args[1]) and len(shape_of(call.args[1])) == 1:
        return None  # a packed sequence (data, batch sizes): its steps vary per sample
    module = call.module
    x, hx, params = call.args[0], call.args[1], call.args[2]
    if not isinstance(module, nn.RNNBase):
        return None
    attrs: dict[str, Any] = dict(
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bias=module.bias,
        batch_first=module.batch_first,
        bidirectional=module.bidirectional,
    )
    if op == "lstm" and module.proj_size:
        attrs["proj_size"] = module.proj_size
    if op == "rnn":
        attrs["nonlinearity"] = module.nonlinearity
    states = tuple(t for t in (hx if isinstance(hx, (list, tuple)) else (hx,)) if is_tensor(t))
    return Lowered(op, attrs, (x, *states), tensors(params))


def _cell(call: Call, op: str) -> Result:
    x, hx = call.args[0], call.args[1]
    w_ih, w_hh = arg(call, 2, "w_ih"), arg(call, 3, "w_hh")
    b_ih, b_hh = arg(call, 4, "b_ih"), arg(call, 5, "b_hh")
    attrs = dict(input_size=w_ih.shape[1], hidden_size=w_hh.shape[1], bias=b_ih is not None)
    if call.function == "rnn_relu_cell":
        attrs["nonlinearity"] = "relu"
    states = tuple(t for t in (hx if isinstance(hx, (list, tuple)) else (hx,)) if is_tensor(t))
    return Lowered(op, attrs, (x, *states), tuple(w for w in (w_ih, w_hh, b_ih, b_hh) if w is not None))


def _elementwise(call: Call, op: str) -> Result:
    operands = tensors(call.args) + tensors(call.kwargs.values())
    name = call.function
    if name == "where" and len(call.args) == 1 and not call.kwargs:  # where(condition): the positions, as nonzero
        return _gather(call, "gather")
    if name in ("add", "mul") and len(operands) >= 2 and "alpha" not in call.kwargs:
        return Lowered("add" if name == "add" else "multiply", {"inplace": call.in_place}, operands)
    constant = next((a for a in call.args if isinstance(a, (int, float)) and not isinstance(a, bool)), None)
    attrs: dict = {"operation": name, "inplace": call.in_place}
    if constant is not None and (len(operands) == 1 or name in SELECTIONS):  # x * 0.5; masked_fill(x, m, 0.0)
        attrs["constant"] = constant
    return Lowered("elementwise", attrs, operands)


def _reduce(call: Call, op: str) -> Result:
    x = call.args[0]
    name = call.function
    dim = (
        arg(call, 1, "dim", call.kwargs.get("axis")) if name != "norm" else call.kwargs.get("dim", arg(call, 2, "dim"))
    )
    if isinstance(dim, str) or (dim is not None and not isinstance(dim, (int, list, tuple))):
        return None
    # keepdim: x.sum(dim, keepdim); x.var(dim, unbiased, keepdim); torch.norm(x, p, dim, keepdim)
    keepdim = bool(arg(call, 3 if name in ("var", "std", "norm") else 2, "keepdim", False))
    if name in ("max", "min"):
        if dim is None or is_tensor(dim):
            return Lowered("amax", {}, (x,)) if dim is None else _elementwise(call, op)
        return Lowered("max", {"dim": dim, "keepdim": keepdim}, (x,))
    attrs: dict = {"keepdim": keepdim}
    if dim is not None:
        attrs["dim"] = _tuple(dim)
    if name in ("var", "std"):
        correction = call.kwargs.get("correction", 0 if call.kwargs.get("unbiased") is False else 1)
        attrs["correction"] = int(correction) if correction is not None else 1
    if name == "norm":
        p = arg(call, 1, "p", call.kwargs.get("ord", 2))
        attrs["p"] = p if isinstance(p, (int, float)) else 2
    if name in ("argmax", "argmin") and isinstance(attrs.get("dim"), tuple):
        return None
    if name in ("prod", "logsumexp", "cumsum", "cumprod") and isinstance(attrs.get("dim"), tuple):
        return None
    if name in ("cumsum", "cumprod"):
        return Lowered(op, {"dim": dim}, (x,))
    return Lowered(op, attrs, (x,))


def _normalize(call: Call, op: str) -> Result:
    attrs = {"p": float(arg(call, 1, "p", 2.0)), "dim": arg(call, 2, "dim", 1)}
    return Lowered(op, attrs, (call.args[0],))


def _view(call: Call, op: str) -> Result:
    x, out = call.args[0], call.outputs[0]
    name = call.function
    if (
        name in ("view", "reshape", "view_as", "squeeze", "unsqueeze", "unflatten", "reshape_as", "flatten")
        and out == shape_of(x)
        and not call.in_place
    ):
        return Alias(x)
    copied = {"copy": True} if call.views and not call.views[0] else {}  # reshape of a layout no view can give
    if name == "flatten":
        return Lowered(
            "flatten", dict(start_dim=arg(call, 1, "start_dim", 0), end_dim=arg(call, 2, "end_dim", -1), **copied), (x,)
        )
    if name in ("permute", "transpose", "t", "T", "mT", "movedim", "numpy_T"):
        return Lowered("permute", {"dims": _permutation(call, len(shape_of(x)))}, (x,))
    if name in ("expand", "expand_as", "broadcast_to"):
        return Lowered("expand", {"shape": tuple(out)}, (x,))
    return Lowered("reshape", {"shape": tuple(out), **copied}, (x,))


def _permutation(call: Call, rank: int) -> tuple[int, ...]:
    name = call.function
    if name == "permute":
        dims = call.args[1:] if len(call.args) > 2 else _tuple(arg(call, 1, "dims"))
        return tuple(d % rank for d in dims)
    order = list(range(rank))
    if name in ("t", "T") or (name == "mT" and rank >= 2):
        a, b = (0, 1) if name != "mT" else (rank - 2, rank - 1)
    elif name == "movedim":
        source, target = _tuple(arg(call, 1, "source")), _tuple(arg(call, 2, "destination"))
        source = (source,) if isinstance(source, int) else source
        target = (target,) if isinstance(target, int) else target
        rest = [d for d in order if d not in [s % rank for s in source]]
        result: list[int | None] = [None] * rank
        for s, t in zip(source, target, strict=True):
            result[t % rank] = s % rank
        filler = iter(rest)
        return tuple(r if r is not None else next(filler) for r in result)
    else:
        a, b = arg(call, 1, "dim0") % rank, arg(call, 2, "dim1") % rank
    order[a], order[b] = order[b], order[a]
    return tuple(order)


def _getitem(call: Call, op: str) -> Result:
    x, key = call.args[0], call.args[1]
    items = key if isinstance(key, tuple) else (key,)
    if any(is_tensor(item) or isinstance(item, (list, bool)) for item in items):
        indices = tensors(items)
        return Lowered("gather", {"output_shape": tuple(call.outputs[0])}, (x, *indices))
    sizes = iter(shape_of(x))
    index: list = []
    expanded = []
    for item in items:
        if item is Ellipsis:
            consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
            expanded += [slice(None)] * (len(shape_of(x)) - consumed)
        else:
            expanded.append(item)
    for item in expanded:
        if item is None:
            index.append("new")
        elif isinstance(item, int):
            index.append(item % next(sizes))
        elif isinstance(item, slice):
            start, stop, step = item.indices(next(sizes))
            index.append([start, stop, step])
        else:
            return None
    return Lowered("getitem", {"index": index}, (x,))


def _split(call: Call, op: str) -> Result:
    """chunk, split, unbind, tensor_split: one slice (or select) node per piece, each a view of the input."""
    x, shape = call.args[0], _first_shape(call)
    rank = len(shape)
    if call.function == "unbind":
        dim = arg(call, 1, "dim", 0) % rank
        return [
            Lowered("select", {"dim": dim, "index": i}, (x,), output=i, suffix=f".{i}")
            for i in range(len(call.outputs))
        ]
    dim = arg(call, 2, "dim", 0) % rank
    pieces, start = [], 0
    for i, out in enumerate(call.outputs):
        length = out[dim]
        pieces.append(
            Lowered("slice", {"start": start, "end": start + length, "dim": dim}, (x,), output=i, suffix=f".{i}")
        )
        start += length
    return pieces


def _narrow(call: Call, op: str) -> Result:
    if call.function != "narrow":
        return _split(call, op)
    x = call.args[0]
    dim, start, length = arg(call, 1, "dim"), arg(call, 2, "start"), arg(call, 3, "length")
    rank = len(shape_of(x))
    if not all(isinstance(v, int) for v in (dim, start, length)):
        return None
    start %= shape_of(x)[dim % rank]
    return Lowered("slice", {"start": start, "end": start + length, "dim": dim % rank}, (x,))


def _select(call: Call, op: str) -> Result:
    if call.function == "unbind":
        return _split(call, op)
    x, dim, index = call.args[0], arg(call, 1, "dim"), arg(call, 2, "index")
    return Lowered("select", {"dim": dim, "index": index}, (x,))


def _join(call: Call, op: str) -> Result:
    inputs = tensors(arg(call, 0, "tensors"))
    return Lowered(op, {"dim": arg(call, 1, "dim", call.kwargs.get("axis", 0))}, inputs)


def _movement(call: Call, op: str) -> Result:
    x = call.args[0]
    if op == "roll":
        return Lowered(op, dict(shifts=_tuple(arg(call, 1, "shifts")), dims=_tuple(arg(call, 2, "dims"))), (x,))
    if op == "flip":
        dims = call.args[1:] if len(call.args) > 2 else _tuple(arg(call, 1, "dims"))
        return Lowered(op, {"dims": _tuple(dims)}, (x,))
    sizes = call.args[1:] if len(call.args) > 2 else _tuple(arg(call, 1, "sizes", arg(call, 1, "dims")))
    sizes = (sizes,) if isinstance(sizes, int) else tuple(sizes)
    if len(sizes) < len(shape_of(x)):
        sizes = (1,) * (len(shape_of(x)) - len(sizes)) + sizes
    return Lowered("repeat", {"sizes": sizes}, (x,))


def _gather(call: Call, op: str) -> Result:
    return Lowered(
        "gather", {"output_shape": output_shapes(call.outputs)}, tensors(call.args) + tensors(call.kwargs.values())
    )


def _sort(call: Call, op: str) -> Result:
    x = call.args[0]
    if op == "topk":
        attrs = {"k": arg(call, 1, "k"), "dim": arg(call, 2, "dim", -1), "largest": bool(arg(call, 3, "largest", True))}
    else:
        attrs = {"dim": arg(call, 1, "dim", -1), "descending": bool(arg(call, 2, "descending", False))}
    return Lowered(op, attrs, (x,))


def _setitem(call: Call, op: str) -> Result:
    target = call.args[0]
    written = tensors(call.args[2:]) if call.function == "setitem" else tensors(call.args[1:])
    return Lowered("setitem", {}, (target, *written))


def _copy(call: Call, op: str) -> Result:
    """A copy of the input; the input itself where torch returned it (x.float() of an fp32 x, x.contiguous() of a
    contiguous x) or a view of it (x.detach())."""
    x = call.args[0]
    if call.in_place or call.function == "detach" or (call.function == "contiguous" and getattr(x, "contiguous", True)):
        return Alias(x)
    return Lowered("copy", {}, (x,))


def constant_nodes(call: Call) -> list[Lowered]:
    """A tensor made from no input: one constant node per tensor made (torch.meshgrid makes several)."""
    if len(call.outputs) == 1:
        return [Lowered("constant", {"shape": tuple(call.outputs[0])})]
    return [
        Lowered("constant", {"shape": tuple(shape)}, output=i, suffix=f".{i}") for i, shape in enumerate(call.outputs)
    ]


def _constant(call: Call, op: str) -> Result:
    return constant_nodes(call)


HANDLERS: Registry[Handler] = Registry("torch handler")  # by layer type, or by the family it shares a handler with


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register the handler that lowers the calls of layer types (or families) to nodes; duplicates are refused."""
    return HANDLERS.register(*names)


for _name, _handler in {
    "conv": _conv,
    "conv_transpose": _conv,
    "batch_norm": _batch_norm,
    "instance_norm": _batch_norm,
    "layer_norm": _layer_norm,
    "rms_norm": _layer_norm,
    "group_norm": _group_norm,
    "local_response_norm": _with_attributes,
    "activation": _activation,
    "prelu": _prelu,
    "glu": _along_dim,
    "softmax": _along_dim,
    "dropout": _dropout,
    "pool": _pool,
    "adaptive_pool": _adaptive_pool,
    "interpolate": _interpolate,
    "pixel_shuffle": _with_attributes,
    "pixel_unshuffle": _with_attributes,
    "channel_shuffle": _with_attributes,
    "pad": _pad,
    "linear": _linear,
    "embedding": _embedding,
    "matmul": _matmul,
    "addmm": _matmul,
    "einsum": _einsum,
    "scaled_dot_product_attention": _attention,
    "multihead_attention": _multihead_attention,
    "recurrent": _recurrent,
    "recurrent_cell": _cell,
    "arithmetic": _elementwise,
    "reduce": _reduce,
    "normalize": _normalize,
    "cumsum": _reduce,
    "view": _view,
    "flatten": _view,
    "reshape": _view,
    "permute": _view,
    "expand": _view,
    "getitem": _getitem,
    "slice": _narrow,
    "select": _select,
    "concat": _join,
    "stack": _join,
    "roll": _movement,
    "flip": _movement,
    "repeat": _movement,
    "gather": _gather,
    "setitem": _setitem,
    "copy": _copy,
    "sort": _sort,
    "topk": _sort,
    "constant": _constant,
}.items():
    HANDLERS.add(_name, _handler)
# Functions no layer type lists, as they are another's spelling: lowered by their own handler
SPELLINGS: dict[str, tuple[str, Handler]] = {
    "convolution": ("conv2d", _convolution),
    "tensordot": ("einsum", _tensordot),
}


@lru_cache(maxsize=4)
def _table(generations: tuple[int, int]) -> dict[str, tuple[str, Handler]]:
    """Each torch function's layer type and handler, for the registries at these generations."""
    table = dict(SPELLINGS)
    for name, spec in layer_types().items():
        handler = HANDLERS.get(name) or HANDLERS.get(spec.family)
        for function in spec.torch_functions:
            if handler is not None:
                table[function] = (name, handler)
    return table


def handler_of(function: str) -> tuple[str, Handler] | None:
    """The layer type and handler a torch function lowers to, or None for a function without a formula."""
    return _table((LAYER_TYPES.generation, HANDLERS.generation)).get(function)
