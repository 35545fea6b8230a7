"""Profiling a network, from wherever it comes: sources give its graph, the engine its costs, a recorded module's
shapes are checked against torch's, and the counts follow the convention asked for.

    import cnncost
    p = cnncost.profile("alexnet")
    p.total.params, p.total.macs, p.layers[0].output_shape
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

from .conventions import under
from .cuts import Operand, Side, cut_profile
from .engine import propagate
from .errors import CnnCostError
from .results import LayerCost, Note, Profile, provided
from .sources import SPEC_SUFFIXES, load_source, real_forward_allowed, training_forward_recorded


def profile(
    model,
    input=None,
    batch: int = 1,
    dtype: str | None = None,
    strict: bool = False,
    convention: str = "cnncost",
    allow_real_forward: bool = False,
    target=None,
    training_forward: bool = False,
) -> Profile:
    """Profile a network at input C×H×W (default: the network's own) for a batch and dtype.

    dtype (fp32, fp16, bf16, int8) sizes every tensor; by default a torch module's tensors are each sized at the
    dtype torch gives them (a .half() model at 2 bytes), any other network at fp32.

    model: a built-in name ('alexnet'), a spec file ('net.toml'), a module path ('pkg.mod:Net', 'net.py:Net'),
    an nn.Module, its class or a function that makes one (input required), or a Graph. strict makes an op without
    a cost formula an error. convention counts MACs as another tool does (cnncost.conventions: 'torchinfo',
    'fvcore', 'ptflops', 'ptflops-aten', 'thop', 'flopcounter', 'paper'), each layer and the total.
    A torch module whose code reads tensor values is recorded by a real forward on the CPU, and one that would hold
    over 1 GB so only with allow_real_forward (as within sources.real_forward_allowed()).
    target: a device ('rtx-4090', 'jetson-orin-nano', 'local'; `cnncost targets` lists them) to predict each
    layer's time on: layer.predicted_seconds and total.predicted_seconds for the whole batch, profile.prediction
    the device and the error the prediction carries.
    training_forward: a torch module is recorded in training mode too, and where that forward runs other layers (a
    detector that decodes its boxes only in eval mode), profile.training_profile holds it and the training memory
    is counted on it (`cnncost table --memory` and the training-memory budget ask for it).
    """
    with real_forward_allowed(allow_real_forward), training_forward_recorded(training_forward):
        source = load_source(model, input, batch)
    if source.trace is None and isinstance(input, list) and input and not isinstance(input[0], int):
        raise CnnCostError(
            f"{source.graph.name} takes one input; several input sizes are for a torch module that takes several inputs"
        )
    try:
        if source.trace is not None:  # recorded at this input and batch: its shapes include the batch
            result = propagate(source.graph, dtype=dtype)
        elif source.graph.batch is not None and batch == 1:  # a recording's spec file: at the batch it holds
            result = propagate(source.graph, input=input, dtype=dtype)
        else:
            result = propagate(source.graph, input=input, batch=batch, dtype=dtype)
    except CnnCostError as error:
        if isinstance(model, str) and model.lower().endswith(SPEC_SUFFIXES):  # say which file the layer is in
            raise error.prefixed(f"{os.path.basename(model)}: ") from None
        raise
    if source.trace is not None:
        result = check_trace(result, source.trace)
    if source.training_trace is not None:
        result = with_training_forward(result, source.training_trace, dtype)
    if source.training_failure:
        failure = source.training_failure
        if "--allow-real-forward" in failure:
            reason = "recording it on the CPU needs --allow-real-forward"
        else:  # the model's own words: the last 'Name: message' of the failure
            found = re.search(r"\b([A-Z]\w*: [^:]*)$", failure)
            reason = found.group(1) if found else failure
        said = f"training memory is the eval forward's; its training-mode forward failed: {reason}"
        result = dataclasses.replace(result, notes=(*result.notes, Note(said[:199], "warning")))
    if source.notes:
        result = dataclasses.replace(result, notes=result.notes + tuple(Note(text, "warning") for text in source.notes))
    if strict and result.training_profile is not None and result.training_profile.uncounted:
        raise CnnCostError(
            f"{len(result.training_profile.uncounted)} layer(s) of its training-mode forward have no cost formula: "
            f"{uncounted_summary(result.training_profile)}"
        )
    if strict and result.uncounted:
        raise CnnCostError(f"{len(result.uncounted)} layer(s) have no cost formula: {uncounted_summary(result)}")
    if target is not None:  # from cnncost's own counts, whatever convention the table shows
        result = provided("predict")(result, target)
    if convention != "cnncost":
        result = under(result, convention)
    return result


def _signature(profile: Profile) -> list[tuple[str, str, Any]]:
    """What a forward runs: each layer's name, type and output shape, in order (placeholders of unused modules out)."""
    return [(cost.name, cost.op, cost.output_shape) for cost in profile.layers if cost.op != "unused"]


def with_training_forward(result: Profile, trace, dtype: str | None) -> Profile:
    """The profile with its training forward's, where that runs other layers or shapes than the eval forward did,
    with a note saying how many, and the training forward's own warnings (an op without a formula)."""
    trained = check_trace(propagate(trace.graph, dtype=dtype), trace)
    if _signature(trained) == _signature(result):
        return result
    training, inference = set(_signature(trained)), set(_signature(result))
    more, fewer = len(training - inference), len(inference - training)
    differs = " and ".join(
        part
        for part in (
            f"runs {more} layers (or shapes) the eval-mode forward does not" if more else "",
            f"leaves out {fewer} layers (or shapes) it runs" if fewer else "",
        )
        if part
    )
    note = Note(f"in training mode its forward {differs}: training memory is counted on the training forward", "method")
    unknown = [  # what the training forward alone cannot count (its other notes repeat the eval forward's)
        Note(f"training-mode forward: {said.text}"[:199], "warning")
        for said in trained.notes
        if said.kind == "warning" and "no cost formula" in said
    ]
    return dataclasses.replace(result, training_profile=trained, notes=(*result.notes, note, *unknown))


def _tensor_counts(cost: LayerCost) -> str:
    """'10 params', '4 params and 9 buffers'."""
    parts = [f"{count:,} {what}" for what, count in (("params", cost.params), ("buffers", cost.buffers)) if count]
    return " and ".join(parts) or "no params"


def uncounted_summary(result: Profile) -> str:
    """The layers without a formula, by op: 'norm (LayerNorm), erf (erf)', or 'nms: 90 layers, nms to nms#90'."""
    by_source: dict[str, list[str]] = {}
    for cost in result.uncounted:
        by_source.setdefault(str(cost.attributes.get("source")), []).append(cost.name)
    return ", ".join(
        f"{names[0]} ({source})" if len(names) == 1 else f"{source}: {len(names)} layers, {names[0]} to {names[-1]}"
        for source, names in by_source.items()
    )


def check_trace(result: Profile, trace) -> Profile:
    """Every recorded node's shapes as torch gave them; notes on how it was recorded, on layers without a formula,
    on parameters of modules the forward never called, and on any difference from torch's own counts."""
    for cost in result.layers:
        expected = trace.expected_shapes.get(cost.name)
        got = tuple(shape.dims for shape in cost.output_shape.outputs)
        if expected is not None and tuple(map(tuple, expected)) != got:
            raise CnnCostError(
                f"{cost.name}: cnncost computes {cost.output_shape} where torch gives "
                f"{', '.join('x'.join(map(str, e)) for e in expected)}; please report this layer"
            )
    warnings = list(trace.notes)
    if result.uncounted:
        warnings.append(
            f"{len(result.uncounted)} layer(s) have no cost formula; their MACs and FLOPs are unknown, "
            f"not zero: {uncounted_summary(result)}"
        )
    unused = [c for c in result.layers if c.op == "unused"]
    if unused:
        warnings.append(
            "counted in the totals, though the forward did not use them: "
            + ", ".join(
                f"{c.name} ({_tensor_counts(c)}, {c.attributes.get('reason', 'not called in this forward')})"
                for c in unused
            )
        )
    for what, ours, theirs in (
        ("parameters", result.total.params, trace.module_params),
        ("buffers", result.total.buffers, trace.module_buffers),
    ):
        if ours != theirs:
            warnings.append(f"cnncost counts {ours:,} {what} where the module has {theirs:,}; please report this model")
    notes = (Note(f"{trace.method}, in eval mode", "method"), *(Note(text, "warning") for text in warnings))
    return dataclasses.replace(result, notes=notes, modules=trace.modules)


def side(
    operand: Operand,
    *,
    input=None,
    batch: int = 1,
    dtype: str | None = None,
    until: tuple[int, int] | None = None,
    convention: str = "cnncost",
    target=None,
) -> Side:
    """Profile an operand (its MACs as the convention counts them) and cut it: by its own range if it has one, else
    at until, else not at all."""
    whole = profile(operand.name, input=input, batch=batch, dtype=dtype, convention=convention, target=target)
    if operand.has_range:
        return Side(operand.name, cut_profile(whole, operand.first, operand.last))
    return Side(operand.name, cut_profile(whole, until=until) if until else whole)
