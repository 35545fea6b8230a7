"""Receptive fields against a measurement in torch: the input pixels whose gradient is nonzero for one output pixel.

The gradient of one output element with respect to the input is nonzero exactly where the input can change it,
provided nothing cancels or cuts the gradient. So the networks are measured with every weight and bias positive
and a positive input in float64: every activation is then positive, a ReLU passes its gradient unchanged (it would
zero it where its input is negative) and no sum of gradients cancels. Max pooling passes the gradient to one pixel
of its window only (the maximum), so it is measured as an average pool of the same window: same field, every pixel
of the window reached. Batch norm runs in eval mode (running mean 0, variance 1: a positive scale).
"""

from fractions import Fraction

import pytest

torch = pytest.importorskip("torch")

import cnncost  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.analysis import graph_of  # noqa: E402
from cnncost.analysis.receptive import receptive_fields  # noqa: E402
from cnncost.graph import Node  # noqa: E402
from cnncost.torch.network import build_module  # noqa: E402
from cnncost.zoo import create  # noqa: E402
from cnncost.zoo.blocks import squeeze_excitation  # noqa: E402

AVERAGED = {"max_pool2d": "avg_pool2d", "adaptive_max_pool2d": "adaptive_avg_pool2d"}


def measurable(graph: Graph) -> Graph:
    """The graph with max pools replaced by average pools of the same window (dilated pools cannot be)."""
    nodes = []
    for node in graph.nodes:
        attrs = dict(node.attrs)
        if node.op in AVERAGED:
            assert attrs.pop("dilation", 1) == 1
            nodes.append(Node(node.name, AVERAGED[node.op], node.inputs, tuple(attrs.items())))
        else:
            nodes.append(node)
    return Graph.build(graph.name, nodes, graph.default_input)


def positive_module(graph: Graph, profile):
    torch.manual_seed(0)
    module = build_module(graph, profile, "cpu", torch.float64)
    with torch.no_grad():
        for parameter in module.parameters():
            fan_in = parameter[0].numel() if parameter.dim() > 1 else 1
            parameter.uniform_(0.5, 1.0).div_(fan_in)  # positive, and scaled so values stay near 1
    return module


