"""Receptive fields by hand: size, jump and start through strides, padding, dilation, rectangular kernels, branches."""

import pytest

import cnncost
from cnncost import Graph, layer
from cnncost.analysis import graph_of
from cnncost.analysis.receptive import Field, receptive_fields, window
from cnncost.errors import CnnCostError


def fields(model, input=None) -> dict:
    p = cnncost.profile(model, input=input)
    return {rf.name: rf for rf in receptive_fields(graph_of(p), p)}


def square(rf) -> tuple[int, int, int]:
    assert rf.height == rf.width
    return rf.height.size, rf.height.jump, rf.height.start


def test_window_formula():
    # size 3 + 2·(3−1)·2 = 11, jump 2·2 = 4, start −1 − 1·2 = −3
    assert window(Field(3, 2, -1), kernel=3, stride=2, padding=1, dilation=2) == Field(11, 4, -3)
    assert Field(11, 4, -3).pixels(5) == (17, 27)  # −3 + 5·4 = 17 .. 17 + 10


def test_alexnet_by_hand():
    rf = fields("alexnet")
    assert square(rf["conv1"]) == (11, 4, -2)  # 11x11 stride 4, padding 2
    assert square(rf["relu1"]) == (11, 4, -2)  # in place, pointwise
    assert square(rf["pool1"]) == (19, 8, -2)  # 11 + (3−1)·4
    assert square(rf["conv2"]) == (51, 8, -18)  # 19 + 4·8; −2 − 2·8
    assert square(rf["pool2"]) == (67, 16, -18)  # 51 + 2·8
    assert square(rf["conv3"]) == (99, 16, -34)  # 67 + 2·16; −18 − 16
    assert square(rf["conv4"]) == (131, 16, -50)
    assert square(rf["conv5"]) == (163, 16, -66)
    assert square(rf["pool5"]) == (195, 32, -66)  # 163 + 2·16: the 195 the literature gives
    assert square(rf["avgpool"]) == (195, 32, -66)  # 6x6 to 6x6: a window of 1
    assert square(rf["flatten"]) == (355, 192, -66)  # the whole 6x6 map: 195 + 5·32
    assert square(rf["fc8"]) == (355, 192, -66)


def test_vgg16_by_hand():
    rf = fields("vgg16")
    # each 3x3 conv adds 2·jump; each 2x2 pool adds 1·jump and doubles it
    expected = {
        "conv1_1": 3,
        "conv1_2": 5,
        "pool1": 6,
        "conv2_1": 10,
        "conv2_2": 14,
        "pool2": 16,
        "conv3_1": 24,
        "conv3_2": 32,
        "conv3_3": 40,
        "pool3": 44,
        "conv4_1": 60,
        "conv4_2": 76,
        "conv4_3": 92,
        "pool4": 100,
        "conv5_1": 132,
        "conv5_2": 164,
        "conv5_3": 196,
        "pool5": 212,
    }
    assert {name: rf[name].height.size for name in expected} == expected
    # start: each conv's padding 1 times its input jump, 2 convs at jump 1 and 2, 3 at jump 4, 8 and 16
    assert square(rf["pool5"]) == (212, 32, -(1 + 1) - 2 * 2 - 4 * 3 - 8 * 3 - 16 * 3)


def test_two_3x3_see_what_one_5x5_sees():
    one, two = fields("conv5x5"), fields("conv3x3-x2")
    assert square(one["conv1"]) == square(two["conv2"]) == (5, 1, -2)  # 3 + 2·1 = 5; −1 − 1
    assert square(two["conv1"]) == (3, 1, -1)
    assert square(fields("conv3x3-x3")["conv3"]) == square(fields("conv7x7")["conv1"]) == (7, 1, -3)


def test_resnet50_last_stage():
    rf = fields("resnet50")
    assert square(rf["layer4.2.relu"]) == (427, 32, -213)  # the theoretical 427 of ResNet-50
    assert square(rf["maxpool"]) == (11, 4, -5)  # 7/2 pad 3, then 3/2 pad 1: 7 + 2·2; −3 − 2


def test_rectangular_and_dilated_kernels_keep_h_and_w_apart():
    net = Graph.build(
        "rect",
        [
            layer("conv2d", "c17", out_channels=4, kernel_size=(1, 7), padding=(0, 3)),
            layer("conv2d", "c71", out_channels=4, kernel_size=(7, 1), padding=(3, 0)),
            layer("conv2d", "dil", out_channels=4, kernel_size=3, dilation=(2, 1), padding=(2, 1), stride=(1, 2)),
        ],
        input=(3, 32, 32),
    )
    rf = fields(net)
    assert (rf["c17"].height, rf["c17"].width) == (Field(1, 1, 0), Field(7, 1, -3))
    assert (rf["c71"].height, rf["c71"].width) == (Field(7, 1, -3), Field(7, 1, -3))
    # H: 7 + 2·(3−1)·1 = 11, start −3 − 2; W: 7 + (3−1)·1 = 9, jump 2, start −3 − 1
    assert (rf["dil"].height, rf["dil"].width) == (Field(11, 1, -5), Field(9, 2, -4))


def test_merge_takes_the_union_of_its_inputs():
    net = Graph.build(
        "branches",
        [
            layer("conv2d", "small", out_channels=4, kernel_size=1),
            layer("conv2d", "big", "input", out_channels=4, kernel_size=5, padding=2),
            layer("conv2d", "shifted", "input", out_channels=4, kernel_size=3),  # no padding: output 0 sees 0..2
            layer("add", "sum", "small", "big"),
            layer("concat", "cat", "small", "big"),
            layer("slice", "rows", "shifted", start=1, end=4, dim=1),
        ],
        input=(3, 8, 8),
    )
    rf = fields(net)
    assert square(rf["sum"]) == square(rf["cat"]) == square(rf["big"]) == (5, 1, -2)  # 1x1 nested in 5x5
    assert rf["rows"].height == Field(3, 1, 1) and rf["rows"].width == Field(3, 1, 0)  # row 0 of the slice is row 1


