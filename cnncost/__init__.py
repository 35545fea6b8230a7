"""cnncost: a layer-by-layer cost profiler for convolutional networks.

    import cnncost
    p = cnncost.profile("alexnet")
    p.total.params, p.total.macs, p.layers[0].output_shape
"""

from __future__ import annotations

import dataclasses
import os

from .budget import BudgetExceeded, assert_budget, check_budget
from .engine import propagate
from .errors import CnnCostError, GraphError, ShapeError, UnknownNameError
from .graph import INPUT, Graph, Node, layer
from .profile import LayerCost, Profile, Totals
from .shapes import Shape
from .zoo import create, list_models

__version__ = "0.1.0"


def profile(model, input=None, batch: int = 1, dtype: str = "fp32", strict: bool = False) -> Profile:
    """Profile a network at input C×H×W (default: the network's own) for a batch and dtype.

    model: a built-in name ('alexnet'), a spec file ('net.toml'), a module path ('pkg.mod:Net', 'net.py:Net'),
    an nn.Module (input required) or a Graph. strict makes an op without a cost formula an error.
    """
    from .sources import SPEC_SUFFIXES, load_source

    source = load_source(model, input)
    try:
        result = propagate(source.graph, input=input, batch=batch, dtype=dtype)
    except CnnCostError as error:
        if isinstance(model, str) and model.lower().endswith(SPEC_SUFFIXES):  # say which file the layer is in
            raise type(error)(f"{os.path.basename(model)}: {error}") from None
        raise
    if source.trace is not None:
        result = check_trace(result, source.trace)
    if strict and result.uncounted:
        names = ", ".join(f"{c.name} ({c.attributes.get('source')})" for c in result.uncounted)
        raise CnnCostError(f"{len(result.uncounted)} layer(s) have no cost formula: {names}")
    return result


def check_trace(result: Profile, trace) -> Profile:
    """Every traced node's shape as torch gave it; notes on uncounted layers and parameters outside any layer."""
    for cost in result.layers:
        expected = trace.expected_shapes.get(cost.name)
        if expected is not None and tuple(expected) != cost.output_shape.dims:
            raise CnnCostError(f"{cost.name}: cnncost computes {cost.output_shape} where torch gives "
                               f"{'x'.join(map(str, expected))}; please report this layer")
    notes = [f"traced with {trace.method}"]
    if result.uncounted:
        notes.append(f"{len(result.uncounted)} layer(s) have no cost formula; their MACs and FLOPs are unknown, "
                     "not zero: " + ", ".join(f"{c.name} ({c.attributes.get('source')})" for c in result.uncounted))
    missing = trace.module_params - result.total.params
    if missing:
        notes.append(f"{missing:,} of the module's {trace.module_params:,} parameters are used outside the layers "
                     "cnncost recognises and are not in the totals")
    return dataclasses.replace(result, notes=tuple(notes))


__all__ = ["BudgetExceeded", "assert_budget", "check_budget", "check_trace", "CnnCostError", "Graph", "GraphError", "INPUT", "LayerCost", "Node", "Profile", "Shape", "ShapeError",
           "Totals", "UnknownNameError", "create", "layer", "list_models", "profile", "propagate"]
