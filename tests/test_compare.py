"""cnncost compare: cuts at a size or to a layer range, totals as the sums of the kept layers, ratio columns."""

import dataclasses
import json

import pytest

import cnncost
from cnncost.cli import main
from cnncost.cuts import Operand, cut_profile, parse_operand, parse_size
from cnncost.errors import CnnCostError
from cnncost.profiler import side

# VGG-16 from 224x224 to 28x28: conv1_1, conv1_2, conv2_1, conv2_2, conv3_1, conv3_2, conv3_3 (MACs each)
VGG16_TO_28 = [
    64 * 224 * 224 * 27,
    64 * 224 * 224 * 576,
    128 * 112 * 112 * 576,
    128 * 112 * 112 * 1152,
    256 * 56 * 56 * 1152,
    256 * 56 * 56 * 2304,
    256 * 56 * 56 * 2304,
]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_until_cuts_after_the_first_layer_that_reaches_the_size():
    vgg = side(Operand("vgg16"), until=(28, 28)).profile
    assert (vgg.layers[0].name, vgg.layers[-1].name) == ("conv1_1", "pool3")
    assert vgg.total.macs == sum(VGG16_TO_28) == 9_335_144_448
    stem = side(Operand("googlenet"), until=(28, 28)).profile
    assert stem.layers[-1].name == "maxpool2" and stem.output_shape.dims == (192, 28, 28)
    # 64*3*49 + 64*64 + 192*64*9 conv weights, and gamma, beta of three batch norms: 2 * (64 + 64 + 192)
    assert stem.total.params == 9_408 + 4_096 + 110_592 + 640 == 124_736


def test_a_cut_keeps_the_parameters_a_module_does_not_train():
    # conv a: 8 x 3 x 3 x 3 weights + 8 biases = 224, of which a recorded module froze all; conv b: 8 x 8 x 3 x 3 + 8 = 584
    a, b = (
        cnncost.layer("conv2d", "a", out_channels=8, kernel_size=3),
        cnncost.layer("conv2d", "b", out_channels=8, kernel_size=3),
    )
    graph = cnncost.Graph.build("frozen", [dataclasses.replace(a, frozen=224), b], (3, 16, 16))
    whole = cnncost.profile(graph)
    assert (whole.total.params, whole.total.trainable_params) == (224 + 584, 584)
    assert cut_profile(whole, "a", "b").total.trainable_params == 584  # the whole network, cut: as the whole
    assert cut_profile(whole, "a", "a").total.trainable_params == 0
    assert cut_profile(whole, "b", "b").total.trainable_params == 584


def test_until_takes_the_in_place_layers_that_follow():
    cut = side(Operand("alexnet"), until=(56, 56)).profile
    assert [c.name for c in cut.layers] == ["conv1", "relu1"]  # 227 -> 56, and the ReLU in place
    assert side(Operand("alexnet"), until=(30, 30)).profile.layers[-1].name == "pool1"  # 56 -> 27


def test_a_range_equals_the_same_cut_by_size():
    by_range = side(parse_operand("vgg16:conv1_1..pool3")).profile
    by_size = side(Operand("vgg16"), until=(28, 28)).profile
    assert by_range.layers == by_size.layers and by_range.total == by_size.total


def test_a_range_inside_a_network_starts_from_its_first_layers_input():
    cut = side(parse_operand("resnet18:layer2.0.conv1..layer2.0.add")).profile
    assert cut.input_shape.dims == (64, 56, 56)
    assert cut.total.input_bytes == 64 * 56 * 56 * 4
    assert cut.total.params == sum(c.params for c in cut.layers)
    assert [c.name for c in cut.layers][-1] == "layer2.0.add"
    open_ended = side(parse_operand("vgg16:fc6..")).profile
    assert [c.name for c in open_ended.layers][-1] == "fc8"


def test_batch_and_dtype_reach_the_cut():
    cut = side(Operand("googlenet-stem"), batch=2, dtype="fp16", until=(28, 28)).profile
    # conv outputs 64*112*112 + 64*56*56 + 192*56*56 and pool outputs 64*56*56 + 192*28*28, 2 samples, 2 bytes
    elements = 802_816 + 200_704 + 602_112 + 200_704 + 150_528
    assert cut.total.activation_bytes == elements * 2 * 2


