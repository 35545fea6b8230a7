"""Convolutions, transposed convolutions and pooling over 1, 2 and 3 spatial dimensions, by hand; a batched input
(a traced network's N×C×…) costs N times one sample's."""

import pytest

from cnncost.errors import ShapeError
from cnncost.layers import layer_type
from cnncost.shapes import Shape as S


def cost(op, *inputs, **attrs):
    return layer_type(op).formula(*(S(i) for i in inputs), **attrs)


def test_conv1d_on_a_waveform():
    c = cost("conv1d", (1, 400), out_channels=8, kernel_size=9, stride=4)
    assert c.output == S((8, 98))  # (400 - 9) // 4 + 1 = 98
    assert c.params == 8 * 1 * 9 + 8  # 80
    assert c.macs == 8 * 98 * 9  # 7,056


def test_conv3d_on_a_clip():
    c = cost(
        "conv3d",
        (3, 16, 112, 112),
        out_channels=64,
        kernel_size=(3, 7, 7),
        stride=(1, 2, 2),
        padding=(1, 3, 3),
        bias=False,
    )
    assert c.output == S((64, 16, 56, 56))  # T: (16 + 2 - 3) + 1; H: (112 + 6 - 7) // 2 + 1 = 56
    assert c.params == 64 * 3 * 3 * 7 * 7  # 28,224: r3d_18's stem
    assert c.macs == 64 * 16 * 56 * 56 * (3 * 3 * 7 * 7)  # 3,211,264 outputs x 441 weights = 1,416,167,424


def test_a_batch_costs_n_samples():
    one = cost("conv2d", (3, 8, 8), out_channels=4, kernel_size=3)
    four = cost("conv2d", (4, 3, 8, 8), out_channels=4, kernel_size=3)  # N x C x H x W, as torch gives it
    assert four.output == S((4, 4, 6, 6)) and four.macs == 4 * one.macs and four.params == one.params


def test_padding_same_and_valid():
    same = cost("conv2d", (3, 10, 10), out_channels=2, kernel_size=4, padding="same")
    assert same.output == S((2, 10, 10))  # an even kernel: 1 row before, 2 after, as torch pads it
    assert cost("conv1d", (3, 10), out_channels=2, kernel_size=3, padding="valid").output == S((2, 8))
    with pytest.raises(ShapeError, match="padding='same' needs stride 1"):
        cost("conv2d", (3, 10, 10), out_channels=2, kernel_size=3, stride=2, padding="same")


def test_transposed_conv_doubles_the_map():
    c = cost("conv_transpose2d", (16, 10, 10), out_channels=8, kernel_size=4, stride=2, padding=1)
    assert c.output == S((8, 20, 20))  # (10 - 1) * 2 - 2 + (4 - 1) + 0 + 1 = 20
    assert c.params == 16 * 8 * 4 * 4 + 8  # 2,056: weight C_in x C_out/groups x k x k, and a bias per output
    assert c.macs == 16 * 10 * 10 * 8 * 4 * 4  # each input element scatters through 128 weights: 204,800


def test_transposed_conv_output_padding_groups_dilation():
    c = cost(
        "conv_transpose1d", (4, 5), out_channels=6, kernel_size=3, stride=2, output_padding=1, groups=2, dilation=2
    )
    assert c.output == S((6, 14))  # (5 - 1) * 2 - 0 + 2 * (3 - 1) + 1 + 1 = 14
    assert c.macs == 4 * 5 * (6 // 2) * 3  # 20 inputs x 3 outputs per group x 3 taps = 180
    with pytest.raises(ShapeError, match="output_padding"):
        cost("conv_transpose1d", (4, 5), out_channels=6, kernel_size=3, stride=2, output_padding=2)


def test_transposed_conv3d_up_a_volume():
    c = cost("conv_transpose3d", (8, 2, 4, 4), out_channels=4, kernel_size=2, stride=2)
    assert c.output == S((4, 4, 8, 8))  # each dimension doubles: (n - 1) * 2 + 1 + 1
    assert c.macs == 8 * 2 * 4 * 4 * 4 * 8  # 256 input elements x 4 outputs x 2x2x2 taps = 8,192


def test_pools_in_one_and_three_dimensions():
    p = cost("max_pool1d", (8, 98), kernel_size=2)
    assert p.output == S((8, 49)) and p.flops == 8 * 49 * 2  # 784 comparisons
    v = cost("max_pool3d", (64, 16, 56, 56), kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1))
    assert v.output == S((64, 16, 28, 28)) and v.flops == 64 * 16 * 28 * 28 * 9
    a = cost("avg_pool3d", (2, 4, 6, 6), kernel_size=2)
    assert a.output == S((2, 2, 3, 3)) and a.flops == 2 * 2 * 3 * 3 * 8


def test_adaptive_pools_in_one_and_three_dimensions():
    # 7 -> 3 windows [0,3) [2,5) [4,7): 9 per axis, as in 2-d; a clip of 16 frames to 1: all 16
    assert cost("adaptive_avg_pool1d", (4, 7), output_size=3).flops == 4 * 9
    g = cost("adaptive_avg_pool3d", (512, 2, 7, 7), output_size=1)
    assert g.output == S((512, 1, 1, 1)) and g.flops == 512 * 2 * 7 * 7
    assert cost("adaptive_max_pool2d", (4, 7, 7), output_size=(None, 3)).output == S((4, 7, 3))  # None keeps H
