"""Every built-in architecture against its reference implementation's totals.

torchvision's figures were measured with scripts/torchvision_parity.py (torchvision 0.29.1):
parameters and buffers by numel(), multiply-adds as FlopCounterMode's count / 2, at the default input.
The parameter counts are also those of torchvision's documentation.
"""

import pytest

import cnncost
from cnncost.zoo import architecture, list_models

# name: (params, buffers, conv + linear multiply-adds)
TORCHVISION = {
    "alexnet": (61_100_840, 0, 716_767_232),
    "vgg11": (132_863_336, 0, 7_609_090_048),
    "vgg11_bn": (132_868_840, 5_512, 7_609_090_048),
    "vgg13": (133_047_848, 0, 11_308_466_176),
    "vgg13_bn": (133_053_736, 5_898, 11_308_466_176),
    "vgg16": (138_357_544, 0, 15_470_264_320),
    "vgg16_bn": (138_365_992, 8_461, 15_470_264_320),
    "vgg19": (143_667_240, 0, 19_632_062_464),
    "vgg19_bn": (143_678_248, 11_024, 19_632_062_464),
    "googlenet": (6_624_904, 14_617, 1_498_376_192),
    "googlenet-aux": (13_004_888, 15_131, 1_506_748_416),
    "resnet18": (11_689_512, 9_620, 1_814_073_344),
    "resnet34": (21_797_672, 17_060, 3_663_761_408),
    "resnet50": (25_557_032, 53_173, 4_089_184_256),
    "resnet101": (44_549_160, 105_448, 7_801_405_440),
    "resnet152": (60_192_808, 151_579, 11_513_626_624),
    "resnext50_32x4d": (25_028_904, 68_277, 4_230_479_872),
    "resnext101_32x8d": (88_791_336, 202_984, 16_414_015_488),
    "wide_resnet50_2": (68_883_240, 68_277, 11_398_021_120),
    "inception_v3": (23_834_568, 34_526, 5_713_216_096),
    "inception_v3-aux": (27_161_264, 36_320, 5_718_899_296),
    "densenet121": (7_978_856, 83_769, 2_834_161_664),
    "squeezenet1_0": (1_248_424, 0, 818_924_576),
    "squeezenet1_1": (1_235_496, 0, 349_151_936),
    "mobilenet_v2": (3_504_872, 34_164, 300_774_272),
    "mobilenet_v3_large": (5_483_032, 24_446, 216_589_760),
    "shufflenet_v2_x1_0": (2_278_604, 16_236, 144_907_992),
    "efficientnet_b0": (5_288_548, 42_065, 385_814_752),
}

# Variants without a torchvision model: the figures follow from the definitions in their docstrings.
VARIANTS = {
    # conv 2,334,080 + fc 58,631,144 params (see the hand sums in test_alexnet_paper_by_hand)
    "alexnet-paper": (60_965_224, 0, 724_406_816),
    "googlenet-paper": (6_998_552, 0, 1_582_671_872),
    # same weights as torchvision's; the stride moved to the first 1x1 makes the 3x3 convs cheaper
    "resnet50-paper": (25_557_032, 53_173, 3_857_973_248),
    "resnet101-paper": (44_549_160, 105_448, 7_570_194_432),
    "resnet152-paper": (60_192_808, 151_579, 11_282_415_616),
    # ResNet-50 (paper) + the SE blocks: sum over blocks of 2·C²/16 weights + C/16 + C biases = 2,530,992
    "se_resnet50": (28_088_024, 53_173, 3_860_488_192),
    "zfnet": (386_548_840, 0, 10_147_396_384),
    "zfnet-paper": (62_357_608, 0, 1_168_032_896),
}


def test_every_architecture_has_reference_totals():
    assert sorted(list_models()) == sorted({**TORCHVISION, **VARIANTS})


@pytest.mark.parametrize("name", list_models())
def test_totals(name):
    p = cnncost.profile(name)
    assert (p.total.params, p.total.buffers, p.total.macs) == {**TORCHVISION, **VARIANTS}[name]
    assert architecture(name).reference


