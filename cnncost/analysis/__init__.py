"""Analyses of a whole graph beside its profile: receptive fields and memory (inference liveness, training).

Pure Python, integers throughout, like the engine; every analysis takes (Graph, Profile).
"""

from __future__ import annotations

from ..graph import Graph, Node
from ..profile import Profile


def graph_of(profile: Profile) -> Graph:
    """The graph a profile was computed from, rebuilt from its layers (each records its name, type, inputs, attributes)."""
    nodes = tuple(Node(cost.name, cost.op, cost.inputs, cost.attrs) for cost in profile.layers)
    return Graph(profile.name, nodes, profile.input_shape)


__all__ = ["graph_of"]
