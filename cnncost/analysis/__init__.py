"""Analyses of a whole graph beside its profile: receptive fields (receptive.py), memory by liveness and what a
training step keeps (memory.py), and the cost of a training step (training.py, with optimizers.py).

Pure Python, integers throughout, like the engine; every analysis takes (Graph, Profile), the graph rebuilt from the
profile by graph_of:

    from cnncost.analysis import graph_of
    from cnncost.analysis.memory import inference_memory
    p = cnncost.profile("alexnet")
    inference_memory(graph_of(p), p).peak_bytes
"""

from __future__ import annotations

from ..graph import Graph, Node
from ..results import Profile


def graph_of(profile: Profile) -> Graph:
    """The graph a profile was computed from, rebuilt from its layers (each records its name, type, inputs and
    attributes)."""
    nodes = tuple(Node(cost.name, cost.op, cost.inputs, cost.attrs) for cost in profile.layers)
    return Graph(
        profile.name, nodes, profile.input_shape, batch=profile.batch if profile.shapes_include_batch else None
    )
