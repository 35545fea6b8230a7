"""Activations, softmax and dropout: layers that act on each element (or each row, for softmax).

NB: FLOPs of an activation are a nominal 1 per output element, whatever the function (the exponential in
sigmoid, tanh, GELU or SiLU counts as one); softmax and log-softmax 3 (exponential, sum, divide or subtract).
Papers and model zoos leave them out of their totals; cnncost keeps them out of MACs and in FLOPs.
"""

from __future__ import annotations

from functools import partial

from ..errors import ShapeError
from ..shapes import Shape
from .common import dim_index
from .registry import Example, OpCost, register

_EXAMPLE = Example(((2, 3, 4),))


def _register_activation(name: str, module: str, keeps: str, functions: tuple[str, ...] = ()):
    """Register an activation of 1 FLOP per element whose only attribute is inplace."""

    def activation(x: Shape, *, inplace: bool = False) -> OpCost:
        """FLOPs = 1 per output element; with inplace the output reuses the input's memory."""
        return OpCost(x, flops=x.numel, in_place=inplace)

    register(
        name,
        category="activation",
        example=_EXAMPLE,
        keeps=keeps,
        field="pointwise",
        torch_module=module,
        torch_functions=functions or (name,),
        family="activation",
        same_shape=True,
    )(activation)


for _name, _module, _keeps in (
    ("relu", "ReLU", "output"),
    ("relu6", "ReLU6", "input_or_copy"),
    ("tanh", "Tanh", "output"),
    ("sigmoid", "Sigmoid", "output"),
    ("silu", "SiLU", "input_or_copy"),
    ("hardswish", "Hardswish", "input_or_copy"),
    ("hardsigmoid", "Hardsigmoid", "input_or_copy"),
    ("mish", "Mish", "input_or_copy"),
    ("selu", "SELU", "input_or_copy"),
):
    _register_activation(_name, _module, _keeps)

_activation_type = partial(
    register, category="activation", example=_EXAMPLE, field="pointwise", family="activation", same_shape=True
)


@_activation_type("gelu", keeps="input", torch_module="GELU", torch_functions=("gelu",))
def gelu(x: Shape, *, approximate: str = "none") -> OpCost:
    """FLOPs = 1 per output element (the erf, or its tanh approximation, counts as one)."""
    if approximate not in ("none", "tanh"):
        raise ShapeError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")
    return OpCost(x, flops=x.numel)


@_activation_type("elu", keeps="input_or_copy", torch_module="ELU", torch_functions=("elu",))
def elu(x: Shape, *, alpha: float = 1.0, inplace: bool = False) -> OpCost:
    """FLOPs = 1 per output element; with inplace the output reuses the input's memory."""
    return OpCost(x, flops=x.numel, in_place=inplace)


@_activation_type("celu", keeps="input_or_copy", torch_module="CELU", torch_functions=("celu",))
def celu(x: Shape, *, alpha: float = 1.0, inplace: bool = False) -> OpCost:
    """FLOPs = 1 per output element; with inplace the output reuses the input's memory."""
    return OpCost(x, flops=x.numel, in_place=inplace)


@_activation_type("leaky_relu", keeps="input_or_copy", torch_module="LeakyReLU", torch_functions=("leaky_relu",))
def leaky_relu(x: Shape, *, negative_slope: float = 0.01, inplace: bool = False) -> OpCost:
    """FLOPs = 1 per output element; with inplace the output reuses the input's memory."""
    return OpCost(x, flops=x.numel, in_place=inplace)


