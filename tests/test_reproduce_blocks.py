"""Blocks as standalone graphs: the registry keeps them apart from the networks, and the engine checks the
lectures' symbolic claims about them at several sizes."""

import pytest

import cnncost
from cnncost.cli import main
from cnncost.zoo import architecture, create, list_blocks, list_models, register_block
from cnncost.zoo.block_graphs import (
    inception_naive_graph,
    resnet_basic_graph,
    resnet_bottleneck_graph,
    same_width_stack,
)

BLOCKS = list_blocks()


def weights(profile) -> int:
    """Parameters without the conv biases (the symbolic claims count weights only)."""
    return sum(
        c.params - (c.output_shape.channels if c.attributes.get("bias") else 0)
        for c in profile.layers
        if c.op == "conv2d"
    )


def test_blocks_and_networks_are_listed_apart():
    assert BLOCKS and not set(BLOCKS) & set(list_models())
    assert set(list_models(kind=None)) == set(BLOCKS) | set(list_models())
    assert all(architecture(name).kind == "block" for name in BLOCKS)
    assert all(architecture(name).kind == "network" for name in list_models())


def test_a_block_name_is_registered_once():
    with pytest.raises(ValueError, match="'inception-naive' is already registered"):
        register_block("inception-naive", "Inception", "again")(lambda: None)


@pytest.mark.parametrize("name", BLOCKS)
def test_block_totals_are_the_sums_of_the_layers(name):
    p = cnncost.profile(name)
    assert create(name).name == name and architecture(name).reference
    for quantity in ("params", "buffers", "macs", "flops", "activation_bytes"):
        assert getattr(p.total, quantity) == sum(getattr(c, quantity) for c in p.layers)
    assert p.total.macs > 0 and p.total.flops >= 2 * p.total.macs


@pytest.mark.parametrize("name", [n for n in BLOCKS if not n.endswith("-head") and n != "googlenet-stem"])
def test_stride_one_blocks_cost_four_times_as_much_at_twice_the_size(name):
    p = cnncost.profile(name)
    c, h, w = p.input_shape.dims
    bigger = cnncost.profile(name, input=(c, 2 * h, 2 * w))
    assert bigger.total.macs == 4 * p.total.macs and bigger.total.params == p.total.params


@pytest.mark.parametrize("channels, size", [(1, 5), (16, 7), (64, 56), (100, 9)])
def test_two_3x3_against_one_5x5(channels, size):
    one = cnncost.profile(same_width_stack("a", 5, 1, channels, size))
    two = cnncost.profile(same_width_stack("b", 3, 2, channels, size))
    c2, hw = channels**2, size * size
    assert (weights(one), weights(two)) == (25 * c2, 18 * c2)
    assert (one.total.macs, two.total.macs) == (25 * c2 * hw, 18 * c2 * hw)


@pytest.mark.parametrize("channels, size", [(1, 7), (16, 7), (64, 56), (100, 9)])
def test_three_3x3_against_one_7x7(channels, size):
    one = cnncost.profile(same_width_stack("a", 7, 1, channels, size))
    three = cnncost.profile(same_width_stack("b", 3, 3, channels, size))
    assert (weights(one), weights(three)) == (49 * channels**2, 27 * channels**2)


@pytest.mark.parametrize("channels, size", [(64, 56), (128, 28), (256, 14), (512, 7), (3, 5)])
def test_bottleneck_block_against_basic_block(channels, size):
    basic = cnncost.profile(resnet_basic_graph("basic", channels, size))
    bottleneck = cnncost.profile(resnet_bottleneck_graph("bottleneck", channels, size))
    hw_c2 = size * size * channels**2
    assert (basic.total.macs, bottleneck.total.macs) == (18 * hw_c2, 17 * hw_c2)  # 9+9 against 4+9+4
    assert bottleneck.output_shape.dims == (4 * channels, size, size)


def test_inception_modules_at_28x28x256():
    naive, bottleneck = cnncost.profile("inception-naive"), cnncost.profile("inception-bottleneck")
    assert naive.output_shape.dims == (128 + 192 + 96 + 256, 28, 28)  # the pool keeps all 256 channels
    assert bottleneck.output_shape.dims == (128 + 192 + 96 + 64, 28, 28)
    # 784 positions x (128*256 + 192*9*256 + 96*25*256) = 784 * 1,089,536
    assert naive.total.macs == 784 * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256) == 854_196_224
    # 784 x (128*256 + 64*256 + 192*9*64 + 64*256 + 96*25*64 + 64*256) = 784 * 346,112
    assert bottleneck.total.macs == 784 * 346_112 == 271_351_808
    assert cnncost.profile(inception_naive_graph("n", (512, 14, 14))).output_shape.dims == (928, 14, 14)


def test_heads_and_stem_are_the_networks_own():
    googlenet, vgg16, paper = (cnncost.profile(n) for n in ("googlenet", "vgg16", "googlenet-paper"))
    assert cnncost.profile("googlenet-head").total.params == googlenet.layer("fc").params == 1024 * 1000 + 1000
    assert cnncost.profile("vgg16-head").total.params == sum(vgg16.layer(n).params for n in ("fc6", "fc7", "fc8"))
    stem = cnncost.profile("googlenet-stem")
    assert stem.output_shape == paper.layer("maxpool2").output_shape
    convs = [c.params for c in stem.layers if c.op == "conv2d"]
    assert convs == [paper.layer(n).params for n in ("conv1", "conv2", "conv3")]


def test_table_of_a_block(capsys):
    assert main(["table", "inception-naive", "--input", "256x28x28"]) == 0
    out = capsys.readouterr().out
    assert "inception.concat" in out and "854,196,224" in out


def test_a_block_at_a_size_its_widths_refuse(capsys):
    assert main(["table", "resnet-basic", "--input", "128x28x28"]) == 2
    assert "block.add: cannot add" in capsys.readouterr().err