def test_squeeze_excitation_gate_sees_the_whole_map():
    rf = fields("se_resnet50")
    conv3 = rf["layer1.0.bn3"].height
    gate = rf["layer1.0.se.gate"].height  # a global pool over 56 positions of jump 4: size + 55·4
    assert gate == Field(conv3.size + 55 * 4, 4 * 56, conv3.start)
    # the gate covers every position's field: each output of the scale sees the same pixels, the gate's
    assert rf["layer1.0.se.scale"].height == Field(gate.size, 0, gate.start)
    assert rf["layer1.1.conv2"].height.jump == 0  # and so does everything after it


def test_uneven_adaptive_pool_is_marked():
    assert all(rf.exact for rf in fields("alexnet").values())
    rf = fields("alexnet", input="3x160x160")  # pool5 is 4x4, pooled to 6x6: windows of 1 and 2
    assert not rf["avgpool"].exact and not rf["fc8"].exact and rf["pool5"].exact


def test_every_architecture_has_fields():
    for name in cnncost.list_models():
        p = cnncost.profile(name)
        assert len(receptive_fields(graph_of(p), p)) == len(p.layers)


def test_flat_input_is_refused():
    net = Graph.build("mlp", [layer("linear", "fc", out_features=2)], input=(10,))
    with pytest.raises(CnnCostError, match="receptive fields need an input with spatial dimensions"):
        fields(net)


def test_mean_linear_on_a_map_and_ops_without_a_formula():
    net = Graph.build(
        "mixed",
        [
            layer("conv2d", "conv", out_channels=4, kernel_size=3, padding=1),
            layer("mean", "rows", dim=1, keepdim=True),  # averages H: every row
            layer("linear", "mix", "conv", out_features=8),  # torch's linear acts on W
            layer("reshape", "same", "conv", shape=(4, 8, 8)),
            layer("uncounted", "odd", "conv", output_shape=(4, 8, 8), source="torch.roll"),
        ],
        input=(3, 8, 8),
    )
    rf = fields(net)
    # conv: 3, start −1; a whole axis of 8 positions of jump 1 adds 7: size 10, jump 8
    assert (rf["rows"].height, rf["rows"].width) == (Field(10, 8, -1), Field(3, 1, -1))
    assert (rf["mix"].height, rf["mix"].width) == (Field(3, 1, -1), Field(10, 8, -1))
    assert rf["same"].height == Field(3, 1, -1) and rf["same"].exact
    assert rf["odd"].height == Field(10, 8, -1) and not rf["odd"].exact


def test_table_rf_columns(capsys):
    import json

    from cnncost.cli import main

    assert main(["table", "alexnet", "--rf"]) == 0
    out = capsys.readouterr().out
    assert "┃  RF ┃ jump ┃ start ┃" in out and "│ 195 │   32 │   -66 │" in out  # pool5
    assert main(["table", "inception_v3", "--rf", "--format", "json"]) == 0
    layers = {layer["name"]: layer for layer in json.loads(capsys.readouterr().out)["layers"]}
    seven = layers["Mixed_6b.branch7x7_2.conv"]  # a 1x7 conv: the fields differ along H and W
    assert (seven["rf_h"], seven["rf_w"]) == (159, 255) and seven["rf_h"] + 6 * 16 == seven["rf_w"]
    assert main(["table", "inception_v3", "--rf"]) == 0
    assert " 159x255 │" in capsys.readouterr().out
    assert main(["table", "alexnet", "--rf", "--input", "3x160x160", "--format", "md"]) == 0
    assert "| ~387 |" in capsys.readouterr().out  # after the uneven adaptive pool (4x4 to 6x6): a bound


def test_one_and_three_dimensional_fields():
    audio = fields(
        Graph.build(
            "audio",
            [layer("conv1d", "c", out_channels=4, kernel_size=9, stride=4), layer("max_pool1d", "p", kernel_size=2)],
            input=(1, 400),
        )
    )
    assert audio["c"].axes == (Field(9, 4, 0),) and audio["p"].axes == (Field(13, 8, 0),)  # 9 + (2-1)*4
    video = fields(
        Graph.build(
            "video",
            [layer("conv3d", "c", out_channels=4, kernel_size=(3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3))],
            input=(3, 8, 32, 32),
        )
    )
    assert video["c"].axes == (Field(3, 1, -1), Field(7, 2, -3), Field(7, 2, -3))  # T, H, W


def test_a_channels_last_block_keeps_its_field():
    """ConvNeXt permutes to N x H x W x C for its LayerNorm and MLP: the fields follow H and W through the permutes,
    and the MLP, which acts on C, sees one position."""
    pytest.importorskip("torch")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    import models

    p = cnncost.profile(models.ConvNeXt(), input=(3, 32, 32))
    rf = {r.name: r for r in receptive_fields(graph_of(p), p)}
    dw = rf["stages.0.dwconv"]
    assert dw.height == Field(4 + 6 * 4, 4, -12)  # the 4x4 stem, then 7x7 at jump 4 padding 3: 28, start -12
    assert rf["stages.0.pwconv2"].axes == dw.axes and rf["stages.0.pwconv2"].exact
    assert rf["stages.0.add"].axes == dw.axes  # the residual's union: the larger field
