"""Any nn.Module as a cnncost graph: torch.fx, the function-mode fallback, and what they count against torch."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="tracing a torch module needs torch (pip install -e '.[test]')")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncost  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.torch.network import build_module  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import user_nets  # noqa: E402


def torch_counts(module, shape, batch=1):
    """(params, multiply-adds) as torch counts them: numel of each parameter once, FlopCounterMode / 2."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module.eval()(torch.randn(batch, *shape))
    return sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2


@pytest.mark.parametrize("name", ["resnet18", "googlenet", "mobilenet_v3_large", "shufflenet_v2_x1_0", "densenet121"])
def test_modules_built_from_cnncost_graphs_trace_back_to_the_same_costs(name):
    graph = cnncost.create(name)
    expected = cnncost.profile(name, input=(3, 64, 64))
    module = build_module(graph, expected, "cpu")
    traced = cnncost.profile(module, input=(3, 64, 64))
    assert traced.notes[0] == "recorded on the meta device, in eval mode" and traced.notes[0].kind == "method"
    assert (traced.total.params, traced.total.buffers, traced.total.macs) == (
        expected.total.params,
        expected.total.buffers,
        expected.total.macs,
    )
    assert traced.output_shape.dims == (1, *expected.output_shape.dims)  # a traced shape includes the batch
    assert not traced.uncounted


@pytest.mark.parametrize(
    "cls, shape",
    [
        (user_nets.Residual, (3, 16, 16)),
        (user_nets.Shared, (3, 16, 16)),
        (user_nets.Dynamic, (3, 16, 16)),
        (user_nets.Split, (3, 8, 8)),
    ],
)
def test_hand_written_modules_equal_torch(cls, shape):
    module = cls()
    profile = cnncost.profile(module, input=shape, batch=2)
    params, macs = torch_counts(module, shape, batch=2)
    assert profile.total.params == params
    assert profile.total.macs == macs


def test_functional_calls_become_nodes():
    p = cnncost.profile(user_nets.Residual(), input=(3, 16, 16))
    ops = [c.op for c in p.layers]
    assert ops == [
        "conv2d",
        "batch_norm2d",
        "relu",
        "conv2d",
        "conv2d",
        "add",
        "relu",
        "concat",
        "adaptive_avg_pool2d",
        "flatten",
        "linear",
        "mean",
        "linear",
        "add",
    ]
    assert p.layer("add").flops == 16 * 16 * 16  # conv2 + proj: one add per element
    assert p.layer("fc#2").params == 0  # the second call of fc reuses its weights


def test_shared_module_and_loop_count_weights_once_and_compute_each_time():
    p = cnncost.profile(user_nets.Shared(), input=(3, 16, 16))
    assert [c.name for c in p.layers if c.op == "conv2d"] == ["stem", "block", "block#2", "block#3"]
    assert p.total.params == (3 * 8 * 9 + 8) + (8 * 8 * 9 + 8) + (8 * 4 + 4) == 844  # block counted once
    assert p.total.macs == 8 * 256 * 27 + 3 * 8 * 256 * 72 + 8 * 4 == 497_696  # stem, 3 block calls, head


def test_data_dependent_code_falls_back_to_function_mode():
    p = cnncost.profile(user_nets.Dynamic(), input=(3, 16, 16))
    assert p.notes[0].startswith("recorded on the CPU (the module reads tensor values)")
    assert p.layer("conv").macs == 8 * 14 * 14 * 27


def test_ops_without_a_formula_are_uncounted_not_zero(capsys):
    p = cnncost.profile(user_nets.Unknown(), input=(3, 8, 8))
    assert [c.name for c in p.uncounted] == ["special_i0", "kthvalue"]
    kth = p.layer("kthvalue")
    assert [s.dims for s in kth.output_shape.outputs] == [(1,), (1,)]  # the value and its index, as torch's
    assert p.layer("conv").params == 4 * 3 * 9 + 4 and p.total.params == 112
    assert any("no cost formula" in note and note.kind == "warning" for note in p.notes)
    with pytest.raises(
        cnncost.CnnCostError, match="2 layer\\(s\\) have no cost formula: special_i0 \\(special_i0\\), kthvalue"
    ):
        cnncost.profile(user_nets.Unknown(), input=(3, 8, 8), strict=True)
    assert main(["table", f"{FIXTURES / 'user_nets.py'}:Unknown", "--input", "3x8x8"]) == 0
    out, err = capsys.readouterr()
    assert "uncounted(kthvalue)" in out and "+?" in out
    assert err.startswith("cnncost: warning: 2 layer(s) have no cost formula")


def test_table_on_a_module_path_and_a_factory(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["table", "user_nets:build_net", "--input", "3x16x16", "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["total"]["params"] == sum(p.numel() for p in user_nets.Residual().parameters())
    assert main(["table", "user_nets.py:Shared", "--input", "3x16x16", "--batch", "16"]) == 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["table", "missing_dir/net.py:Net", "--input", "3x8x8"], "no such file: missing_dir/net.py"),
        (
            ["table", "no_such_package.models:Net", "--input", "3x8x8"],
            "cannot import no_such_package.models: ModuleNotFoundError: No module named 'no_such_package'",
        ),
        (["table", "user_nets:Nothing", "--input", "3x8x8"], "user_nets has no attribute 'Nothing'"),
        (["table", "user_nets:NOT_A_MODULE", "--input", "3x8x8"], "is neither an nn.Module nor a class"),
        (
            ["table", "user_nets:Broken", "--input", "3x8x8"],
            "Broken failed on input 3x8x8 (batch 1) in the forward (Broken): ValueError: this module always fails",
        ),
        (["table", "user_nets:Residual"], "a torch module needs an input size"),
        (
            ["table", "user_nets:Residual", "--input", "16"],
            "user_nets:Residual failed on input 16 (batch 1) in conv1 (Conv2d) at conv2d: RuntimeError",
        ),
    ],
)
def test_bad_module_input_is_one_line(capsys, monkeypatch, argv, message):
    monkeypatch.chdir(FIXTURES)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err


