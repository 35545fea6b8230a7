"""Graph construction and validation: default inputs, names, order, attributes."""

import pytest

from cnncost import Graph, GraphError, layer


def build(*nodes):
    return Graph.build("net", nodes, (3, 8, 8))


def test_default_input_is_the_node_before():
    g = build(layer("conv2d", "a", out_channels=4, kernel_size=3), layer("relu", "b"), layer("add", "c", "a", "b"))
    assert [n.inputs for n in g.nodes] == [("input",), ("a",), ("a", "b")]
    assert g.output == "c"
    assert g.consumers()["a"] == ["b", "c"]


def test_nested_blocks_are_flattened():
    block = [layer("relu", "r1"), [layer("relu", "r2")]]
    assert [n.name for n in build(block, layer("relu", "r3")).nodes] == ["r1", "r2", "r3"]


@pytest.mark.parametrize(
    "nodes, message",
    [
        ((layer("relu", "a"), layer("relu", "a")), "a: two layers have this name"),
        ((layer("relu", "input"),), "a layer may not be named 'input'"),
        ((layer("relu", "a", "nowhere"),), "a: input 'nowhere' is not a layer of net"),
        ((layer("relu", "a", "b"), layer("relu", "b", "a")), "a: input 'b' comes after it"),
        ((layer("convolution", "a"),), "a: unknown layer type 'convolution'"),
        (
            (layer("conv2d", "a", out_channels=4, kernel=3),),
            "a: conv2d has no attribute 'kernel' \\(did you mean: kernel_size",
        ),
        ((layer("conv2d", "a", out_channels=4),), "a: conv2d needs kernel_size"),
        (
            (layer("relu", "a"), layer("conv2d", "b", "input", "a", out_channels=4, kernel_size=1)),
            "b: conv2d takes 1 input\\(s\\), got 2",
        ),
    ],
)
def test_validation_names_the_layer(nodes, message):
    with pytest.raises(GraphError, match=message):
        build(*nodes)


def test_unknown_type_lists_the_known_ones():
    with pytest.raises(GraphError, match="known: adaptive_avg_pool1d, adaptive_avg_pool2d, .*conv2d"):
        build(layer("conv4d", "a"))
