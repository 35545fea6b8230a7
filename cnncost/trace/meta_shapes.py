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
from math import prod

import torch

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
    """torch.cat or torch.stack of contiguous floating tensors of one dtype, made without running it; None where the
    tensors or the dim are anything else (torch is then run, and checks them)."""
    dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
    tensors = args[0]
    if (
        len(args) > 2
        or set(kwargs) - {"dim"}
        or type(dim) is not int
        or not isinstance(tensors, (tuple, list))
        or not tensors
        or not all(isinstance(t, torch.Tensor) and t.is_contiguous() for t in tensors)
    ):
        return None
    first = tensors[0]
    if not first.is_floating_point() or any(t.dtype != first.dtype or t.dim() != first.dim() for t in tensors):
        return None
    rank = first.dim() + (name == "stack")
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
    return torch.empty(shape, dtype=first.dtype, device="meta")


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


def attention_output(q: torch.Tensor, args: tuple, kwargs: dict) -> tuple[int, ...] | None:
    """F.scaled_dot_product_attention(q, k, v): (..., L, E_v) where q is (..., L, E), k (..., S, E), v (..., S, E_v)
    with the same leading dims (no broadcasting taken here)."""
    if len(args) != 3 or set(kwargs) - {"is_causal", "scale", "dropout_p"} or kwargs.get("dropout_p", 0.0) != 0.0:
        return None
    k, v = args[1], args[2]
    if not all(isinstance(t, torch.Tensor) and t.dtype == q.dtype and t.dim() == q.dim() >= 2 for t in (k, v)):
        return None
    if (
        q.shape[:-2] != k.shape[:-2]
        or k.shape[:-2] != v.shape[:-2]
        or q.shape[-1] != k.shape[-1]
        or k.shape[-2] != v.shape[-2]
    ):
        return None
    return (*q.shape[:-1], v.shape[-1])


def adaptive_output(x: torch.Tensor, args: tuple, kwargs: dict, n: int) -> tuple[int, ...] | None:
    """The output shape of an adaptive average pool over n dims (output_size an int, or n ints or Nones), or None
    where the arguments are anything else (torch is then run, and checks them)."""
    size = args[1] if len(args) > 1 else kwargs.get("output_size")
    if len(args) > 2 or set(kwargs) - {"output_size"} or x.dim() not in (n + 1, n + 2) or not x.is_contiguous():
        return None
    size = (size,) * n if isinstance(size, int) else tuple(size) if isinstance(size, (tuple, list)) else ()
    if len(size) != n or not all(s is None or (type(s) is int and s > 0) for s in size):
        return None
    spatial = x.shape[x.dim() - n :]
    return (*x.shape[: x.dim() - n], *(old if new is None else new for old, new in zip(spatial, size, strict=True)))


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
    """F.conv{n}d(x, weight, bias, stride, padding, dilation, groups) on contiguous tensors: N x C_out x windows."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    given = {**dict(zip(names, args, strict=False)), **kwargs}
    weight, bias, groups = given.get("weight"), given.get("bias"), given.get("groups", 1)
    padding = given.get("padding", 0)
    if (
        len(args) > 7
        or set(kwargs) - set(names[1:])
        or x.dim() not in (n + 1, n + 2)
        or not x.is_contiguous()
        or not isinstance(weight, torch.Tensor)
        or weight.dim() != n + 2
        or not weight.is_contiguous()
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
        or not x.is_contiguous()
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
    "mean": mean_output,
    "scaled_dot_product_attention": attention_output,
    **{name: partial(adaptive_output, n=n) for name, n in ADAPTIVE_AVERAGE_RANK.items()},
    **{f"conv{n}d": partial(conv_output, n=n) for n in (1, 2, 3)},
    **{f"max_pool{n}d": partial(pool_output, n=n, kind="max") for n in (1, 2, 3)},
    # avg_pool3d is left to torch: it refuses an input smaller than the kernel even where padding covers it
    **{f"avg_pool{n}d": partial(pool_output, n=n, kind="avg") for n in (1, 2)},
}


def shortcut(name: str, in_place: bool, args: tuple, kwargs: dict) -> torch.Tensor | None:
    """The result of an op with an obvious shape on the meta device, made without running it; None to run it."""
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
    if in_place or kwargs.get("inplace"):
        return None
    if name in BROADCAST:
        shape = broadcast_output(x, args, kwargs)
        if shape == tuple(x.shape):
            return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device="meta")
    else:
        shape = SHAPES[name](x, args, kwargs) if name in SHAPES else None
    return None if shape is None else torch.empty(shape, dtype=x.dtype, device="meta")