@pytest.mark.parametrize("cls", [user_nets.Residual, user_nets.Shared, user_nets.Split])
def test_verify_a_traced_module(cls, monkeypatch):
    from cnncost.sources import load_source
    from cnncost.torch.verify import verify

    monkeypatch.chdir(FIXTURES)
    graph = load_source(cls(), (3, 16, 16)).graph
    result = verify(graph, device="cpu")
    assert result.ok, [(c.name, c.mismatches) for c in result.failures]
    params, macs = torch_counts(cls(), (3, 16, 16))
    assert result.torch_totals[0] == params and result.torch_totals[2] == macs


def test_a_shared_module_is_named_by_where_it_is_called_and_blocks_carry_their_class(capsys):
    """One SiLU instance held by every block (ultralytics' Conv.default_act): each call is a row of the block that
    called it (model.1.act, model.2.cv1.act), never model.0.act#N, and --depth 2 folds read as the model's list."""
    from tests.fixtures.peer_patterns import SharedActivationNet

    model = SharedActivationNet().eval()
    profile = cnncost.profile(model, input=(3, 32, 32))
    acts = [cost.name for cost in profile.layers if cost.op == "silu"]
    assert acts == ["model.0.act", "model.1.act", "model.2.cv1.act", "model.2.cv2.act", "model.3.act"]
    assert profile.total.params == sum(p.numel() for p in model.parameters())
    from cnncost.report.rows import table_rows

    rows = table_rows(profile, depth=2)
    assert [(row.name, row.kind) for row in rows] == [
        ("model.0", "ConvBlock (3 layers)"),
        ("model.1", "ConvBlock (3 layers)"),
        ("model.2", "Bottleneck (7 layers)"),
        ("model.3", "ConvBlock (3 layers)"),
    ]
    # each block counts its own activation: model.0.act is inside the model.0 row
    assert rows[0].total("flops") == sum(c.flops for c in profile.layers if c.name.startswith("model.0."))


def test_a_plain_tensor_a_module_holds_is_named_by_it_and_folds_with_it():
    """ultralytics' Detect holds its anchors and strides as plain tensors (no buffers): their rows are named under
    the module that holds them (head.anchors), so a --depth fold keeps the head in one block."""
    import torch
    from torch import nn

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.anchors = nn.Conv2d(4, 2, 1), torch.arange(16.0).reshape(1, 2, 8)

        def forward(self, x):
            return self.conv(x).flatten(2) + self.anchors

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem, self.head = nn.Conv2d(3, 4, 3, padding=1), Head()

        def forward(self, x):
            return self.head(self.stem(x)[:, :, :2, :4])

    profile = cnncost.profile(Net(), input=(3, 4, 4))
    assert "head.anchors" in [cost.name for cost in profile.layers]
    from cnncost.report.rows import table_rows

    assert [row.name for row in table_rows(profile, depth=1)] == ["stem", "getitem", "head"]


def test_a_warning_is_one_line_of_under_200_characters():
    from cnncost.commands.common import warning_line

    line = warning_line("recorded on the CPU " + "x" * 400 + "\nsecond line")
    assert len(line) <= 199 and "\n" not in line and line.endswith("...")
    assert warning_line("short") == "cnncost: warning: short"


def test_the_frame_and_json_say_each_layers_class_depth_and_parent():
    from tests.fixtures.peer_patterns import SharedActivationNet

    profile = cnncost.profile(SharedActivationNet(), input=(3, 32, 32))
    frame = profile.to_frame().set_index("name")
    assert tuple(frame.loc["model.2.cv1.conv", ["class", "depth", "parent"]]) == ("Conv2d", 4, "model.2.cv1")
    assert tuple(frame.loc["model.2.add", ["class", "depth", "parent"]]) == ("", 3, "model.2")  # a function call
    layers = {layer["name"]: layer for layer in profile.to_dict()["layers"]}
    assert layers["model.1.act"]["class"] == "SiLU" and layers["model.2.add"]["class"] is None


def test_rows_read_tokens_and_channels_last_as_such_and_fold_their_views():
    """A permute to channels last, a linear layer and a layer norm on tokens: their C columns show the channels (the
    last dim), their H/W the positions or tokens; a reshape or permute joins the row of the layer it reads."""
    from cnncost.report.profile_table import layer_table
    from tests.fixtures.modern import ConvNeXt, VisionTransformer

    def rows(module):
        table = layer_table(cnncost.profile(module, input=(3, 32, 32)))
        return {row[0]: row[1:7] for row in table.rows}  # type, in C, in H/W, spec, out C, out H/W

    convnext = rows(ConvNeXt())
    # a 7x7 depthwise conv on 16 x 8 x 8, permuted to 8 x 8 x 16: still 16 channels at 8x8
    assert convnext["stages.0.0.conv_dw"] == ("conv2d+permute", "16", "8", "16, 7, 1, 3, groups 16", "16", "8")
    assert convnext["stages.0.0.mlp.fc1"][4:] == ("64", "8")  # 16 -> 64 channels, last, at 8x8
    vit = rows(VisionTransformer())
    # 4 x 4 patches of 32 channels flattened and transposed to 16 tokens x 32; a class token makes 17
    assert vit["flatten"] == ("flatten+permute", "32", "4", "", "32", "16")
    assert vit["blocks.0.norm1"] == ("layer_norm", "32", "17", "", "32", "17")
