"""Shapes of common ops made without running them on the meta device.

On the meta device torch computes many ops through Python references and checks whose first call imports
torch._dynamo (about 1 s in a fresh process) or sympy (0.4 s), and its meta kernels for an activation or a norm take
a millisecond apiece. The ops here have a plain shape: an op whose result has its input's shape (an activation, a
norm), a broadcast of two (a sum), a join, or a shape from its arguments (a linear layer, a convolution, a pool).
`shortcut` makes the empty meta tensor of that shape once the arguments are checked as torch would check them; for
anything else it returns None and torch is run, and says what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from math import floor, prod

import torch
from torch._prims_common import (
    compute_elementwise_output_strides,
    is_non_overlapping_and_dense_or_false,
    suggest_memory_format,
)

from ..layers import layer_types
from ..layers.common import window_output
from ..layers.registry import LAYER_TYPES


def same_shape_functions() -> frozenset[str]:
    """The torch functions whose result has the shape, strides and dtype of their first argument, as the layer types
    say in their registration (same_shape): not run on the meta device."""
    return _same_shape(LAYER_TYPES.generation)


@lru_cache(maxsize=4)
def _same_shape(generation: int) -> frozenset[str]:
    return frozenset(function for spec in layer_types().values() for function in spec.same_shape)


BROADCAST = {"add", "sub", "mul", "div"}
JOIN = {"cat", "concat", "concatenate", "stack"}
ADAPTIVE_AVERAGE_RANK = {"adaptive_avg_pool1d": 1, "adaptive_avg_pool2d": 2, "adaptive_avg_pool3d": 3}


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """torch's broadcast of two shapes, or None where they do not broadcast."""
    if a == b:
        return a
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(y if x == 1 else x)
    return tuple(out)


def _number(value) -> bool:
    """A plain int or float (not a bool, not a tensor)."""
    return type(value) in (int, float)


def _bind(names: tuple[str, ...], args: tuple, kwargs: dict, keywords: tuple[str, ...] = ()) -> dict | None:
    """The arguments by name, where they fit the names in order and the keyword-only ones (none given twice, none
    unknown); else None."""
    if len(args) > len(names) or any(key not in names[len(args) :] + keywords for key in kwargs):
        return None
    return {**dict(zip(names, args, strict=False)), **kwargs}


def _features(values) -> list[int]:
    return [v.numel() for v in values if isinstance(v, torch.Tensor)]


def shortcut_is_safe(name: str, x: torch.Tensor, args: tuple, kwargs: dict) -> bool:
    """Whether the op's arguments fit its input, as torch would check them: a norm's weights and statistics one per
    channel (or per normalised element), a softmax's dim in range. Where they do not, torch is run, and says why."""
    channels = x.shape[1] if x.dim() >= 2 else None
    if name in ("batch_norm", "instance_norm"):
        sizes = _features((*args[1:5], *(kwargs.get(k) for k in ("running_mean", "running_var", "weight", "bias"))))
        return channels is not None and all(size == channels for size in sizes)
    if name in ("layer_norm", "rms_norm"):
        normalized = args[1] if len(args) > 1 else kwargs.get("normalized_shape")
        normalized = (normalized,) if isinstance(normalized, int) else tuple(normalized or ())
        sizes = _features((*args[2:4], kwargs.get("weight"), kwargs.get("bias")))
        return (
            bool(normalized)
            and tuple(x.shape[x.dim() - len(normalized) :]) == normalized
            and all(size == prod(normalized) for size in sizes)
        )
    if name == "group_norm":
        groups = args[1] if len(args) > 1 else kwargs.get("num_groups")
        sizes = _features((*args[2:4], kwargs.get("weight"), kwargs.get("bias")))
        return (
            channels is not None
            and isinstance(groups, int)
            and groups > 0
            and channels % groups == 0
            and all(size == channels for size in sizes)
        )
    if name in ("softmax", "log_softmax", "normalize"):
        dim = args[1] if len(args) > 1 and name != "normalize" else kwargs.get("dim", args[2] if len(args) > 2 else 1)
        return dim is None or (isinstance(dim, int) and -max(x.dim(), 1) <= dim < max(x.dim(), 1))
    if name == "local_response_norm":
        return x.dim() >= 3
    return True


