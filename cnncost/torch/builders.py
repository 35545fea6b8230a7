"""One torch builder per layer type, keyed like the formulas and with the same signature.

A builder takes the input shapes (one sample) and the node's attributes and returns an nn.Module
whose forward takes the batched input tensors.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..errors import CnnCostError, UnknownNameError
from ..layers.elementwise import ACTIVATIONS
from ..shapes import Shape

_BUILDERS: dict[str, Callable[..., nn.Module]] = {}


def builder(name: str):
    """Register the torch builder of a layer type; a second registration is refused."""

    def decorate(function: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _BUILDERS:
            raise ValueError(f"torch builder {name!r} is already registered")
        _BUILDERS[name] = function
        return function

    return decorate


def torch_builder(name: str) -> Callable[..., nn.Module]:
    """The builder of that layer type."""
    if name not in _BUILDERS:
        raise UnknownNameError(f"no torch builder for layer type {name!r}")
    return _BUILDERS[name]


def torch_builders() -> dict[str, Callable[..., nn.Module]]:
    """Every registered builder, by layer type."""
    return dict(_BUILDERS)


@builder("conv2d")
def conv2d(x: Shape, *, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
    return nn.Conv2d(x.channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)


@builder("max_pool2d")
def max_pool2d(x: Shape, *, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return nn.MaxPool2d(kernel_size, stride, padding, dilation, ceil_mode=ceil_mode)


@builder("avg_pool2d")
def avg_pool2d(x: Shape, *, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad)


@builder("adaptive_avg_pool2d")
def adaptive_avg_pool2d(x: Shape, *, output_size):
    return nn.AdaptiveAvgPool2d(output_size)


@builder("adaptive_max_pool2d")
def adaptive_max_pool2d(x: Shape, *, output_size):
    return nn.AdaptiveMaxPool2d(output_size)


class GlobalAvgPool2d(nn.Module):
    """x.mean over H and W, keeping them as 1x1."""

    def forward(self, x):
        return x.mean((2, 3), keepdim=True)


@builder("global_avg_pool2d")
def global_avg_pool2d(x: Shape):
    return GlobalAvgPool2d()


@builder("linear")
def linear(x: Shape, *, out_features, bias=True):
    return nn.Linear(x.dims[-1], out_features, bias)  # on the last dimension, as the formula and torch have it


@builder("flatten")
def flatten(x: Shape):
    return nn.Flatten()


_ACTIVATION_MODULES = {"relu": nn.ReLU, "relu6": nn.ReLU6, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                       "silu": nn.SiLU, "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid}
_TAKES_INPLACE = {"relu", "relu6", "silu", "hardswish", "hardsigmoid"}


def _activation_builder(name: str) -> Callable[..., nn.Module]:
    module = _ACTIVATION_MODULES[name]

    def build(x: Shape, *, inplace: bool = False) -> nn.Module:
        return module(inplace=inplace) if name in _TAKES_INPLACE else module()

    return build


for _name in ACTIVATIONS:
    builder(_name)(_activation_builder(_name))


@builder("dropout")
def dropout(x: Shape, *, p=0.5):
    return nn.Dropout(p)


@builder("batch_norm2d")
def batch_norm2d(x: Shape, *, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
    return nn.BatchNorm2d(x.channels, eps, momentum, affine, track_running_stats)


@builder("local_response_norm")
def local_response_norm(x: Shape, *, size, alpha=1e-4, beta=0.75, k=1.0):
    return nn.LocalResponseNorm(size, alpha, beta, k)


@builder("softmax")
def softmax(x: Shape, *, dim=0):
    return nn.Softmax(dim=dim + 1 if dim >= 0 else dim)


class Concat(nn.Module):
    """torch.cat of the inputs along a sample dimension (batch excluded)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim + 1)


class Add(nn.Module):
    """The elementwise sum of the inputs."""

    def forward(self, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Multiply(nn.Module):
    """The elementwise product of the inputs."""

    def forward(self, *xs):
        product = xs[0]
        for x in xs[1:]:
            product = product * x
        return product


@builder("concat")
def concat(*xs: Shape, dim=0):
    return Concat(dim)


@builder("add")
def add(*xs: Shape):
    return Add()


@builder("multiply")
def multiply(*xs: Shape):
    return Multiply()


class Slice(nn.Module):
    """x[start:end] along a sample dimension (batch excluded): a view, as torch.chunk gives."""

    def __init__(self, start: int, end: int, dim: int) -> None:
        super().__init__()
        self.start, self.end, self.dim = start, end, dim

    def forward(self, x):
        return x.narrow(self.dim + 1, self.start, self.end - self.start)


@builder("slice")
def slice_(x: Shape, *, start, end, dim=0):
    return Slice(start, end, dim)


@builder("channel_shuffle")
def channel_shuffle(x: Shape, *, groups):
    return nn.ChannelShuffle(groups)


class Reshape(nn.Module):
    """x.reshape to a sample shape (batch kept)."""

    def __init__(self, shape) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Reduce(nn.Module):
    """x.mean, x.sum or x.amax over sample dimensions (batch excluded)."""

    def __init__(self, method: str, dim, keepdim: bool) -> None:
        super().__init__()
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        self.method, self.dims, self.keepdim = method, tuple(d + 1 for d in dims), keepdim

    def forward(self, x):
        return getattr(x, self.method)(self.dims, keepdim=self.keepdim)


class MatMul(nn.Module):
    """torch.matmul of two inputs."""

    def forward(self, a, b):
        return torch.matmul(a, b)


@builder("reshape")
def reshape(x: Shape, *, shape):
    return Reshape(shape)


@builder("mean")
def mean(x: Shape, *, dim, keepdim=False):
    return Reduce("mean", dim, keepdim)


@builder("sum")
def sum_(x: Shape, *, dim, keepdim=False):
    return Reduce("sum", dim, keepdim)


@builder("amax")
def amax(x: Shape, *, dim, keepdim=False):
    return Reduce("amax", dim, keepdim)


@builder("matmul")
def matmul(a: Shape, b: Shape):
    return MatMul()


class Elementwise(nn.Module):
    """An arithmetic op on the inputs, or on one input and a constant."""

    OPS = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow}

    def __init__(self, op: str, constant: float | None) -> None:
        super().__init__()
        if op not in self.OPS:
            raise CnnCostError(f"no torch op for elementwise {op!r}; known: {', '.join(self.OPS)}")
        self.function, self.constant = self.OPS[op], constant

    def forward(self, *xs):
        result = xs[0] if len(xs) > 1 else self.function(xs[0], 1.0 if self.constant is None else self.constant)
        for x in xs[1:]:
            result = self.function(result, x)
        return result


@builder("elementwise")
def elementwise(*xs: Shape, operation, constant=None):
    return Elementwise(operation, constant)


@builder("uncounted")
def uncounted(*xs: Shape, output_shape, source, params=0, buffers=0):
    raise CnnCostError(f"no torch module stands for the uncounted op {source!r}")