@_activation_type("hardtanh", keeps="input_or_copy", torch_module="Hardtanh", torch_functions=("hardtanh",))
def hardtanh(x: Shape, *, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> OpCost:
    """Clamp to [min_val, max_val]: FLOPs = 1 per output element."""
    return OpCost(x, flops=x.numel, in_place=inplace)


@_activation_type("softplus", keeps="input", torch_module="Softplus", torch_functions=("softplus",))
def softplus(x: Shape, *, beta: float = 1.0, threshold: float = 20.0) -> OpCost:
    """log(1 + exp(βx))/β: FLOPs = 1 per output element."""
    return OpCost(x, flops=x.numel)


@_activation_type("logsigmoid", keeps="input", torch_module="LogSigmoid", torch_functions=("logsigmoid",))
def logsigmoid(x: Shape) -> OpCost:
    """log(sigmoid(x)): FLOPs = 1 per output element."""
    return OpCost(x, flops=x.numel)


@_activation_type("softsign", keeps="input", torch_module="Softsign", torch_functions=("softsign",))
def softsign(x: Shape) -> OpCost:
    """x / (1 + |x|): FLOPs = 1 per output element."""
    return OpCost(x, flops=x.numel)


@register(
    "prelu",
    category="activation",
    example=Example(((3, 4, 4),), {"num_parameters": 3}),
    keeps="input",
    field="pointwise",
    torch_module="PReLU",
    torch_functions=("prelu",),
)
def prelu(x: Shape, *, num_parameters: int = 1) -> OpCost:
    """A learned slope per channel (or one for all): params = num_parameters; FLOPs = 1 per output element."""
    if type(num_parameters) is not int or num_parameters < 1:
        raise ShapeError(f"prelu num_parameters must be a whole number of at least 1, got {num_parameters!r}")
    if num_parameters != 1 and num_parameters not in x.dims[:2]:
        raise ShapeError(f"prelu num_parameters={num_parameters} is neither 1 nor the channel count of {x}")
    return OpCost(x, params=num_parameters, flops=x.numel)


@register(
    "glu",
    category="activation",
    example=Example(((4, 6),), {"dim": 1}),
    keeps="input",
    field="pointwise",
    torch_module="GLU",
    torch_functions=("glu",),
)
def glu(x: Shape, *, dim: int = -1) -> OpCost:
    """a ⊗ sigmoid(b) of the two halves along dim: the output is half as long; FLOPs = 2 per output element."""
    axis = dim_index(dim, len(x.dims), "glu")
    if x.dims[axis] % 2:
        raise ShapeError(f"glu halves dim {dim}, which has an odd size in {x}")
    dims = list(x.dims)
    dims[axis] //= 2
    out = Shape(tuple(dims))
    return OpCost(out, flops=2 * out.numel)


def _softmax(x: Shape, op: str, dim) -> OpCost:
    if dim is None:
        raise ShapeError(f"{op} needs a dim")
    dim_index(dim, len(x.dims), op)
    return OpCost(x, flops=3 * x.numel)


@register(
    "softmax",
    category="activation",
    example=Example(((10,),)),
    keeps="output",
    field="pointwise",
    torch_module="Softmax",
    torch_functions=("softmax",),
    family="softmax",
    same_shape=True,
)
def softmax(x: Shape, *, dim: int = 0) -> OpCost:
    """FLOPs = 3 per element: exponential, sum, divide."""
    return _softmax(x, "softmax", dim)


@register(
    "log_softmax",
    category="activation",
    example=Example(((4, 10),), {"dim": 1}),
    keeps="output",
    field="pointwise",
    torch_module="LogSoftmax",
    torch_functions=("log_softmax",),
    family="softmax",
    same_shape=True,
)
def log_softmax(x: Shape, *, dim: int = 0) -> OpCost:
    """FLOPs = 3 per element: exponential, sum, subtract (the logarithm of each row's sum is not counted)."""
    return _softmax(x, "log_softmax", dim)


@register(
    "dropout",
    category="activation",
    example=_EXAMPLE,
    keeps="mask",
    field="pointwise",
    torch_module="Dropout",
    torch_functions=("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"),
    same_shape=True,
    identity_when=lambda attributes: attributes.get("p", 0.5) == 0,  # torch returns x itself at p = 0
)
def dropout(x: Shape, *, p: float = 0.5) -> OpCost:
    """No FLOPs and no new memory: dropout is the identity at inference."""
    if not 0 <= p <= 1:
        raise ShapeError(f"dropout p must lie in [0, 1], got {p}")
    return OpCost(x, in_place=True)