def joined(name: str, args: tuple, kwargs: dict) -> torch.Tensor | None:
    """torch.cat or torch.stack of floating tensors of one dtype, made without running it: contiguous, as torch makes
    it where the result has at most three dims or any tensor is laid out as contiguous (no channels-last layout all
    share), channels last where every tensor of a cat is; None where the tensors or the dim are anything else (torch
    is then run, and checks them)."""
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    tensors = args[0]
    if (
        len(args) > 2
        or set(kwargs) - {"dim"}
        or type(dim) is not int
        or not isinstance(tensors, (tuple, list))
        or not tensors
        or not all(isinstance(t, torch.Tensor) for t in tensors)
    ):
        return None
    first = tensors[0]
    if not first.is_floating_point() or any(t.dtype != first.dtype or t.dim() != first.dim() for t in tensors):
        return None
    rank = first.dim() + (name == "stack")
    layout = torch.contiguous_format
    if rank > 3 and not all(t.is_contiguous() for t in tensors):
        formats = {suggest_memory_format(t) for t in tensors}
        if formats == {torch.channels_last} and name == "cat":
            layout = torch.channels_last  # torch keeps a layout every input has
        elif torch.contiguous_format not in formats:
            return None
    if first.dim() == 0 or not -rank <= dim < rank:
        return None
    dim %= rank
    if name == "stack":
        if any(t.shape != first.shape for t in tensors):
            return None
        shape = (*first.shape[:dim], len(tensors), *first.shape[dim:])
    else:
        if any(t.shape[:dim] != first.shape[:dim] or t.shape[dim + 1 :] != first.shape[dim + 1 :] for t in tensors):
            return None
        shape = (*first.shape[:dim], sum(t.shape[dim] for t in tensors), *first.shape[dim + 1 :])
    return torch.empty(shape, dtype=first.dtype, device="meta", memory_format=layout)


def broadcast_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """x + other (or -, *, /) with a tensor of x's dtype or a number: the broadcast shape."""
    if len(args) != 2 or kwargs:
        return None
    other = args[1]
    if isinstance(other, torch.Tensor):
        return _broadcast(tuple(x.shape), tuple(other.shape)) if other.dtype == x.dtype else None
    return tuple(x.shape) if isinstance(other, (int, float)) and not isinstance(other, bool) else None


def linear_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """F.linear(x, weight, bias): (..., out_features), where weight is out x in and bias has out elements."""
    weight = args[1] if len(args) > 1 else kwargs.get("weight")
    bias = args[2] if len(args) > 2 else kwargs.get("bias")
    if (
        not isinstance(weight, torch.Tensor)
        or weight.dim() != 2
        or x.dim() < 1
        or weight.dtype != x.dtype
        or x.shape[-1] != weight.shape[1]
        or set(kwargs) - {"weight", "bias"}
    ):
        return None
    if bias is not None and (not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (weight.shape[0],)):
        return None
    return (*x.shape[:-1], weight.shape[0])


def mean_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """x.mean(dim, keepdim): the dims given (ints, each once) dropped or kept as 1."""
    dim = args[1] if len(args) > 1 else kwargs.get("dim")
    keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
    dims = (dim,) if type(dim) is int else tuple(dim) if isinstance(dim, (tuple, list)) else None
    if (
        not dims
        or len(args) > 3
        or set(kwargs) - {"dim", "keepdim"}
        or type(keepdim) is not bool
        or not all(type(d) is int and -x.dim() <= d < x.dim() for d in dims)
    ):
        return None
    reduced = {d % x.dim() for d in dims}
    if len(reduced) != len(dims):
        return None
    return tuple(1 if i in reduced else size for i, size in enumerate(x.shape) if keepdim or i not in reduced)


def norm_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """torch.norm(x, p, dim, keepdim) or torch.linalg.vector_norm(x, ord, dim, keepdim) over the dims given: a
    number p, or 'fro' over one or two dims; the dims dropped or kept as 1."""
    order = "ord" if "ord" in kwargs else "p"
    given = _bind(("input", order, "dim", "keepdim"), args, kwargs)
    if given is None or given.get("dim") is None:
        return None
    p = given.get(order, 2)
    dims = given["dim"]
    if not (_number(p) or (p == "fro" and len(dims if isinstance(dims, (tuple, list)) else (dims,)) <= 2)):
        return None
    return mean_output(x, (x, dims, given.get("keepdim", False)), {})


