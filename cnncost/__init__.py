"""cnncost: a layer-by-layer cost profiler for convolutional networks.

    import cnncost
    p = cnncost.profile("alexnet")
    p.total.params, p.total.macs, p.layers[0].output_shape
"""

from __future__ import annotations

from .engine import propagate
from .errors import CnnCostError, GraphError, ShapeError, UnknownNameError
from .graph import INPUT, Graph, Node, layer
from .profile import LayerCost, Profile, Totals
from .shapes import Shape
from .zoo import create, list_models

__version__ = "0.1.0"


def profile(model: "str | Graph", input=None, batch: int = 1, dtype: str = "fp32") -> Profile:
    """Profile a built-in architecture (by name) or a Graph at input C×H×W (default: the network's own)."""
    graph = create(model) if isinstance(model, str) else model
    if not isinstance(graph, Graph):
        raise CnnCostError(f"profile() takes an architecture name or a Graph, got {type(model).__name__}")
    return propagate(graph, input=input, batch=batch, dtype=dtype)


__all__ = ["CnnCostError", "Graph", "GraphError", "INPUT", "LayerCost", "Node", "Profile", "Shape", "ShapeError",
           "Totals", "UnknownNameError", "create", "layer", "list_models", "profile", "propagate"]
