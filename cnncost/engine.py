"""Shape propagation: walk the graph in order, apply each node's formula, collect immutable costs."""

from __future__ import annotations

from .errors import CnnCostError, GraphError, InputMismatch, ShapeError
from .graph import INPUT, Graph
from .layers import layer_type
from .profile import LayerCost, Profile, Totals
from .shapes import Shape, canonical_dtype, dtype_bytes


def propagate(graph: Graph, input: Shape | tuple[int, ...] | str | None = None, batch: int = 1,
              dtype: str = "fp32") -> Profile:
    """Profile graph at the input shape (one sample, C×H×W), for a batch and dtype."""
    shape = graph.default_input if input is None else Shape.of(input)
    if type(batch) is not int or batch < 1:
        raise CnnCostError(f"batch must be a whole number of at least 1, got {batch!r}")
    width = dtype_bytes(dtype)
    env: dict[str, Shape] = {INPUT: shape}
    layers = []
    formulas: dict[str, object] = {}
    for node in graph.nodes:
        inputs = tuple([env[source] for source in node.inputs])
        formula = formulas.get(node.op) or formulas.setdefault(node.op, layer_type(node.op).formula)
        try:
            cost = formula(*inputs, **node.attributes)
        except InputMismatch as mismatch:
            a, b = node.inputs[mismatch.first], node.inputs[mismatch.second]
            raise ShapeError(f"{node.name}: cannot {node.op} {a!r} ({env[a]}) with {b!r} ({env[b]}): "
                             f"{mismatch.reason}") from None
        except CnnCostError as error:
            raise type(error)(f"{node.name}: {error}") from None
        except TypeError as error:  # an attribute of the wrong type, such as a string or a list where a size belongs
            attributes = ", ".join(f"{key}={value!r}" for key, value in node.attrs)
            raise GraphError(f"{node.name}: an attribute of {node.op} has the wrong type ({error}); "
                             f"its attributes: {attributes}") from None
        env[node.name] = cost.output
        layers.append(LayerCost(  # positional: the fields in their order, name to counted
            node.name, node.op, node.inputs, node.attrs, inputs, cost.output,
            0 if node.shares else cost.params, 0 if node.shares else cost.buffers,
            cost.macs * batch, cost.flops * batch,
            0 if cost.in_place else cost.output.numel * batch * width, cost.in_place, cost.counted,
        ))
    return Profile(graph.name, shape, batch, canonical_dtype(dtype), width, tuple(layers),
                   _totals(layers, shape.numel * batch * width, width))


def _totals(layers: list[LayerCost], input_bytes: int, width: int) -> Totals:
    params = sum(cost.params for cost in layers)
    buffers = sum(cost.buffers for cost in layers)
    return Totals(
        params=params, buffers=buffers,
        macs=sum(cost.macs for cost in layers), flops=sum(cost.flops for cost in layers),
        activation_bytes=sum(cost.activation_bytes for cost in layers),
        input_bytes=input_bytes, param_bytes=params * width, buffer_bytes=buffers * width,
    )
