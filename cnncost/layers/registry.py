"""The registry of layer types: one registration per type, carrying everything the package knows about it.

A formula takes the input shapes positionally and the layer's attributes as keyword-only arguments, and
returns the OpCost of the shapes it is given. Its signature *is* the layer's schema: the graph checks every
node's attributes and input count against it. The registration adds the facts the rest of cnncost reads
(in the way fvcore keeps one table of op handlers): the type's category, whether its output is a view of its
input, the rules that give its saved tensors and its receptive field, the torch module and functions it stands
for, and an example that the tests run through every check.

Shapes follow torch's reading of a tensor: a one-sample shape (C×H×W, as built-in networks and spec files
write them) is what torch calls an unbatched input; a traced network's shapes include the batch (N×C×H×W).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import GraphError, UnknownNameError, close_matches
from ..registries import Registry
from ..shapes import Shape

CATEGORIES = (
    "convolution",
    "linear",
    "attention",
    "recurrent",
    "normalization",
    "activation",
    "pooling",
    "resampling",
    "elementwise",
    "reduction",
    "data movement",
    "view",
    "source",
    "unknown",
)


class OpCost(NamedTuple):
    """What one layer costs for the shapes it is given: its output shape and integer counts.

    A named tuple rather than a frozen dataclass: as immutable, and three times quicker to make, once per layer.
    """

    output: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    flops: int = 0
    in_place: bool = False  # the output is the input's own storage: no new activation memory
    counted: bool = True  # False for an op cnncost has no formula for: its cost is unknown, not zero
    counters: int = 0  # of buffers, those torch holds as 64-bit integers in any dtype (batch norm's batch count)


@dataclass(frozen=True)
class Example:
    """A valid case of a layer type for the tests: input shapes (torch's unbatched reading) and attributes."""

    inputs: tuple[tuple[int, ...], ...]
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LayerType:
    """A registered layer type: its formula, the schema read from the formula's signature, and its facts."""

    name: str
    formula: Callable[..., OpCost]
    arity: int | None  # number of inputs; None for any number (at least one)
    attributes: tuple[str, ...]
    required: frozenset[str]
    doc: str
    category: str
    example: Example
    keeps: str  # the saved-tensor rule of cnncost.analysis.memory: what autograd keeps for the backward pass
    field: str  # the rule of cnncost.analysis.receptive that maps the inputs' receptive fields to the output's
    view: bool = False  # the output is a view of the (first) input's storage: no data moved, no new memory
    torch_module: str | None = None  # the torch.nn class that builds one (verify, bench), such as "ConvTranspose3d"
    torch_functions: tuple[str, ...] = ()  # the torch functions a traced module lowers to this type
    family: str = ""  # the torch handler and builder it shares with its kin (cnncost.trace, cnncost.torch)
    source: str | None = None  # for a type with no inputs: 'input' (scales with the batch) or 'shared' (does not)
    backward: str = "products"  # the backward rule of cnncost.analysis.training: the MACs of its gradients
    same_shape: tuple[str, ...] = ()  # its torch functions whose output has their first input's shape and strides
    parameter_tensors: Callable[[dict[str, Any]], int] | None = None  # its weight and bias tensors, where not 1 or 2
    transient: str | None = None  # the rule of cnncost.analysis.memory for what it allocates while it runs
    always_in_place: bool = False  # it writes into its first input whatever its attributes (x[i] = v)
    identity_when: Callable[[dict[str, Any]], bool] | None = None  # in training, it returns its input itself then

    @property
    def in_place_capable(self) -> bool:
        """True when the type takes an `inplace` attribute, as torch's module or function of it does."""
        return "inplace" in self.attributes

    def check(self, node_name: str, n_inputs: int, attributes: dict) -> None:
        """Raise GraphError naming the node if the input count or an attribute is wrong."""
        if self.arity is not None and n_inputs != self.arity:
            raise GraphError(f"{node_name}: {self.name} takes {self.arity} input(s), got {n_inputs}")
        if self.arity is None and n_inputs < 1:
            raise GraphError(f"{node_name}: {self.name} needs at least one input")
        for key in attributes:
            if key not in self.attributes:
                known = ", ".join(self.attributes) or "none"
                raise GraphError(
                    f"{node_name}: {self.name} has no attribute {key!r}{close_matches(key, self.attributes)}; "
                    f"its attributes: {known}"
                )
        missing = sorted(self.required - set(attributes))
        if missing:
            raise GraphError(f"{node_name}: {self.name} needs {', '.join(missing)}")


LAYER_TYPES: Registry[LayerType] = Registry("layer type")


def register(
    name: str,
    *,
    category: str,
    example: Example,
    keeps: str,
    field: str,
    view: bool = False,
    torch_module: str | None = None,
    torch_functions: tuple[str, ...] = (),
    family: str = "",
    source: str | None = None,
    backward: str = "products",
    same_shape: bool | tuple[str, ...] = False,
    parameter_tensors: Callable[[dict[str, Any]], int] | None = None,
    transient: str | None = None,
    always_in_place: bool = False,
    identity_when: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[[Callable[..., OpCost]], Callable[..., OpCost]]:
    """Register a formula and its facts under a layer type name; a second registration of the name is refused.
    same_shape True stands for every one of its torch functions."""
    if category not in CATEGORIES:
        raise ValueError(f"layer type {name!r}: unknown category {category!r}")

    def decorate(formula: Callable[..., OpCost]) -> Callable[..., OpCost]:
        arity, attributes, required = _schema(formula)
        functions = tuple(torch_functions)
        LAYER_TYPES.add(
            name,
            LayerType(
                name=name,
                formula=formula,
                arity=arity,
                attributes=attributes,
                required=required,
                doc=inspect.getdoc(formula) or "",
                category=category,
                example=example,
                keeps=keeps,
                field=field,
                view=view,
                torch_module=torch_module,
                torch_functions=functions,
                family=family or name,
                source=source,
                backward=backward,
                same_shape=functions if same_shape is True else tuple(same_shape or ()),
                parameter_tensors=parameter_tensors,
                transient=transient,
                always_in_place=always_in_place,
                identity_when=identity_when,
            ),
        )
        return formula

    return decorate


def _schema(formula: Callable[..., OpCost]) -> tuple[int | None, tuple[str, ...], frozenset[str]]:
    parameters = inspect.signature(formula).parameters.values()
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.POSITIONAL_ONLY]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    keywords = [p for p in parameters if p.kind is p.KEYWORD_ONLY]
    return (
        None if variadic else len(positional),
        tuple(p.name for p in keywords),
        frozenset(p.name for p in keywords if p.default is p.empty),
    )


def layer_type(name: str) -> LayerType:
    """The registered type of that name; an unknown name lists the known ones."""
    try:
        return LAYER_TYPES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown layer type {name!r}{close_matches(name, LAYER_TYPES)}; known: {', '.join(sorted(LAYER_TYPES))}"
        ) from None


def computes(op: str, inputs: tuple[str, ...]) -> bool:
    """Whether a layer computes something: it reads a tensor, or it is no source (a parameter, a module left unused);
    a network's output is the last layer that does."""
    return bool(inputs) or layer_type(op).source is None


def layer_types() -> dict[str, LayerType]:
    """Every registered layer type, by name."""
    return LAYER_TYPES.as_dict()
