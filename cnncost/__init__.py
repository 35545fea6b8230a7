"""cnncost: a layer-by-layer cost profiler for convolutional networks.

    import cnncost
    p = cnncost.profile("alexnet")
    p.total.params, p.total.macs, p.layers[0].output_shape
"""

from __future__ import annotations

import dataclasses
import os

from .budget import BudgetExceeded, assert_budget, check_budget
from .config import check_config
from .engine import propagate
from .errors import CnnCostError, CnnCostWarning, GraphError, ShapeError, UnknownNameError
from .graph import INPUT, Graph, Node, layer
from .results import LayerCost, Profile, Totals
from .shapes import Shape
from .zoo import create, list_models

__version__ = "0.1.0"


def profile(model, input=None, batch: int = 1, dtype: str = "fp32", strict: bool = False,
            convention: str = "cnncost") -> Profile:
    """Profile a network at input C×H×W (default: the network's own) for a batch and dtype.

    model: a built-in name ('alexnet'), a spec file ('net.toml'), a module path ('pkg.mod:Net', 'net.py:Net'),
    an nn.Module, its class or a function that makes one (input required), or a Graph. strict makes an op without
    a cost formula an error. convention counts MACs as another tool does (cnncost.conventions: 'torchinfo',
    'fvcore', 'ptflops', 'ptflops-aten', 'thop', 'flopcounter', 'paper'), each layer and the total.
    """
    from .sources import SPEC_SUFFIXES, load_source

    source = load_source(model, input, batch)
    if source.trace is None and isinstance(input, list) and input and not isinstance(input[0], int):
        raise CnnCostError(f"{source.graph.name} takes one input; several input sizes are for a torch module that "
                           "takes several inputs")
    try:
        if source.trace is not None:  # recorded at this input and batch: its shapes include the batch
            result = propagate(source.graph, dtype=dtype)
        else:
            result = propagate(source.graph, input=input, batch=batch, dtype=dtype)
    except CnnCostError as error:
        if isinstance(model, str) and model.lower().endswith(SPEC_SUFFIXES):  # say which file the layer is in
            raise error.prefixed(f"{os.path.basename(model)}: ") from None
        raise
    if source.trace is not None:
        result = check_trace(result, source.trace)
    if source.notes:
        result = dataclasses.replace(result, notes=result.notes + source.notes)
    if strict and result.uncounted:
        raise CnnCostError(f"{len(result.uncounted)} layer(s) have no cost formula: {uncounted_summary(result)}")
    if convention != "cnncost":
        from .conventions import under

        result = under(result, convention)
    return result


def time_forward(model, input=None, batch: int = 1, dtype: str = "fp32", device: str = "cpu",
                 min_run_time: float = 0.5):
    """Profile model and time its whole forward pass with torch.utils.benchmark: what a latency budget is checked
    against, as in assert_budget(cnncost.time_forward(Net(), input=(3, 224, 224)), max_latency="20ms").

    Takes what profile takes; a built-in or spec network is built with cnncost's torch builders. The result has
    .profile and .forward_median (seconds). The caller's module is timed on a copy, and left as it was.
    """
    from .sources import module_from
    from .torch import require_torch

    torch = require_torch()
    if callable(model) and not isinstance(model, (str, Graph, torch.nn.Module)):
        model = module_from(model, getattr(model, "__qualname__", type(model).__name__))
    from .torch.timing import time_forward as timed

    return timed(profile(model, input=input, batch=batch, dtype=dtype), model, device, min_run_time)


def _tensor_counts(cost: LayerCost) -> str:
    """'10 params', '4 params and 9 buffers'."""
    parts = [f"{count:,} {what}" for what, count in (("params", cost.params), ("buffers", cost.buffers)) if count]
    return " and ".join(parts) or "no params"


def uncounted_summary(result: Profile) -> str:
    """The layers without a formula, by op: 'norm (LayerNorm), erf (erf)', or 'nms: 90 layers, nms to nms#90'."""
    by_source: dict[str, list[str]] = {}
    for cost in result.uncounted:
        by_source.setdefault(str(cost.attributes.get("source")), []).append(cost.name)
    return ", ".join(f"{names[0]} ({source})" if len(names) == 1 else
                     f"{source}: {len(names)} layers, {names[0]} to {names[-1]}" for source, names in by_source.items())


def check_trace(result: Profile, trace) -> Profile:
    """Every recorded node's shapes as torch gave them; notes on how it was recorded, on layers without a formula,
    on parameters of modules the forward never called, and on any difference from torch's own counts."""
    for cost in result.layers:
        expected = trace.expected_shapes.get(cost.name)
        got = tuple(shape.dims for shape in cost.output_shape.outputs)
        if expected is not None and tuple(map(tuple, expected)) != got:
            raise CnnCostError(f"{cost.name}: cnncost computes {cost.output_shape} where torch gives "
                               f"{', '.join('x'.join(map(str, e)) for e in expected)}; please report this layer")
    notes = [f"{trace.method}, in eval mode"] + list(trace.notes)
    if result.uncounted:
        notes.append(f"{len(result.uncounted)} layer(s) have no cost formula; their MACs and FLOPs are unknown, "
                     f"not zero: {uncounted_summary(result)}")
    unused = [c for c in result.layers if c.op == "unused"]
    if unused:
        notes.append("counted in the totals, though the forward did not use them: " + ", ".join(
            f"{c.name} ({_tensor_counts(c)}, {c.attributes.get('reason', 'not called in this forward')})"
            for c in unused))
    for what, ours, theirs in (("parameters", result.total.params, trace.module_params),
                               ("buffers", result.total.buffers, trace.module_buffers)):
        if ours != theirs:
            notes.append(f"cnncost counts {ours:,} {what} where the module has {theirs:,}; please report this model")
    return dataclasses.replace(result, notes=tuple(notes))


__all__ = ["BudgetExceeded", "assert_budget", "check_budget", "check_config", "check_trace", "CnnCostError",
           "CnnCostWarning", "Graph", "GraphError", "INPUT", "LayerCost", "Node", "Profile", "Shape", "ShapeError", "Totals", "UnknownNameError",
           "create", "layer", "list_models", "profile", "propagate", "time_forward"]
