"""Random layers and graphs against torch: shapes, parameters and multiply-adds equal torch's exactly, and a random
invalid configuration raises cnncost's own error, never another exception.

The number of examples comes from the hypothesis profile (tests/conftest.py): "ci" by default, a short and
repeatable run; CNNCOST_HYPOTHESIS_PROFILE=dev for a long, random one.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="the torch cross-check needs torch (pip install -e '.[test]')")

from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncost  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.errors import CnnCostError  # noqa: E402
from cnncost.layers import layer_types  # noqa: E402
from cnncost.quantities import KEYS  # noqa: E402
from cnncost.torch.verify import verify  # noqa: E402

# --- helpers -----------------------------------------------------------------------------------------------------


def one_layer(op: str, attributes: dict, shape: tuple[int, ...], batch: int = 1):
    """cnncost's cost of a network of one layer."""
    graph = Graph.build("one", [layer(op, "x", **attributes)], input=shape)
    return cnncost.propagate(graph, batch=batch).layers[0]


def run_torch(module: nn.Module, batch: int, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, int]:
    """(output shape of one sample, parameters, FlopCounterMode's FLOPs / 2) of module on a random CPU batch."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module(torch.randn(batch, *shape))
    return tuple(out.shape[1:]), sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2


def pairs(low: int, high: int):
    return st.tuples(st.integers(low, high), st.integers(low, high))


def written(draw, pair: tuple[int, int]):
    """An attribute as a user writes it: an int when both sides agree (sometimes), else the pair."""
    return pair[0] if pair[0] == pair[1] and draw(st.booleans()) else pair


def smallest_input(kernel: int, padding: int, dilation: int) -> int:
    """The least size with an output of at least 1: size + 2p >= d(k-1) + 1."""
    return max(1, dilation * (kernel - 1) + 1 - 2 * padding)


def sizes(draw, kernel, padding, dilation=(1, 1)) -> tuple[int, int]:
    return tuple(
        draw(st.integers(smallest_input(k, p, d), smallest_input(k, p, d) + 9))
        for k, p, d in zip(kernel, padding, dilation, strict=True)
    )


# --- convolutions ------------------------------------------------------------------------------------------------


@st.composite
def conv_configs(draw):
    """(attributes, input shape, batch) of a conv2d torch accepts."""
    groups = draw(st.integers(1, 4))
    in_channels, out_channels = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kernel, stride, padding, dilation = draw(pairs(1, 5)), draw(pairs(1, 3)), draw(pairs(0, 3)), draw(pairs(1, 3))
    h, w = sizes(draw, kernel, padding, dilation)
    attributes = dict(
        out_channels=out_channels,
        kernel_size=written(draw, kernel),
        stride=written(draw, stride),
        padding=written(draw, padding),
        dilation=written(draw, dilation),
        groups=groups,
        bias=draw(st.booleans()),
    )
    return attributes, (in_channels, h, w), draw(st.integers(1, 3))


def torch_conv(attributes: dict, in_channels: int) -> nn.Conv2d:
    a = attributes
    return nn.Conv2d(
        in_channels,
        a["out_channels"],
        a["kernel_size"],
        a["stride"],
        a["padding"],
        a["dilation"],
        a["groups"],
        a["bias"],
    )


@given(conv_configs())
def test_conv2d_equals_torch(config):
    attributes, shape, batch = config
    cost = one_layer("conv2d", attributes, shape, batch)
    out, params, macs = run_torch(torch_conv(attributes, shape[0]), batch, shape)
    assert (cost.output_shape.dims, cost.params, cost.macs) == (out, params, macs)
    assert cost.flops == 2 * cost.macs


# --- pooling -----------------------------------------------------------------------------------------------------


@st.composite
def pool_configs(draw):
    """(op, attributes, input shape, batch) of a max or average pool torch accepts: padding at most half the kernel."""
    op = draw(st.sampled_from(["max_pool2d", "avg_pool2d"]))
    kernel = draw(pairs(1, 5))
    stride = draw(st.none() | pairs(1, 3))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dilation = draw(pairs(1, 3)) if op == "max_pool2d" else (1, 1)
    h, w = sizes(draw, kernel, padding, dilation)
    attributes = dict(
        kernel_size=written(draw, kernel),
        stride=None if stride is None else written(draw, stride),
        padding=written(draw, padding),
        ceil_mode=draw(st.booleans()),
    )
    if op == "max_pool2d":
        attributes["dilation"] = written(draw, dilation)
    else:
        attributes["count_include_pad"] = draw(st.booleans())
    return op, attributes, (draw(st.integers(1, 4)), h, w), draw(st.integers(1, 2))


def torch_pool(op: str, attributes: dict) -> nn.Module:
    if op == "max_pool2d":
        return nn.MaxPool2d(**attributes)
    return nn.AvgPool2d(**attributes)


@given(pool_configs())
def test_pooling_equals_torch(config):
    op, attributes, shape, batch = config
    cost = one_layer(op, attributes, shape, batch)
    out, params, macs = run_torch(torch_pool(op, attributes), batch, shape)
    assert (cost.output_shape.dims, cost.params, cost.macs) == (out, params, macs)


# --- linear ------------------------------------------------------------------------------------------------------


@st.composite
def linear_configs(draw):
    """(attributes, input shape, batch): features, or a map whose last dimension a linear acts on, as in torch."""
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    return dict(out_features=draw(st.integers(1, 8)), bias=draw(st.booleans())), shape, draw(st.integers(1, 3))


@given(linear_configs())
def test_linear_equals_torch(config):
    attributes, shape, batch = config
    cost = one_layer("linear", attributes, shape, batch)
    out, params, macs = run_torch(nn.Linear(shape[-1], **attributes), batch, shape)
    assert (cost.output_shape.dims, cost.params, cost.macs) == (out, params, macs)


@given(linear_configs())
def test_linear_through_the_builders_equals_torch(config):
    attributes, shape, batch = config
    result = verify(Graph.build("fc", [layer("linear", "fc", **attributes)], input=shape), batch=batch, device="cpu")
    assert result.ok, result.failures


# --- small graphs with adds and concats --------------------------------------------------------------------------


@st.composite
def small_graphs(draw):
    """A random graph of up to 8 layers, each reading any earlier one; adds join equal shapes, concats equal sizes.

    Returns the graph and the output shape of every layer, worked out here by hand.
    """
    channels, size = draw(st.integers(1, 4)), draw(st.integers(2, 9))
    shapes: dict[str, tuple[int, ...]] = {"input": (channels, size, size)}
    nodes = []
    for i in range(draw(st.integers(1, 8))):
        name, source = f"n{i}", draw(st.sampled_from(sorted(shapes)))
        c, h, w = shapes[source]
        kind = draw(st.sampled_from(["conv", "relu", "batch_norm", "pool", "add", "concat"]))
        if kind == "conv":
            kernel, out = draw(st.sampled_from([1, 3])), draw(st.integers(1, 6))
            nodes.append(
                layer(
                    "conv2d",
                    name,
                    source,
                    out_channels=out,
                    kernel_size=kernel,
                    padding=kernel // 2,
                    bias=draw(st.booleans()),
                )
            )
            shapes[name] = (out, h, w)
        elif kind == "pool" and min(h, w) >= 2:
            nodes.append(layer("max_pool2d", name, source, kernel_size=2))
            shapes[name] = (c, h // 2, w // 2)
        elif kind == "add":
            other = draw(st.sampled_from([n for n, s in sorted(shapes.items()) if s == (c, h, w)]))
            nodes.append(layer("add", name, source, other))
            shapes[name] = (c, h, w)
        elif kind == "concat":
            others = draw(
                st.lists(
                    st.sampled_from([n for n, s in sorted(shapes.items()) if s[1:] == (h, w)]), min_size=1, max_size=2
                )
            )
            nodes.append(layer("concat", name, source, *others))
            shapes[name] = (c + sum(shapes[o][0] for o in others), h, w)
        else:
            nodes.append(layer("batch_norm2d", name, source) if kind == "batch_norm" else layer("relu", name, source))
            shapes[name] = (c, h, w)
    head = draw(st.sampled_from(["none", "pooled", "on the map"]))
    last = nodes[-1].name
    if head == "pooled":  # global pool, flatten, linear: a classifier
        nodes += [
            layer("global_avg_pool2d", "pool", last),
            layer("flatten", "flat"),
            layer("linear", "fc", out_features=draw(st.integers(1, 5))),
        ]
        shapes["fc"] = (nodes[-1].attributes["out_features"],)
    elif head == "on the map":  # a linear on the last dimension of the map
        nodes.append(layer("linear", "fc", last, out_features=draw(st.integers(1, 5))))
        shapes["fc"] = (*shapes[last][:-1], nodes[-1].attributes["out_features"])
    return Graph.build("random", nodes, input=shapes["input"]), shapes


@given(small_graphs(), st.integers(1, 2))
def test_random_graph_equals_torch_layer_by_layer(drawn, batch):
    graph, shapes = drawn
    note("\n".join(f"{n.name} = {n.op}({', '.join(n.inputs)}) {n.attributes}" for n in graph.nodes))
    result = cnncost.propagate(graph, batch=batch)
    assert {c.name: c.output_shape.dims for c in result.layers if c.name in shapes} == {
        name: shape for name, shape in shapes.items() if name != "input"
    }
    checked = verify(graph, batch=batch, device="cpu")
    assert checked.ok, [(c.name, c.mismatches) for c in checked.failures] or (
        checked.engine_totals,
        checked.torch_totals,
    )


# --- invalid configurations: cnncost's own error ------------------------------------------------------------------

WRONG_TYPES = (
    st.text(max_size=3)
    | st.floats(allow_nan=True)
    | st.none()
    | st.lists(st.integers(), min_size=3, max_size=3)
    | st.dictionaries(st.text(max_size=2), st.integers(), max_size=1)
)
SIZES = ("out_channels", "kernel_size", "stride", "padding", "dilation", "groups")


@st.composite
def invalid_convs(draw):
    """(attributes, input shape, whether torch refuses it too): a valid conv with one thing broken."""
    attributes, (c, h, w), _ = draw(conv_configs())
    fault = draw(st.sampled_from(["groups", "too small", "zero or negative", "negative padding", "wrong type"]))
    if fault == "groups":  # groups that do not divide the input channels
        attributes["groups"] = groups = draw(st.integers(2, 5))
        attributes["out_channels"] = groups
        c = groups * draw(st.integers(1, 2)) + draw(st.integers(1, groups - 1))
    elif fault == "too small":  # the padded input is smaller than the dilated kernel
        attributes.update(kernel_size=draw(st.integers(2, 6)), padding=0, dilation=1)
        h = draw(st.integers(1, attributes["kernel_size"] - 1))
    elif fault == "zero or negative":
        attributes[draw(st.sampled_from(["out_channels", "kernel_size", "stride", "dilation"]))] = draw(
            st.integers(-3, 0)
        )
    elif fault == "negative padding":
        attributes["padding"] = (draw(st.integers(0, 2)), draw(st.integers(-3, -1)))
    else:
        attributes[draw(st.sampled_from(SIZES))] = draw(WRONG_TYPES)
    return attributes, (c, h, w), fault != "wrong type"


def torch_refuses(build) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Initializing zero-element tensors is a no-op"
            build()
    except Exception:  # noqa: BLE001  torch refuses in many ways (ValueError, RuntimeError, TypeError)
        return True
    return False


@given(invalid_convs())
def test_invalid_conv2d_raises_cnncost_error(config):
    attributes, shape, numeric = config
    with pytest.raises(CnnCostError):
        one_layer("conv2d", attributes, shape)
    if numeric:  # torch refuses it too: cnncost refuses nothing torch would run
        assert torch_refuses(lambda: run_torch(torch_conv(attributes, shape[0]), 1, shape))


@st.composite
def invalid_pools(draw):
    """(op, attributes, input shape, whether torch refuses it too): a valid pool with one thing broken."""
    op, attributes, (c, h, w), _ = draw(pool_configs())
    fault = draw(st.sampled_from(["padding over half", "too small", "zero or negative", "wrong type"]))
    if fault == "padding over half":
        kernel = draw(st.integers(1, 5))
        attributes.update(kernel_size=kernel, padding=draw(st.integers(kernel // 2 + 1, kernel + 2)))
    elif fault == "too small":
        attributes.update(kernel_size=draw(st.integers(2, 6)), padding=0, ceil_mode=False)
        attributes.pop("dilation", None)
        h = draw(st.integers(1, attributes["kernel_size"] - 1))
    elif fault == "zero or negative":
        attributes[draw(st.sampled_from(["kernel_size", "stride"]))] = draw(st.integers(-3, 0))
    else:
        attributes[draw(st.sampled_from(["kernel_size", "stride", "padding"]))] = draw(
            WRONG_TYPES.filter(lambda value: value is not None)
        )  # a stride of None is the kernel size
    return op, attributes, (c, h, w), fault != "wrong type"


@given(invalid_pools())
def test_invalid_pooling_raises_cnncost_error(config):
    op, attributes, shape, numeric = config
    with pytest.raises(CnnCostError):
        one_layer(op, attributes, shape)
    if numeric:
        assert torch_refuses(lambda: run_torch(torch_pool(op, attributes), 1, shape))


@given(st.integers(-3, 0) | WRONG_TYPES, st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_invalid_linear_raises_cnncost_error(out_features, shape):
    with pytest.raises(CnnCostError):
        one_layer("linear", {"out_features": out_features}, tuple(shape))


@given(st.data())
def test_merging_shapes_that_do_not_fit_raises_cnncost_error(data):
    a = data.draw(st.tuples(st.integers(1, 4), st.integers(2, 6), st.integers(2, 6)))
    b = data.draw(st.tuples(st.integers(1, 4), st.integers(2, 6), st.integers(2, 6)).filter(lambda s: s[1:] != a[1:]))
    graph = Graph.build(
        "merge",
        [
            layer("conv2d", "a", "input", out_channels=a[0], kernel_size=1),
            layer("adaptive_avg_pool2d", "b", "input", output_size=b[1:]),
            layer(data.draw(st.sampled_from(["add", "concat"])), "merge", "a", "b"),
        ],
        input=a,
    )
    with pytest.raises(CnnCostError, match="merge: cannot"):
        cnncost.propagate(graph)


ANY_VALUE = st.recursive(
    st.integers(-3, 12) | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=3) | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)


@given(st.sampled_from(sorted(layer_types())), st.data())
def test_any_attribute_values_give_a_result_or_cnncost_error(op, data):
    """Whatever a spec file holds (strings, floats, lists, tables, nothing): the layer is costed, or refused in one
    line."""
    spec = layer_types()[op]
    attributes = {
        name: data.draw(ANY_VALUE, label=name)
        for name in spec.attributes
        if name in spec.required or data.draw(st.booleans())
    }
    shape = data.draw(st.sampled_from([(8, 9, 9), (12,), (4, 6), (6, 1, 1)]))
    inputs = ["input"] * (spec.arity if spec.arity is not None else data.draw(st.integers(1, 3)))
    try:
        result = cnncost.propagate(Graph.build("any", [layer(op, "x", *inputs, **attributes)], input=shape))
    except CnnCostError as error:
        assert "\n" not in str(error)
    else:  # costed: whole numbers only
        assert all(type(getattr(result.layers[0], q)) is int for q in KEYS)


# --- convolutions in 1-3 d, transposed or not; einsum; matrix products --------------------------------------------


@st.composite
def nd_conv_configs(draw):
    """(op, attributes, input shape, batch) of a conv1d-3d or conv_transpose1d-3d torch accepts."""
    n = draw(st.integers(1, 3))
    transposed = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    in_channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
    attributes = dict(
        out_channels=out_channels,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=draw(st.booleans()),
    )
    if transposed:  # output_padding below the stride or the dilation; an output of at least 1
        attributes["output_padding"] = tuple(
            draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
        )
        spatial = tuple(draw(st.integers(1 + p, 5 + p)) for p in padding)
    else:
        spatial = tuple(
            draw(st.integers(smallest_input(k, p, d), smallest_input(k, p, d) + 4))
            for k, p, d in zip(kernel, padding, dilation, strict=True)
        )
    op = f"conv{'_transpose' if transposed else ''}{n}d"
    return op, attributes, (in_channels, *spatial), draw(st.integers(1, 2))


@given(nd_conv_configs())
def test_any_convolution_equals_torch(config):
    op, attributes, shape, batch = config
    note(f"{op} {attributes} on {shape}")
    module = getattr(nn, layer_types()[op].torch_module)(shape[0], **attributes)
    try:
        cost = one_layer(op, attributes, shape, batch)
    except CnnCostError:  # an output of less than 1: torch refuses it, or (transposed) makes an empty tensor
        try:
            out, _, _ = run_torch(module, batch, shape)
        except RuntimeError:
            return
        assert 0 in out
        return
    out, params, macs = run_torch(module, batch, shape)
    assert (cost.output_shape.dims, cost.params, cost.macs) == (out, params, macs)


@st.composite
def einsum_configs(draw):
    """An equation of two or three operands over labels a-e, some shared, some summed, with their sizes."""
    labels = "abcde"
    size = {label: draw(st.integers(1, 4)) for label in labels}
    terms = [
        draw(st.lists(st.sampled_from(labels), min_size=1, max_size=3, unique=True))
        for _ in range(draw(st.integers(2, 3)))
    ]
    seen = sorted({label for term in terms for label in term})
    output = draw(st.lists(st.sampled_from(seen), max_size=len(seen), unique=True))
    equation = ",".join("".join(term) for term in terms) + "->" + "".join(output)
    return equation, [tuple(size[label] for label in term) for term in terms]


@given(einsum_configs())
def test_einsum_equals_torch(config):
    equation, shapes = config
    note(equation)
    graph = Graph.build(
        "e",
        [layer("input", f"in{i}", shape=s) for i, s in enumerate(shapes[1:], start=1)]
        + [layer("einsum", "e", "input", *(f"in{i}" for i in range(1, len(shapes))), equation=equation)],
        input=shapes[0],
    )
    ours = cnncost.propagate(graph).layer("e")
    counter = FlopCounterMode(display=False)
    with counter:
        out = torch.einsum(equation, *(torch.randn(s) for s in shapes))
    assert ours.output_shape.dims == tuple(out.shape)
    assert ours.macs == counter.get_total_flops() // 2


@given(
    st.lists(st.integers(1, 3), min_size=1, max_size=4),
    st.lists(st.integers(1, 3), min_size=1, max_size=4),
    st.integers(1, 4),
)
def test_matmul_of_any_rank_equals_torch(lead_a, lead_b, k):
    a, b = (*lead_a[:-1], k), (k, *lead_b[1:]) if len(lead_b) > 1 else (k,)
    try:
        out = torch.matmul(torch.randn(a), torch.randn(b))
    except RuntimeError:
        with pytest.raises(CnnCostError):
            cnncost.propagate(
                Graph.build("m", [layer("input", "b", shape=b), layer("matmul", "m", "input", "b")], input=a)
            )
        return
    ours = cnncost.propagate(
        Graph.build("m", [layer("input", "b", shape=b), layer("matmul", "m", "input", "b")], input=a)
    ).layer("m")
    assert ours.output_shape.dims == tuple(out.shape)
    assert ours.macs == out.numel() * k  # every output element sums k products