def measured_span(x, outputs, name: str, index: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """((first, last) row, (first, last) column) of input pixels with a nonzero gradient for output `index` of name."""
    out = outputs[name]
    target = out[0, :, index[0], index[1]].sum() if out.dim() == 4 else out[0].sum()
    (grad,) = torch.autograd.grad(target, x, retain_graph=True)
    rows = grad[0].abs().sum(dim=(0, 2)).nonzero().flatten()
    cols = grad[0].abs().sum(dim=(0, 1)).nonzero().flatten()
    return (int(rows.min()), int(rows.max())), (int(cols.min()), int(cols.max()))


def predicted_span(rf, profile, name: str, index: tuple[int, int]):
    """The field of output `index`, clipped to the input (the padding has no pixels to measure)."""
    spans = []
    for field, i, size in zip(rf[name].axes, index, profile.input_shape.dims[1:], strict=True):
        first, last = field.pixels(i)
        spans.append((max(first, 0), min(last, size - 1)))
    return tuple(spans)


def check(graph: Graph, names: list[str]) -> None:
    """The first output and the middle one; a flat output (which sees every position) from its first pixel.

    NB: not the last output: where floor division leaves the last rows of a map to no window, the field of an
    output at the bottom or right edge is cut short of its size. The top and left edges are exact: everything
    before the first window is padding.
    """
    graph = measurable(graph)
    profile = cnncost.profile(graph)
    rf = {r.name: r for r in receptive_fields(graph_of(profile), profile)}
    x = (torch.rand(1, *profile.input_shape.dims, dtype=torch.float64) + 0.5).requires_grad_()
    outputs = positive_module(graph, profile).forward_all(x)
    for name in names:
        shape = profile.layer(name).output_shape
        if len(shape.dims) == 1:
            measured, predicted = measured_span(x, outputs, name, (0, 0)), predicted_span(rf, profile, name, (0, 0))
            assert all(m[0] == p[0] and m[1] <= p[1] for m, p in zip(measured, predicted, strict=True)), (
                f"{graph.name} {name}"
            )
            continue
        for index in [(0, 0), (shape.dims[1] // 2, shape.dims[2] // 2)]:
            assert measured_span(x, outputs, name, index) == predicted_span(rf, profile, name, index), (
                f"{graph.name} {name} at {index}"
            )


def test_two_3x3_and_one_5x5_measure_the_same_field():
    check(create("conv3x3-x2"), ["conv1", "conv2"])
    check(create("conv5x5"), ["conv1"])


@pytest.mark.slow
def test_alexnet():
    check(create("alexnet"), ["conv1", "pool1", "conv2", "pool2", "conv5", "pool5", "fc8"])


def test_rectangular_dilated_strided_and_ceil_mode():
    check(
        Graph.build(
            "rect",
            [
                layer("conv2d", "c17", out_channels=4, kernel_size=(1, 7), padding=(0, 3)),
                layer("conv2d", "c71", out_channels=4, kernel_size=(7, 1), padding=(3, 0)),
                layer("conv2d", "dil", out_channels=4, kernel_size=3, dilation=(2, 3), padding=(2, 1), stride=(1, 2)),
                layer("max_pool2d", "pool", kernel_size=3, stride=2, padding=1, ceil_mode=True),
                layer("conv2d", "wide", out_channels=4, kernel_size=(3, 5), stride=(2, 1)),
            ],
            input=(2, 41, 37),
        ),
        ["c17", "c71", "dil", "pool", "wide"],
    )


def test_branches_resnet_inception_and_squeeze_excitation():
    check(create("resnet-bottleneck"), [node.name for node in create("resnet-bottleneck").nodes][-3:])
    check(create("inception-bottleneck"), ["inception.concat"])
    check(
        Graph.build(
            "se",
            [
                layer("conv2d", "conv", out_channels=8, kernel_size=3, padding=1),
                *squeeze_excitation("se", "conv", 8, 2),
            ],
            input=(3, 12, 12),
        ),
        ["se.scale"],
    )


def test_resnet18_downsampling_block():
    graph = create("resnet18")
    cut = Graph.build(
        "resnet18-head",
        [n for n in graph.nodes if not n.name.startswith(("layer3", "layer4", "avgpool", "flatten", "fc"))],
        (3, 96, 96),
    )
    check(cut, ["maxpool", "layer1.1.relu", "layer2.0.add", "layer2.1.relu"])


def test_transposed_conv_and_upsampling_fields_bound_what_torch_measures():
    """A stride-1 transposed conv is a conv with padding d(k-1) - p: exact. Strided ones and upsampling make the jump
    a fraction, and the field a bound: every pixel torch measures lies inside it."""
    graph = Graph.build(
        "decoder",
        [
            layer("conv2d", "down", out_channels=4, kernel_size=3, stride=2, padding=1),
            layer("conv_transpose2d", "same", out_channels=4, kernel_size=3, padding=1),
            layer("conv_transpose2d", "up", out_channels=4, kernel_size=4, stride=2, padding=1),
            layer("interpolate", "resize", scale_factor=2, mode="bilinear"),
        ],
        input=(2, 24, 24),
    )
    profile = cnncost.profile(graph)
    rf = {r.name: r for r in receptive_fields(graph_of(profile), profile)}
    assert rf["same"].exact and not rf["up"].exact and not rf["resize"].exact
    assert rf["up"].height.jump == 1 and rf["resize"].height.jump == Fraction(1, 2)  # strides 2, then 1/2, then 1/2
    x = (torch.rand(1, 2, 24, 24, dtype=torch.float64) + 0.5).requires_grad_()
    outputs = positive_module(graph, profile).forward_all(x)
    check(graph, ["down", "same"])
    for name in ("up", "resize"):
        shape = profile.layer(name).output_shape
        for index in [(0, 0), (shape.dims[1] // 2, shape.dims[2] // 2), (shape.dims[1] - 1, shape.dims[2] - 1)]:
            measured = measured_span(x, outputs, name, index)
            predicted = predicted_span(rf, profile, name, index)
            assert all(p[0] <= m[0] and m[1] <= p[1] for m, p in zip(measured, predicted, strict=True)), (name, index)