def test_alexnet_paper_by_hand():
    p = cnncost.profile("alexnet-paper")
    assert p.layer("conv1").output_shape.dims == (96, 55, 55)  # (227 - 11) / 4 + 1
    assert p.layer("conv2").params == 256 * 48 * 5 * 5 + 256  # two groups: each filter sees 96 / 2 channels
    assert p.layer("conv4").params == 384 * 192 * 3 * 3 + 384
    conv = 34_944 + 307_456 + 885_120 + 663_936 + 442_624
    fc = 37_752_832 + 16_781_312 + 4_097_000
    assert p.total.params == conv + fc == 60_965_224


def test_resnet50_paper_differs_only_by_the_stride_position():
    torchvision, paper = cnncost.profile("resnet50"), cnncost.profile("resnet50-paper")
    # First block of stages 2-4: the paper's strided 1x1 (C_in -> planes) runs at the output size, torchvision's
    # at the input size; the 3x3 ends at the output size in both. Each stage saves C_in * planes * (HW_in - HW_out).
    per_stage = [256 * 128 * (56 * 56 - 28 * 28), 512 * 256 * (28 * 28 - 14 * 14), 1024 * 512 * (14 * 14 - 7 * 7)]
    assert per_stage == [77_070_336] * 3
    assert torchvision.total.macs - paper.total.macs == sum(per_stage) == 231_211_008
    assert torchvision.layer("layer2.0.conv2").macs == paper.layer("layer2.0.conv2").macs


def test_googlenet_stem_and_inception_3a():
    p = cnncost.profile("googlenet")
    assert p.layer("maxpool1").output_shape.dims == (64, 56, 56)  # ceil((112 - 3) / 2) + 1
    assert p.layer("maxpool2").output_shape.dims == (192, 28, 28)
    assert p.layer("inception3a.concat").output_shape.dims == (256, 28, 28)  # 64 + 128 + 32 + 32
    assert p.layer("inception5b.concat").output_shape.dims == (1024, 7, 7)  # 384 + 384 + 128 + 128
    # torchvision's "5x5" branch is a 3x3 conv; the paper's is a 5x5
    assert p.layer("inception3a.branch3.1.conv").attributes["kernel_size"] == 3
    assert cnncost.profile("googlenet-paper").layer("inception3a.branch3.1").attributes["kernel_size"] == 5


def test_se_resnet50_adds_the_se_blocks_to_the_paper_resnet50():
    se, plain = cnncost.profile("se_resnet50"), cnncost.profile("resnet50-paper")
    blocks = [(256, 3), (512, 4), (1024, 6), (2048, 3)]  # (channels, blocks) per stage
    weights = sum(n * (2 * c * c // 16 + c // 16 + c) for c, n in blocks)
    assert weights == 2_530_992
    assert se.total.params - plain.total.params == weights
    # the two FCs of an SE block run on a 1x1 map: as many MACs as weights (biases excluded)
    assert se.total.macs - plain.total.macs == sum(n * 2 * c * c // 16 for c, n in blocks) == 2_514_944


def test_zfnet_paper_sizes_from_figure_3():
    p = cnncost.profile("zfnet-paper")
    sizes = {name: p.layer(name).output_shape.dims for name in ("conv1", "pool1", "conv2", "pool2", "pool5")}
    assert sizes == {
        "conv1": (96, 110, 110),
        "pool1": (96, 55, 55),
        "conv2": (256, 26, 26),
        "pool2": (256, 13, 13),
        "pool5": (256, 6, 6),
    }


def test_zfnet_lecture_changes_only_conv1_and_the_widths():
    zf, alex = cnncost.profile("zfnet"), cnncost.profile("alexnet-paper")
    assert zf.layer("conv1").attributes["kernel_size"] == 7 and zf.layer("conv1").attributes["stride"] == 2
    assert [zf.layer(f"conv{i}").output_shape.channels for i in range(1, 6)] == [96, 256, 512, 1024, 512]
    # with conv2 still at stride 1, the maps after pool5 are 13x13: fc6 reads 512*13*13 = 86,528 features
    assert zf.layer("fc6").input_shape.dims == (86_528,)
    assert alex.layer("fc6").input_shape.dims == (9_216,)


def test_shufflenet_split_and_shuffle_cost_no_arithmetic():
    p = cnncost.profile("shufflenet_v2_x1_0")
    moves = [c for c in p.layers if c.op in ("slice", "channel_shuffle", "concat")]
    assert moves and all(c.macs == 0 and c.flops == 0 for c in moves)
    assert p.layer("stage2.1.split.left").output_shape.dims == (58, 28, 28)  # half of 116 channels
