"""The registry of layer types: one small formula per type, keyed by the type's name.

A formula takes the input shapes positionally and the layer's attributes as keyword-only
arguments, and returns the OpCost of one sample. Its signature *is* the layer's schema:
the graph checks every node's attributes and input count against it.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, NamedTuple

from ..errors import GraphError, UnknownNameError, close_matches
from ..shapes import Shape


class OpCost(NamedTuple):
    """What one layer costs for one sample: its output shape and integer counts.

    A named tuple rather than a frozen dataclass: as immutable, and three times quicker to make, once per layer.
    """

    output: Shape
    params: int = 0
    buffers: int = 0
    macs: int = 0
    flops: int = 0
    in_place: bool = False  # the output is the input's own storage: no new activation memory
    counted: bool = True  # False for an op cnncost has no formula for: its cost is unknown, not zero


@dataclass(frozen=True)
class LayerType:
    """A registered layer type: its formula and the schema read from the formula's signature."""

    name: str
    formula: Callable[..., OpCost]
    arity: int | None  # number of inputs; None for any number (at least one)
    attributes: tuple[str, ...]
    required: frozenset[str]
    doc: str

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


_LAYER_TYPES: dict[str, LayerType] = {}


def register(name: str) -> Callable[[Callable[..., OpCost]], Callable[..., OpCost]]:
    """Register a formula under a layer type name; a second registration of the name is refused."""

    def decorate(formula: Callable[..., OpCost]) -> Callable[..., OpCost]:
        if name in _LAYER_TYPES:
            raise ValueError(f"layer type {name!r} is already registered")
        _LAYER_TYPES[name] = _layer_type(name, formula)
        return formula

    return decorate


def _layer_type(name: str, formula: Callable[..., OpCost]) -> LayerType:
    parameters = inspect.signature(formula).parameters.values()
    positional = [p for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.POSITIONAL_ONLY]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    keywords = [p for p in parameters if p.kind is p.KEYWORD_ONLY]
    return LayerType(
        name=name,
        formula=formula,
        arity=None if variadic else len(positional),
        attributes=tuple(p.name for p in keywords),
        required=frozenset(p.name for p in keywords if p.default is p.empty),
        doc=inspect.getdoc(formula) or "",
    )


def layer_type(name: str) -> LayerType:
    """The registered type of that name; an unknown name lists the known ones."""
    try:
        return _LAYER_TYPES[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown layer type {name!r}{close_matches(name, _LAYER_TYPES)}; known: {', '.join(sorted(_LAYER_TYPES))}"
        ) from None


def layer_types() -> dict[str, LayerType]:
    """Every registered layer type, by name."""
    return dict(_LAYER_TYPES)
