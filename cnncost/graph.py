"""The declarative layer graph: nodes in execution order, each naming its inputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Union

from .errors import GraphError, UnknownNameError, close_matches
from .layers import computes, layer_type
from .shapes import Shape

INPUT = "input"  # the name by which a node refers to the network's input


@dataclass(frozen=True)
class Node:
    """One layer: its name, its type, the names of its inputs and its attributes."""

    name: str
    op: str
    inputs: tuple[str, ...] = ()  # empty: the node before it (or the network's input)
    attrs: tuple[tuple[str, Any], ...] = ()
    shares: str | None = None  # the earlier node whose parameters this one reuses (a module called twice)
    counts: tuple[int, int] | None = None  # (params, buffers) first used here, where a traced node reuses only some
    frozen: int = 0  # of those parameters, the elements a recorded module does not train (requires_grad False)
    dtype: str | None = None  # a recorded module's: the output's dtype as torch gave it (None: the profile's)
    module: str | None = None  # a recorded module's: the torch.nn class whose forward is this node alone (Conv2d)
    tensor_bytes: tuple[int, int] | None = None  # (params, buffers) first used here, in bytes at their own dtypes

    @cached_property
    def attributes(self) -> dict[str, Any]:
        """The attributes as keyword arguments of the layer's formula (made once per node)."""
        return dict(self.attrs)


def layer(op: str, name: str, *inputs: str, **attributes: Any) -> Node:
    """A node of type op; with no inputs named, it takes the output of the node before it."""
    return Node(name, op, tuple(inputs), tuple(attributes.items()))


Layers = Iterable[Union[Node, "Layers"]]


def _takes_inputs(op: str) -> bool:
    """False for a type with no inputs (a parameter, a further input); an unknown type is left to validate."""
    try:
        return layer_type(op).arity != 0
    except UnknownNameError:
        return True


def _flatten(layers: Layers) -> list[Node]:
    nodes: list[Node] = []
    for item in layers:
        nodes.extend([item] if isinstance(item, Node) else _flatten(item))
    return nodes


@dataclass(frozen=True)
class Graph:
    """A validated layer graph: unique names, every input defined before its use, known types.

    batch is None for a network written for one sample (its shapes leave the batch out and a profile multiplies
    by it), or the batch size that a traced network's shapes include, as torch gave them.
    """

    name: str
    nodes: tuple[Node, ...]
    default_input: Shape
    description: str = ""
    batch: int | None = None
    dtype: str | None = None  # a recorded module's own dtype (its parameters'), its tensors' each as recorded
    input_dtype: str | None = None  # a recorded module's input's

    @classmethod
    def build(
        cls, name: str, layers: Layers, input: Shape | tuple[int, ...], description: str = "", batch: int | None = None
    ) -> Graph:
        """Resolve default inputs (the node before, except for a type that takes none), then validate; blocks may be
        nested lists of nodes."""
        resolved: list[Node] = []
        previous = INPUT
        for node in _flatten(layers):
            if not node.inputs and _takes_inputs(node.op):
                node = dataclasses.replace(node, inputs=(previous,))
            resolved.append(node)
            previous = node.name
        graph = cls(name, tuple(resolved), Shape.of(input), description, batch)
        graph.validate()
        return graph

    def validate(self) -> None:
        """Raise GraphError naming the first node that is not well formed."""
        if not self.nodes:
            raise GraphError(f"{self.name}: the graph has no layers")
        all_names = {node.name for node in self.nodes}
        defined = {INPUT}
        for node in self.nodes:
            if not node.name or node.name == INPUT:
                raise GraphError(f"{self.name}: a layer may not be named {node.name!r}")
            if node.name in defined:
                raise GraphError(f"{node.name}: two layers have this name")
            for source in node.inputs:
                if source not in defined:
                    if source in all_names:
                        raise GraphError(
                            f"{node.name}: input {source!r} comes after it (layers must be in "
                            "execution order, so a cycle cannot be expressed)"
                        )
                    raise GraphError(
                        f"{node.name}: input {source!r} is not a layer of {self.name}{close_matches(source, defined)}"
                    )
            try:
                spec = layer_type(node.op)
            except UnknownNameError as error:
                raise GraphError(f"{node.name}: {error}") from None
            spec.check(node.name, len(node.inputs), node.attributes)
            if node.shares is not None and node.shares not in defined:
                raise GraphError(
                    f"{node.name}: shares the parameters of {node.shares!r}, which is not a layer before it"
                )
            defined.add(node.name)

    @property
    def output(self) -> str:
        """The name of the last node that computes something (not a parameter or a tensor left unused)."""
        return next((node.name for node in reversed(self.nodes) if computes(node.op, node.inputs)), self.nodes[-1].name)

    @cached_property
    def depends_on_input(self) -> dict[str, bool]:
        """For each name (and the input), whether its value depends on the network's input and so grows with the
        batch; a parameter or constant, and what is computed from them alone, does not."""
        grows = {INPUT: True}
        for node in self.nodes:
            grows[node.name] = (
                layer_type(node.op).source == "input"
                if not node.inputs
                else any(grows[source] for source in node.inputs)
            )
        return grows

    def consumers(self) -> dict[str, list[str]]:
        """For each name (and the input), the nodes that read it, in order."""
        readers: dict[str, list[str]] = {INPUT: [], **{node.name: [] for node in self.nodes}}
        for node in self.nodes:
            for source in node.inputs:
                readers[source].append(node.name)
        return readers