def test_compare_prints_totals_and_ratios(capsys):
    code, out, err = run(capsys, "compare", "googlenet-stem", "vgg16", "--until", "28x28")
    assert code == 0 and err == ""
    assert "conv1_1..pool3" in out and "9,335,144,448" in out
    assert "19.54" in out  # 9,335,144,448 / 477,675,520 = 19.543...
    assert "Each x column divides a total by the first row's" in out


def test_compare_markdown_with_per_layer_tables(capsys):
    code, out, _ = run(capsys, "compare", "inception-naive", "inception-bottleneck", "--per-layer", "--format", "md")
    assert code == 0 and out.startswith("# inception-naive vs inception-bottleneck: batch 1, fp32")
    assert "**inception-bottleneck (inception.branch1..inception.concat): 256x28x28 -> 480x28x28**" in out
    assert " 0.32 |" in out  # 271,351,808 / 854,196,224 MACs = 0.3177


def test_compare_json_and_csv_carry_raw_integers(capsys, tmp_path):
    code, out, _ = run(capsys, "compare", "conv5x5", "conv3x3-x2", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [r["macs"] for r in data] == [25 * 64 * 64 * 56 * 56, 18 * 64 * 64 * 56 * 56]
    assert data[1]["macs_ratio"] == "0.720000"  # 18 / 25
    path = tmp_path / "pair.csv"
    assert run(capsys, "compare", "conv5x5", "conv3x3-x2", "-o", str(path))[0] == 0
    lines = path.read_text().splitlines()
    assert lines[0].startswith("name,first,last,layers") and lines[2].startswith("conv3x3-x2,conv1,conv2.relu,4,")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("vgg16", Operand("vgg16")),
        ("vgg16:conv1_1..pool3", Operand("vgg16", "conv1_1", "pool3")),
        ("googlenet:..maxpool2", Operand("googlenet", None, "maxpool2")),
        ("resnet50:layer1.0.conv1..", Operand("resnet50", "layer1.0.conv1", None)),
        ("mymodels:convnext_tiny", Operand("mymodels:convnext_tiny")),  # a module path: no range, no '..'
        ("../nets.py:Net", Operand("../nets.py:Net")),
        ("pkg.mod:Net:stem..stages.2", Operand("pkg.mod:Net", "stem", "stages.2")),
    ],
)
def test_operands(text, expected):
    assert parse_operand(text) == expected


@pytest.mark.torch
def test_a_spec_files_range_needs_its_dots_and_a_json_module_path_is_a_module(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "alexnet", "-o", "net.toml"]) == 0
    with pytest.raises(cnncost.CnnCostError, match="malformed operand 'net.toml:conv1'"):
        parse_operand("net.toml:conv1")
    assert parse_operand("models.json:Net") == Operand("models.json:Net")  # no such file: package models, module json


def test_compare_takes_module_paths_and_their_cuts(capsys):
    pytest.importorskip("torch")
    nets = "tests/fixtures/user_nets.py"
    code, out, _ = run(capsys, "compare", f"{nets}:Residual", f"{nets}:Shared:stem..block", "--input", "3x16x16")
    assert code == 0 and "conv1..add#2" in out and "stem..block" in out


def test_sizes():
    assert parse_size("28x28") == (28, 28) and parse_size("28") == (28, 28) and parse_size("14x7") == (14, 7)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "vgg16"], "compare needs at least two architectures or blocks"),
        (["compare", "vgg16", "alexnet", "--until", "28xx"], "malformed size '28xx'"),
        (["compare", "vgg16:conv1_1", "alexnet"], "malformed operand 'vgg16:conv1_1'"),
        (["compare", "vgg16:conv9..", "alexnet"], "vgg16 has no layer 'conv9'"),
        (["compare", "vgg16:pool3..conv1_1", "alexnet"], "vgg16: conv1_1 comes before pool3"),
        (
            ["compare", "vgg16", "alexnet", "--until", "2x2"],
            "vgg16 has no layer whose output is 2x2 or smaller; its smallest feature map is 512x7x7",
        ),
        (["compare", "inception-naive", "vgg16", "--until", "28x28"], "its input 256x28x28 is already 28x28"),
        (["compare", "vgg17", "vgg16"], "unknown architecture 'vgg17'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_cut_profile_refuses_an_unknown_layer():
    with pytest.raises(CnnCostError, match="alexnet has no layer 'conv6'"):
        cut_profile(cnncost.profile("alexnet"), "conv6")
