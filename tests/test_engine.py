"""Engine invariants, over every registered architecture."""

import subprocess
import sys

import pytest

import cnncost
from cnncost import CnnCostError, Graph, ShapeError, layer
from cnncost.zoo import list_models

ALL = list_models()


@pytest.fixture(scope="module", params=ALL)
def profile(request):
    return cnncost.profile(request.param)


def test_totals_are_the_sums_of_the_layers(profile):
    for quantity in ("params", "buffers", "macs", "flops", "activation_bytes"):
        assert getattr(profile.total, quantity) == sum(getattr(c, quantity) for c in profile.layers)
    assert profile.total.param_bytes == 4 * profile.total.params


def test_flops_are_at_least_two_per_mac(profile):
    for c in profile.layers:
        assert c.flops >= 2 * c.macs
        assert (c.macs > 0) == (c.op in ("conv2d", "linear"))


def test_every_network_ends_in_1000_classes(profile):
    assert profile.output_shape.dims == (1000,)


def test_batch_and_dtype_scale_what_they_should(profile):
    scaled = cnncost.profile(profile.name, batch=3, dtype="fp16")
    assert scaled.total.params == profile.total.params
    assert scaled.total.macs == 3 * profile.total.macs
    assert scaled.total.flops == 3 * profile.total.flops
    assert scaled.total.activation_bytes == 3 * profile.total.activation_bytes // 2  # 3x the batch, half the bytes
    assert scaled.total.param_bytes == 2 * scaled.total.params


@pytest.mark.parametrize("name", ALL)
def test_profiles_at_another_input_size(name):
    default = cnncost.profile(name)
    _, h, w = default.input_shape.dims
    larger = cnncost.profile(name, input=(3, h + 32, w + 64))
    assert larger.total.macs > default.total.macs  # more pixels, more work
    assert larger.output_shape.dims == (1000,)


def test_in_place_layers_add_no_memory():
    p = cnncost.profile("alexnet")
    assert p.layer("relu1").in_place and p.layer("relu1").activation_bytes == 0
    assert p.layer("conv1").activation_bytes == 64 * 56 * 56 * 4


def test_input_too_small_names_the_layer():
    with pytest.raises(ShapeError, match="^conv1: output would be 0x0 from 3x6x6$"):
        cnncost.profile("alexnet", input=(3, 6, 6))  # (6 + 4 - 11) // 4 + 1 = 0
    with pytest.raises(ShapeError, match="^pool5: output would be 0x0 from 256x2x2$"):
        cnncost.profile("alexnet", input=(3, 47, 47))  # 47 -> 11 -> 5 -> 5 -> 2 -> 2 -> 0


def test_merge_mismatch_names_both_inputs():
    g = Graph.build(
        "net",
        [
            layer("conv2d", "a", out_channels=8, kernel_size=1),
            layer("conv2d", "b", "input", out_channels=8, kernel_size=3),
            layer("add", "sum", "a", "b"),
        ],
        (3, 8, 8),
    )
    with pytest.raises(ShapeError, match=r"^sum: cannot add 'a' \(8x8x8\) with 'b' \(8x6x6\)"):
        cnncost.propagate(g)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"batch": 0}, "batch must be a whole number of at least 1"),
        ({"dtype": "fp64"}, "unknown dtype 'fp64'; known: fp32, fp16, bf16, int8"),
        ({"input": "3x"}, "malformed size '3x'"),
        ({"input": "0x224x224"}, "every size must be at least 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(CnnCostError, match=message):
        cnncost.profile("alexnet", **kwargs)


def test_unknown_architecture_suggests_close_names():
    with pytest.raises(CnnCostError, match="unknown architecture 'resnet51' \\(did you mean: resnet50"):
        cnncost.profile("resnet51")


def test_huge_inputs_stay_exact():
    p = cnncost.profile("vgg16", input=(3, 22400, 22400), batch=1000)
    # conv1_1: 64 filters * 22400^2 positions * 27 weights * 1000 samples, far beyond 64 bits
    assert p.layer("conv1_1").macs == 64 * 22400 * 22400 * 27 * 1000


def test_profiling_and_the_default_table_import_nothing_heavy():
    code = (
        "import sys, io, contextlib, cnncost; cnncost.profile('resnet152')\n"
        "from cnncost.report.render import render; from cnncost.report.profile_table import profile_document\n"
        "render(profile_document(cnncost.profile('alexnet')), 'table')\n"
        "from cnncost.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['table', 'alexnet'])\n"
        "heavy = ('torch', 'pandas', 'rich', 'numpy', 'matplotlib', 'cnncost.analysis.memory', "
        "'cnncost.analysis.receptive')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_node_that_shares_parameters_counts_none():
    from cnncost import Node

    conv = layer("conv2d", "conv", out_channels=3, kernel_size=3, padding=1)
    again = Node("conv#2", "conv2d", ("conv",), conv.attrs, shares="conv")
    p = cnncost.propagate(Graph.build("twice", [conv, again], (3, 8, 8)))
    assert p.layer("conv").params == 3 * 3 * 9 + 3 and p.layer("conv#2").params == 0
    assert p.layer("conv#2").macs == p.layer("conv").macs == 3 * 64 * 27  # the compute happens twice
    with pytest.raises(cnncost.GraphError, match="shares the parameters of 'nothing'"):
        Graph.build("bad", [Node("a", "relu", (), (), shares="nothing")], (3, 8, 8))


def test_a_profile_reads_in_one_line():
    # ResNet-18: 11,689,512 params, 1,814,073,344 MACs at 3x224x224 (torchvision's figures)
    result = cnncost.profile("resnet18", batch=2)
    assert repr(result) == (
        "Profile('resnet18', 3x224x224, batch 2, fp32: 69 layers, 11,689,512 params, 3,628,146,688 MACs)"
    )
    assert tuple(result.layers[0].output_shape) == (64, 112, 112)
