"""Analyses of a whole graph beside its profile: receptive fields and memory (inference liveness, training).

Pure Python, integers throughout, like the engine; every analysis takes (Graph, Profile):

    from cnncost.analysis import graph_of, receptive_fields, inference_memory, training_memory
    p = cnncost.profile("alexnet")
    receptive_fields(graph_of(p), p)[-1].height.size, training_memory(graph_of(p), p).activation_bytes
"""

from __future__ import annotations

from ..graph import Graph, Node
from ..results import Profile
from .memory import OPTIMIZERS, InferenceMemory, TrainingMemory, inference_memory, training_memory
from .receptive import Field, ReceptiveField, receptive_fields
from .training import training_step


def graph_of(profile: Profile) -> Graph:
    """The graph a profile was computed from, rebuilt from its layers (each records its name, type, inputs, attributes)."""
    nodes = tuple(Node(cost.name, cost.op, cost.inputs, cost.attrs) for cost in profile.layers)
    return Graph(profile.name, nodes, profile.input_shape,
                 batch=profile.batch if profile.shapes_include_batch else None)


__all__ = ["OPTIMIZERS", "Field", "InferenceMemory", "ReceptiveField", "TrainingMemory", "graph_of",
           "inference_memory", "receptive_fields", "training_memory", "training_step"]