def matmul_output(a: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """a @ b of two matrices or batches of them (b a matrix, or a and b batches that broadcast): (..., n, m). A vector,
    or a matrix times a batch (which torch makes transposed), is left to torch."""
    b = args[1] if len(args) == 2 and not kwargs else None
    if (
        not isinstance(b, torch.Tensor)
        or b.dtype != a.dtype
        or a.dim() < 2
        or b.dim() < 2
        or (a.dim() == 2 and b.dim() > 2)
        or a.shape[-1] != b.shape[-2]
    ):
        return None
    lead = _broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    return None if lead is None else (*lead, a.shape[-2], b.shape[-1])


def roll_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """torch.roll(x, shifts, dims): x's shape (made contiguous, as torch makes it); shifts an int or ints, one per dim
    given, or one int over the flattened tensor."""
    given = _bind(("input", "shifts", "dims"), args, kwargs)
    if given is None or x.dim() == 0:
        return None
    shifts, dims = given.get("shifts"), given.get("dims")
    shifts = (shifts,) if type(shifts) is int else tuple(shifts) if isinstance(shifts, (tuple, list)) else ()
    dims = (
        ()
        if dims is None
        else (dims,)
        if type(dims) is int
        else tuple(dims)
        if isinstance(dims, (tuple, list))
        else None
    )
    dims = dims or ()
    if (
        not shifts
        or not all(type(v) is int for v in (*shifts, *dims))
        or len(shifts) != max(len(dims), 1)
        or not all(-x.dim() <= d < x.dim() for d in dims)
    ):
        return None
    return tuple(x.shape)


# Pointwise functions of floating tensors of one dtype and numbers, out of place or in place (add_, x += y): the
# broadcast of the tensors, in that dtype; for each, how many arguments it takes by position and its keywords.
# NB: copysign, floor_divide, xlogy and logaddexp are left out: on the meta device torch makes their results contiguous
# whatever their inputs' layout, where the rule here keeps it.
POINTWISE: dict[str, tuple[int, frozenset[str]]] = {
    **dict.fromkeys(("add", "sub"), (2, frozenset({"other", "alpha"}))),
    "mul": (2, frozenset({"other"})),
    "div": (2, frozenset({"other", "rounding_mode"})),
    "pow": (2, frozenset({"exponent"})),
    **dict.fromkeys("maximum minimum remainder fmod atan2 hypot".split(), (2, frozenset({"other"}))),
    "clamp": (3, frozenset({"min", "max"})),
    "clamp_min": (2, frozenset({"min"})),
    "clamp_max": (2, frozenset({"max"})),
    **dict.fromkeys(("addcmul", "addcdiv"), (3, frozenset({"tensor1", "tensor2", "value"}))),
    "lerp": (3, frozenset({"end", "weight"})),
    "round": (1, frozenset({"decimals"})),
    "nan_to_num": (4, frozenset({"nan", "posinf", "neginf"})),
    **dict.fromkeys(
        "exp2 expm1 log2 log10 log1p sign sgn floor ceil trunc frac tan asin acos atan sinh cosh erfc erfinv "
        "negative".split(),
        (1, frozenset()),
    ),
}


def pointwise(name: str, x: torch.Tensor, args: tuple, kwargs: dict, in_place: bool) -> torch.Tensor | None:
    """The result of a pointwise function (POINTWISE) whose tensors are all of x's floating dtype and whose other
    arguments are numbers: x itself in place, where the broadcast is x's shape and x has no overlapping elements;
    else a tensor of the broadcast shape, contiguous where every tensor is, else laid out by torch's own rule for
    pointwise results (torch._prims_common.compute_elementwise_output_strides)."""
    positional, keywords = POINTWISE[name]
    if len(args) > positional or set(kwargs) - keywords:
        return None
    if kwargs.get("rounding_mode") not in (None, "trunc", "floor") or type(kwargs.get("decimals", 0)) is not int:
        return None
    values = (*args[1:], *(value for key, value in kwargs.items() if key not in ("rounding_mode", "decimals")))
    optional = name in ("clamp", "nan_to_num")  # their bounds and replacements may be None
    if not all(isinstance(v, torch.Tensor) or _number(v) or (v is None and optional) for v in values):
        return None
    if name == "clamp" and all(v is None for v in values):
        return None  # torch: at least one of min and max
    tensors = [x, *(v for v in values if isinstance(v, torch.Tensor))]
    if any(t.dtype != x.dtype for t in tensors):
        return None
    shape: tuple[int, ...] | None = tuple(x.shape)
    for t in tensors[1:]:
        shape = _broadcast(shape, tuple(t.shape)) if shape is not None else None
    if shape is None:
        return None
    if in_place:
        dense = x.is_contiguous() or is_non_overlapping_and_dense_or_false(x)
        return x if shape == tuple(x.shape) and dense else None
    if all(t.is_contiguous() for t in tensors):
        return torch.empty(shape, dtype=x.dtype, device="meta")
    strides = compute_elementwise_output_strides(*(t.expand(shape) for t in tensors))
    return torch.empty_strided(shape, strides, dtype=x.dtype, device="meta")


ATTENTION_ARGUMENTS = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal")


def attention_output(q: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa): (..., L, E_v)
    where q is (..., L, E), k (..., S, E) and v (..., S, E_v), their leading dims broadcast (with enable_gqa, the
    heads of k and v each dividing q's); a mask, bool or of q's dtype and never with is_causal, broadcasts to
    (..., L, S)."""
    given = _bind(ATTENTION_ARGUMENTS, args, kwargs, keywords=("scale", "enable_gqa"))
    if given is None:
        return None
    k, v, mask = given.get("key"), given.get("value"), given.get("attn_mask")
    if not isinstance(k, torch.Tensor) or not isinstance(v, torch.Tensor):
        return None
    dropout, scale = given.get("dropout_p", 0.0), given.get("scale")
    causal, gqa = given.get("is_causal", False), given.get("enable_gqa", False)
    if (
        q.dim() < 2
        or not all(t.dtype == q.dtype and t.dim() >= 2 for t in (k, v))
        or type(causal) is not bool
        or type(gqa) is not bool
        or not _number(dropout)
        or not 0 <= dropout < 1
        or not (scale is None or _number(scale))
        or q.shape[-1] != k.shape[-1]
        or k.shape[-2] != v.shape[-2]
    ):
        return None
    keys, values = tuple(k.shape[:-2]), tuple(v.shape[:-2])
    if gqa:  # k and v are repeated to q's heads
        heads = q.shape[-3] if q.dim() >= 3 else 0
        if min(k.dim(), v.dim()) < 3 or not heads or any(not t.shape[-3] or heads % t.shape[-3] for t in (k, v)):
            return None
        keys, values = (*keys[:-1], heads), (*values[:-1], heads)
    lead = _broadcast(tuple(q.shape[:-2]), keys)
    lead = None if lead is None else _broadcast(lead, values)
    if lead is None:
        return None
    scores = (*lead, q.shape[-2], k.shape[-2])
    if mask is not None and (
        causal
        or not isinstance(mask, torch.Tensor)
        or mask.dtype not in (torch.bool, q.dtype)
        or _broadcast(tuple(mask.shape), scores) != scores
    ):
        return None
    return (*lead, q.shape[-2], v.shape[-1])


def attention_result(shape: tuple[int, ...], q: torch.Tensor, args: tuple, kwargs: dict) -> torch.Tensor:
    """The empty result of attention, laid out as torch's CPU kernels lay it out: the fused kernel's like q (timm's
    heads split by a permute: (batch, L, heads, E) seen as (batch, heads, L, E), so a reshape after it is a view),
    the composite's contiguous."""
    if shape == tuple(q.shape) and _fused_on_cpu(*_attention_key(q, args, kwargs)):
        return torch.empty_like(q)
    return torch.empty(shape, dtype=q.dtype, device="meta")


def _attention_key(q: torch.Tensor, args: tuple, kwargs: dict) -> tuple:
    """What torch's choice of an attention kernel reads: each tensor's sizes, dtype and last stride, and the flags."""
    given = {**dict(zip(ATTENTION_ARGUMENTS[1:], args[1:], strict=False)), **kwargs}
    tensors = tuple(
        None if t is None else (tuple(t.shape), t.dtype, t.stride(-1))
        for t in (q, given.get("key"), given.get("value"), given.get("attn_mask"))
    )
    flags = (given.get("dropout_p", 0.0), given.get("is_causal", False), given.get("scale"), given.get("enable_gqa"))
    return (*tensors, *flags)


@lru_cache(maxsize=256)
def _fused_on_cpu(q, k, v, mask, dropout: float, causal: bool, scale: float | None, gqa: bool | None) -> bool:
    """Whether torch runs this attention on the CPU in its fused kernel, as torch itself chooses (_fused_sdp_choice,
    on tensors of these sizes, dtypes and last strides whose storage is one row: the choice reads no values)."""
    mask_probe = None if mask is None else _probe(*mask)
    choice = torch._fused_sdp_choice(
        _probe(*q), _probe(*k), _probe(*v), mask_probe, dropout, causal, scale=scale, enable_gqa=bool(gqa)
    )
    return choice == torch.nn.attention.SDPBackend.FLASH_ATTENTION.value


def _probe(shape: tuple[int, ...], dtype: torch.dtype, step: int) -> torch.Tensor:
    """A CPU tensor of this shape, dtype and last stride, every row one row of storage."""
    size = shape[-1] if shape else 1
    row = torch.empty(max((size - 1) * step + 1, 1), dtype=dtype).as_strided((size,), (step,))
    return row.expand(shape)


RECURRENT_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _weights_fit(weights, expected: list[tuple[int, ...]], dtype: torch.dtype) -> bool:
    return len(weights) == len(expected) and all(
        isinstance(w, torch.Tensor) and w.dtype == dtype and tuple(w.shape) == shape
        for w, shape in zip(weights, expected, strict=True)
    )


def recurrent_outputs(x: torch.Tensor, args: tuple, kwargs: dict, gates: int) -> tuple[torch.Tensor, ...] | None:
    """_VF.lstm, gru, rnn_tanh or rnn_relu over a padded sequence (as nn.LSTM, GRU and RNN call them): (output, h_n)
    and an LSTM's c_n. x is T×N×I (N×T×I batch_first); h_0 is (layers·D)×N×P, an LSTM's c_0 (layers·D)×N×H, where D
    is 2 when bidirectional and P is an LSTM's projection (else H); each layer and direction holds w_ih (G·H×I, then
    G·H×D·P), w_hh (G·H×P), with a bias b_ih and b_hh (G·H), and w_hr (P×H) with a projection. The output is
    T×N×D·P, made transposed when batch_first, as torch makes it. A packed sequence (its batch sizes second) is left
    to torch."""
    if kwargs or len(args) != 9 or x.dim() != 3:
        return None
    hx, params, bias, layers, dropout, train, bidirectional, batch_first = args[1:]
    states = tuple(hx) if isinstance(hx, (list, tuple)) else (hx,)
    if (
        not isinstance(params, (list, tuple))
        or len(states) != (2 if gates == 4 else 1)
        or not all(isinstance(t, torch.Tensor) and t.dtype == x.dtype and t.dim() == 3 for t in states)
        or not all(type(flag) is bool for flag in (bias, train, bidirectional, batch_first))
        or type(layers) is not int
        or layers < 1
        or not _number(dropout)
    ):
        return None
    directions = 2 if bidirectional else 1
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    hidden = states[-1].shape[2]
    state = states[0].shape[2]  # P: an LSTM's projection, else H
    projected = state != hidden
    if (
        min(steps, batch, hidden, state, x.shape[2]) < 1
        or any(tuple(t.shape[:2]) != (layers * directions, batch) for t in states)
        or (projected and not state < hidden)
    ):
        return None
    expected: list[tuple[int, ...]] = []
    for layer in range(layers):
        width = x.shape[2] if layer == 0 else directions * state
        one: list[tuple[int, ...]] = [(gates * hidden, width), (gates * hidden, state)]
        one += [(gates * hidden,), (gates * hidden,)] if bias else []
        one += [(state, hidden)] if projected else []
        expected += one * directions
    if not _weights_fit(params, expected, x.dtype):
        return None
    output = torch.empty((steps, batch, directions * state), dtype=x.dtype, device="meta")
    if batch_first:
        output = output.transpose(0, 1)
    return (output, *(torch.empty(t.shape, dtype=x.dtype, device="meta") for t in states))


def cell_outputs(x: torch.Tensor, args: tuple, kwargs: dict, gates: int) -> tuple[torch.Tensor, ...] | None:
    """_VF.lstm_cell, gru_cell, rnn_tanh_cell or rnn_relu_cell (as nn.LSTMCell, GRUCell and RNNCell call them): one
    step of N×I with state N×H (an LSTM's h and c), w_ih G·H×I, w_hh G·H×H and biases of G·H or None: the new state,
    each N×H."""
    names = ("input", "hx", "w_ih", "w_hh", "b_ih", "b_hh")
    given = _bind(names, args, kwargs)
    if given is None or x.dim() != 2:
        return None
    hx = given.get("hx")
    states = tuple(hx) if isinstance(hx, (list, tuple)) else (hx,)
    if len(states) != (2 if gates == 4 else 1) or not all(
        isinstance(t, torch.Tensor) and t.dtype == x.dtype and tuple(t.shape) == tuple(states[0].shape) for t in states
    ):
        return None
    batch, hidden = states[0].shape if states[0].dim() == 2 else (0, 0)
    biases = [given.get("b_ih"), given.get("b_hh")]
    if min(batch, hidden, x.shape[1]) < 1 or x.shape[0] != batch or (biases[0] is None) != (biases[1] is None):
        return None
    expected: list[tuple[int, ...]] = [(gates * hidden, x.shape[1]), (gates * hidden, hidden)]
    weights = [given.get("w_ih"), given.get("w_hh")]
    if biases[0] is not None:
        expected += [(gates * hidden,), (gates * hidden,)]
        weights += biases
    if not _weights_fit(weights, expected, x.dtype):
        return None
    return tuple(torch.empty((batch, hidden), dtype=x.dtype, device="meta") for _ in states)


INTERPOLATION_RANKS = {
    "nearest": (3, 4, 5),
    "nearest-exact": (3, 4, 5),
    "linear": (3,),
    "bilinear": (4,),
    "bicubic": (4,),
    "trilinear": (5,),
}


def interpolate_output(x: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """F.interpolate of a contiguous input, or a 4-d one in any layout, by size or scale_factor (the sizes
    floor(size × scale)), in the modes that interpolate; 'area' (an adaptive pool) and antialias are left to torch."""
    names = ("input", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")
    given = _bind(names, args, kwargs)
    if given is None:
        return None
    mode, corners = given.get("mode", "nearest"), given.get("align_corners")
    size, scale, recompute = given.get("size"), given.get("scale_factor"), given.get("recompute_scale_factor")
    if (
        mode not in INTERPOLATION_RANKS
        or x.dim() not in INTERPOLATION_RANKS[mode]
        or not _plain(x)
        or min(x.shape) < 1
        or given.get("antialias", False) is not False
        or not (corners is None or (type(corners) is bool and not mode.startswith("nearest")))
        or not (recompute is None or type(recompute) is bool)
        or (size is None) == (scale is None)
        or (size is not None and recompute)
    ):
        return None
    n = x.dim() - 2
    if size is not None:
        sizes = _ints(size, n)
    else:
        factors: tuple = (scale,) * n if _number(scale) else tuple(scale) if isinstance(scale, (tuple, list)) else ()
        if len(factors) != n or not all(_number(f) and f > 0 for f in factors):
            return None
        sizes = tuple(floor(float(s) * f) for s, f in zip(x.shape[2:], factors, strict=True))
    if sizes is None or min(sizes) < 1:
        return None
    return (*x.shape[:2], *sizes)


def adaptive_output(x: torch.Tensor, args: tuple, kwargs: dict, n: int) -> tuple[int, ...] | None:
    """The output shape of an adaptive average pool over n dims (output_size an int, or n ints or Nones), or None
    where the arguments are anything else (torch is then run, and checks them)."""
    size = args[1] if len(args) > 1 else kwargs.get("output_size")
    if len(args) > 2 or set(kwargs) - {"output_size"} or x.dim() not in (n + 1, n + 2) or not _plain(x):
        return None
    size = (size,) * n if isinstance(size, int) else tuple(size) if isinstance(size, (tuple, list)) else ()
    if len(size) != n or not all(s is None or (type(s) is int and s > 0) for s in size):
        return None
    spatial = x.shape[x.dim() - n :]
    return (*x.shape[: x.dim() - n], *(old if new is None else new for old, new in zip(spatial, size, strict=True)))


def _plain(x: torch.Tensor) -> bool:
    """Contiguous, or a batch of images in any layout: torch lays out the result by the input's suggested memory
    format (channels last or contiguous) whatever its strides."""
    return x.is_contiguous() or x.dim() == 4


# The ops whose result on the CPU is laid out channels last where their input's layout suggests it (a pool, a
# resize, and a convolution, which the meta device lays out contiguously: the CPU's layout is the one a later view
# depends on); a convolution also where its weight's does
KEEP_CHANNELS_LAST = {"conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "interpolate"}


def _channels_last(name: str, x: torch.Tensor, args: tuple, kwargs: dict) -> bool:
    """Whether torch on the CPU lays out this op's 4-d result channels last."""
    weight = (args[1] if len(args) > 1 else kwargs.get("weight")) if name == "conv2d" else None
    return any(
        isinstance(t, torch.Tensor) and t.dim() == 4 and suggest_memory_format(t) == torch.channels_last
        for t in (x, weight)
    )


def _ints(value, n: int) -> tuple[int, ...] | None:
    """An int or n ints (a size, stride, padding or dilation) as n ints; None for anything else."""
    values = (value,) * n if type(value) is int else tuple(value) if isinstance(value, (tuple, list)) else ()
    return values if len(values) == n and all(type(v) is int for v in values) else None


def _windows(spatial, kernel, stride, padding, dilation, ceil_mode: bool, pool: bool) -> tuple[int, ...] | None:
    """The sizes a sliding window leaves (window_output, torch's rule), where every argument is one torch accepts."""
    if None in (kernel, stride, padding, dilation) or min(*kernel, *stride, *dilation) < 1 or min(padding) < 0:
        return None
    if pool and any(2 * p > k for k, p in zip(kernel, padding, strict=True)):
        return None  # torch: pad should be at most half of the kernel size
    out = tuple(
        window_output(size, k, s, p, d, ceil_mode)
        for size, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True)
    )
    return out if min(out) >= 1 else None


def conv_output(x: torch.Tensor, args: tuple, kwargs: dict, n: int) -> tuple[int, ...] | None:
    """F.conv{n}d(x, weight, bias, stride, padding, dilation, groups), the tensors contiguous or 4-d in any layout:
    N x C_out x windows."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    given = {**dict(zip(names, args, strict=False)), **kwargs}
    weight, bias, groups = given.get("weight"), given.get("bias"), given.get("groups", 1)
    padding = given.get("padding", 0)
    if (
        len(args) > 7
        or set(kwargs) - set(names[1:])
        or x.dim() not in (n + 1, n + 2)
        or not _plain(x)
        or not isinstance(weight, torch.Tensor)
        or weight.dim() != n + 2
        or not (weight.is_contiguous() or weight.dim() == 4)
        or weight.dtype != x.dtype
        or type(groups) is not int
        or groups < 1
        or isinstance(padding, str)
    ):
        return None
    out_channels = weight.shape[0]
    if (
        x.shape[-n - 1] != weight.shape[1] * groups
        or out_channels % groups
        or (bias is not None and (not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (out_channels,)))
    ):
        return None
    kernel = tuple(weight.shape[2:])
    sizes = _windows(
        x.shape[-n:],
        kernel,
        _ints(given.get("stride", 1), n),
        _ints(padding, n),
        _ints(given.get("dilation", 1), n),
        False,
        pool=False,
    )
    return None if sizes is None else (*x.shape[: -n - 1], out_channels, *sizes)


def pool_output(x: torch.Tensor, args: tuple, kwargs: dict, n: int, kind: str) -> tuple[int, ...] | None:
    """F.max_pool{n}d or F.avg_pool{n}d without indices: the input's leading dims, then the windows."""
    names = (
        ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
        if kind == "max"
        else ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")
    )
    given = {**dict(zip(names, args, strict=False)), **kwargs}
    if (
        len(args) > len(names)
        or set(kwargs) - set(names[1:])
        or given.get("return_indices")
        or x.dim() not in (n + 1, n + 2)
        or not _plain(x)
        or type(given.get("ceil_mode", False)) is not bool
    ):
        return None
    kernel = _ints(given.get("kernel_size"), n)
    stride = given.get("stride")
    stride = kernel if stride is None or stride == [] or stride == () else _ints(stride, n)
    sizes = _windows(
        x.shape[-n:],
        kernel,
        stride,
        _ints(given.get("padding", 0), n),
        _ints(given.get("dilation", 1), n),
        given.get("ceil_mode", False),
        pool=True,
    )
    return None if sizes is None else (*x.shape[:-n], *sizes)


ShapeRule = Callable[[torch.Tensor, tuple, dict], tuple[int, ...] | None]  # (first input, args, kwargs) -> shape

SHAPES: dict[str, ShapeRule] = {
    "linear": linear_output,
    **dict.fromkeys(("mean", "sum", "amax", "amin"), mean_output),
    "norm": norm_output,
    "matmul": matmul_output,
    "roll": roll_output,
    "interpolate": interpolate_output,
    "scaled_dot_product_attention": attention_output,
    **{name: partial(adaptive_output, n=n) for name, n in ADAPTIVE_AVERAGE_RANK.items()},
    **{f"conv{n}d": partial(conv_output, n=n) for n in (1, 2, 3)},
    **{f"max_pool{n}d": partial(pool_output, n=n, kind="max") for n in (1, 2, 3)},
    # avg_pool3d is left to torch: it refuses an input smaller than the kernel even where padding covers it
    **{f"avg_pool{n}d": partial(pool_output, n=n, kind="avg") for n in (1, 2)},
}


def shortcut(name: str, in_place: bool, args: tuple, kwargs: dict, reflected: bool = False):
    """The result of an op with an obvious shape on the meta device (a tensor, or a tuple of them), made without
    running it; None to run it."""
    if not args or kwargs.get("out") is not None:
        return None
    if name in JOIN:
        return joined(name, args, kwargs)
    x = args[0]
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or kwargs.get("dtype") is not None:
        return None
    if name in same_shape_functions():
        if any(a is True for a in args[1:]) or not shortcut_is_safe(name, x, args, kwargs):
            return None  # a flag given by position may be inplace=True: torch is run
        if in_place or kwargs.get("inplace"):
            return x
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    if name in BROADCAST and not in_place:
        shape = broadcast_output(x, args, kwargs)
        if shape == tuple(x.shape):
            return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
        if shape is not None:
            return torch.empty(shape, dtype=x.dtype, device="meta")
    if name in POINTWISE:
        return pointwise(name, x, args, kwargs, in_place)
    if in_place or kwargs.get("inplace") or reflected:
        return None
    if name in RECURRENT_GATES:
        return recurrent_outputs(x, args, kwargs, RECURRENT_GATES[name])
    if name.endswith("_cell") and name[:-5] in RECURRENT_GATES:
        return cell_outputs(x, args, kwargs, RECURRENT_GATES[name[:-5]])
    if name == "contiguous" and len(args) == 1 and not kwargs:
        return x if x.is_contiguous() else torch.empty(x.shape, dtype=x.dtype, device="meta")
    if name in SHAPES:  # dtype=None and out=None, as a method's binding passes them, are no arguments
        kwargs = {key: value for key, value in kwargs.items() if value is not None or key not in ("dtype", "out")}
    shape = SHAPES[name](x, args, kwargs) if name in SHAPES else None
    if shape is not None and name == "scaled_dot_product_attention":
        return attention_result(shape, x, args, kwargs)
    if shape is not None and name in KEEP_CHANNELS_LAST and len(shape) == 4 and _channels_last(name, x, args, kwargs):
        return torch.empty(shape, dtype=x.dtype, device="meta", memory_format=torch.channels_last)
    return None if shape is None else torch.empty(shape, dtype=x.dtype, device="meta")
