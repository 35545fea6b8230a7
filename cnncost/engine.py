"""Shape propagation: walk the graph in order, apply each node's formula, collect immutable costs."""

from __future__ import annotations

from .errors import CnnCostError, GraphError, InputMismatch, ShapeError, batch_fix, size_fix, worded
from .graph import INPUT, Graph
from .layers import layer_type
from .results import LayerCost, Profile, Totals
from .shapes import Shape, canonical_dtype, element_bytes

COUNTER_BYTES = 8  # a 64-bit integer buffer, such as batch norm's num_batches_tracked, in any dtype


def propagate(
    graph: Graph, input: Shape | tuple[int, ...] | str | None = None, batch: int | None = None, dtype: str | None = None
) -> Profile:
    """Profile graph at the input shape (one sample, C×H×W), for a batch and dtype.

    A traced graph's shapes include its batch: it is profiled at the input and batch it was traced with. Its tensors
    are costed at the dtypes torch gave them unless a dtype is given; any other graph at dtype (default fp32).
    """
    if graph.batch is not None:
        if input is not None and Shape.of(input) != graph.default_input:
            raise CnnCostError(f"{graph.name} was traced at input {graph.default_input}; trace it again for {input}")
        if batch not in (None, graph.batch):
            raise CnnCostError(f"{graph.name} was traced at batch {graph.batch}; trace it again for batch {batch}")
        shape, batch = graph.default_input, graph.batch
    else:
        shape = graph.default_input if input is None else _one_sample(graph, Shape.of(input))
        batch = 1 if batch is None else batch
    if type(batch) is not int or batch < 1:
        raise CnnCostError(f"batch must be a whole number of at least 1, got {batch!r}")
    own = dtype is None and graph.dtype is not None  # each tensor at its own dtype, as recorded
    name = canonical_dtype(dtype) if dtype is not None else graph.dtype or "fp32"
    width = element_bytes(name)
    per_sample = batch if graph.batch is None else 1  # what a per-sample count is multiplied by
    env: dict[str, Shape] = {INPUT: shape}
    grows = graph.depends_on_input  # what scales with the batch
    layers = []
    input_width = element_bytes(graph.input_dtype) if own and graph.input_dtype else width
    input_bytes = shape.numel * per_sample * input_width
    types: dict[str, tuple] = {}  # op -> (formula, whether it is an input of the network)
    for node in graph.nodes:
        inputs = tuple([env[source] for source in node.inputs])
        formula, is_input = types.get(node.op) or types.setdefault(node.op, _formula(node.op))
        try:
            cost = formula(*inputs, **node.attributes)
        except InputMismatch as mismatch:
            a, b = node.inputs[mismatch.first], node.inputs[mismatch.second]
            raise ShapeError(
                f"{node.name}: cannot {node.op} {a!r} ({env[a]}) with {b!r} ({env[b]}): {mismatch.reason}"
            ) from None
        except CnnCostError as error:
            raise error.prefixed(f"{node.name}: ") from None
        except (TypeError, ValueError, ArithmeticError) as error:  # an attribute of the wrong type or value
            attributes = ", ".join(f"{key}={value!r}" for key, value in node.attrs)
            raise GraphError(
                f"{node.name}: an attribute of {node.op} has the wrong type or value ({error}); "
                f"its attributes: {attributes}"
            ) from None
        env[node.name] = output = cost.output
        scale = per_sample if grows[node.name] else 1
        own_width = element_bytes(node.dtype) if own and node.dtype else width
        if is_input:
            input_bytes += output.numel * scale * own_width
        if node.counts is not None:  # the parameters and buffers first used here (none where it shares them)
            params, buffers = node.counts
        else:
            params, buffers = (0, 0) if node.shares else (cost.params, cost.buffers)
        param_bytes, buffer_bytes = (
            node.tensor_bytes
            if own and node.tensor_bytes is not None
            else (params * width, buffers * width + (cost.counters * (COUNTER_BYTES - width) if buffers else 0))
        )
        # positional, the fields in their order: a LayerCost is made per layer
        # fmt: off
        layers.append(LayerCost(
            node.name, node.op, node.inputs, node.attrs, inputs, output, params, buffers, cost.macs * scale,
            cost.flops * scale, 0 if cost.in_place else output.total_numel * scale * own_width, cost.in_place,
            cost.counted, scale, node.frozen if params else 0, node.shares, own_width, param_bytes, buffer_bytes,
            node.module,
        ))
        # fmt: on
    return Profile(
        graph.name,
        shape,
        batch,
        name,
        width,
        tuple(layers),
        Totals.of(layers, input_bytes),
        shapes_include_batch=graph.batch is not None,
        input_bytes_per_element=input_width if input_width != width else None,
    )


def _one_sample(graph: Graph, shape: Shape) -> Shape:
    """The input, where it is one sample laid out as the network's is (channels first; the batch given apart)."""
    expected = graph.default_input
    if len(shape) == len(expected) + 1:
        sample = shape.dims[1:]
        if looks_channels_last(sample, expected.dims[0]):
            sample = (sample[-1], *sample[:-1])
        if shape[0] == 1:
            raise worded(
                ShapeError,
                f"{graph.name} takes one sample of {len(expected)} dimension(s), such as "
                f"{expected}; got {shape}: the batch is given apart ({{}}), did you mean {{}}?",
                batch_fix(),
                size_fix(sample),
            )
        raise worded(
            ShapeError,
            f"{graph.name} takes one sample of {len(expected)} dimension(s), such as "
            f"{expected}; got {shape}: the batch is given apart, did you mean {{}} with {{}}?",
            size_fix(sample),
            batch_fix(shape[0]),
        )
    if len(shape) == len(expected) - 1 and len(expected) >= 3 and shape[0] != expected[0]:  # 224x224: no channels
        raise worded(
            ShapeError,
            f"{graph.name} takes one sample of {len(expected)} dimension(s), such as "
            f"{expected}; got {shape}: channels first, did you mean {{}}?",
            size_fix((expected[0], *shape)),
        )
    if len(shape) != len(expected):
        raise ShapeError(
            f"{graph.name} takes one sample of {len(expected)} dimension(s), such as {expected}; got {shape}"
        )
    if looks_channels_last(shape.dims, expected.dims[0]):
        raise worded(
            ShapeError,
            f"{graph.name} reads its input channels first ({expected}); {shape} looks "
            "channels last: did you mean {}?",
            size_fix((shape[-1], *shape.dims[:-1])),
        )
    return shape


def looks_channels_last(dims: tuple[int, ...], channels: int) -> bool:
    """HxWxC (or TxHxWxC) given where CxHxW is read: an image's channel count (1, 3 or 4) last, and a size first.
    Inputs of one or two dimensions (features, tokens, a signal) are not judged."""
    return len(dims) >= 3 and channels in (1, 3, 4) and dims[-1] == channels and dims[0] > 4


def _formula(op: str) -> tuple:
    spec = layer_type(op)
    return spec.formula, spec.source == "input"
