"""Views and data movement (no FLOPs), the tensors no layer computes from the input, and several outputs."""

import pytest

import cnncost
from cnncost import Graph, layer
from cnncost.errors import ShapeError
from cnncost.layers import layer_type
from cnncost.shapes import Shape as S


def cost(op, *inputs, **attrs):
    return layer_type(op).formula(*(S(i) for i in inputs), **attrs)


def test_views_cost_nothing():
    assert cost("flatten", (8, 2, 3, 4), start_dim=1).output == S((8, 24))
    assert cost("flatten", (8, 2, 3, 4), start_dim=2).output == S((8, 2, 12))  # ViT's patches: N x C x HW
    assert cost("permute", (2, 3, 4), dims=(2, 0, 1)).output == S((4, 2, 3))
    assert cost("expand", (1, 1, 8), shape=(4, 1, 8)).output == S((4, 1, 8))  # a class token for 4 samples
    assert cost("select", (5, 197, 8), dim=1, index=0).output == S((5, 8))  # x[:, 0]
    item = cost("getitem", (4, 6, 6), index=[[0, 4, 2], 3, "new", "..."])
    assert item.output == S((2, 1, 6))  # rows 0 and 2, column 3 dropped, a new axis, the rest
    for result in (item, cost("permute", (2, 3), dims=(1, 0))):
        assert (result.macs, result.flops) == (0, 0)
    with pytest.raises(ShapeError, match="cannot expand 2x8 to \\[4, 1, 8\\]"):
        cost("expand", (2, 8), shape=(4, 1, 8))


def test_data_movement_costs_nothing_but_memory():
    assert cost("pixel_shuffle", (8, 3, 3), upscale_factor=2).output == S((2, 6, 6))
    assert cost("pixel_unshuffle", (2, 6, 6), downscale_factor=2).output == S((8, 3, 3))
    assert cost("pad", (2, 4, 4), pad=(1, 1, 2, 0)).output == S((2, 6, 6))  # W by 1 + 1, H by 2 + 0
    assert cost("stack", (2, 3), (2, 3), dim=1).output == S((2, 2, 3))
    assert cost("repeat", (2, 3), sizes=(2, 1, 2)).output == S((2, 2, 6))
    assert cost("roll", (2, 5, 5), shifts=(2, 2), dims=(1, 2)).flops == 0
    assert cost("gather", (169, 4), (2401,), output_shape=(2401, 4)).output == S((2401, 4))  # Swin's bias table
    assert cost("setitem", (4, 4), (2, 4)).in_place


def test_sources_scale_not_with_the_batch():
    graph = Graph.build(
        "token",
        [
            layer("parameter", "class_token", shape=(1, 8)),
            layer("linear", "embed", "input", out_features=8),
            layer("concat", "tokens", "class_token", "embed", dim=0),
        ],
        input=(3, 4),
    )  # one sample: 3 tokens of 4 features
    p = cnncost.propagate(graph, batch=5)
    assert p.layer("class_token").params == 8 and p.layer("class_token").activation_bytes == 0  # weights
    assert p.layer("embed").macs == 5 * 3 * 4 * 8  # the batch multiplies what depends on the input
    assert p.total.params == 8 + (4 * 8 + 8)


def test_unused_tensors_count_and_cost_nothing():
    u = cost("unused", params=10, buffers=2)
    assert (u.params, u.buffers, u.macs, u.flops) == (10, 2, 0, 0) and u.in_place


def test_several_outputs_are_picked_by_item():
    graph = Graph.build(
        "rnn",
        [
            layer("lstm", "lstm", input_size=4, hidden_size=6),
            layer("item", "h_n", "lstm", index=1),
            layer("linear", "fc", out_features=2),
        ],
        input=(5, 4),
    )
    p = cnncost.propagate(graph)
    assert p.layer("h_n").output_shape == S((1, 6))  # one sample's T x I: torch's unbatched states
    assert p.layer("lstm").activation_bytes == (5 * 6 + 6 + 6) * 4  # every output's memory
    with pytest.raises(cnncost.CnnCostError, match="item index 3 is not one of the 3 output"):
        cnncost.propagate(
            Graph.build(
                "bad", [layer("lstm", "lstm", input_size=4, hidden_size=6), layer("item", "x", index=3)], input=(5, 4)
            )
        )
