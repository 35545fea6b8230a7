"""A user's own nn.Module, judged by torch: parameters equal sum(p.numel()), MACs equal FlopCounterMode / 2 on the
same input, every layer's shape torch's, and the module left exactly as it was.

One test per case of what a user's model has and the lecture's tables do not: transposed and 3-d convolutions,
1-d audio, layer scale, attention, recurrent layers, tied weights, data-dependent code, several inputs.
"""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="profiling a torch module needs torch (pip install -e '.[test]')")

from torch import nn  # noqa: E402

import cnncost  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.torch.counts import torch_counts  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
import models  # noqa: E402
import unet  # noqa: E402


def equals_torch(module, *inputs, **kwargs):
    """Profile module on inputs and check parameters and MACs against torch's own count on the same tensors."""
    profile = cnncost.profile(module, input=inputs[0] if len(inputs) == 1 else inputs, **kwargs)
    params, macs = torch_counts(module, *inputs)
    assert params == sum(p.numel() for p in module.parameters())
    assert (profile.total.params, profile.total.macs) == (params, macs)
    assert profile.total.buffers == sum(b.numel() for b in module.buffers())
    return profile


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: unet.UNet(), (1, 3, 64, 64)),
        (lambda: models.Video(), (2, 3, 4, 32, 32)),  # C x T x H x W
        (lambda: models.Audio(), (2, 1, 400)),  # C x L
        (lambda: models.ConvNeXt(), (2, 3, 32, 32)),
        (lambda: models.ViT(), (2, 3, 32, 32)),
        (lambda: models.Swin(), (2, 3, 32, 32)),
        (lambda: models.Recurrent(), (2, 7, 6)),  # N x T x features
        (lambda: models.Tied(), (3, 32)),
        (lambda: models.Resampling(), (2, 3, 16, 16)),
        (lambda: models.Staged(), (2, 3, 16, 16)),
    ],
    ids=["unet", "video", "audio", "convnext", "vit", "swin", "recurrent", "tied", "resampling", "staged"],
)
def test_totals_equal_torch_and_every_op_has_a_formula(make, shape):
    torch.manual_seed(0)
    profile = equals_torch(make(), torch.randn(*shape))
    assert not profile.uncounted, [c.name for c in profile.uncounted]


def test_a_bare_transposed_conv_counts_its_weights():
    up = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)
    profile = equals_torch(up, torch.randn(1, 16, 10, 10))
    assert profile.total.params == 16 * 8 * 4 * 4 + 8 == 2_056
    # each of the 16 x 10 x 10 inputs scatters through 8 x 4 x 4 weights: 204,800; the output is 20 x 20
    assert profile.total.macs == 16 * 10 * 10 * 8 * 4 * 4 == 204_800
    assert profile.output_shape.dims == (1, 8, 20, 20)


def test_unet_from_the_command_line_prints_no_unknown_row(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["table", "unet.py:UNet", "--input", "3x256x256", "--format", "json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    _, macs = torch_counts(unet.UNet(), torch.randn(1, 3, 256, 256))
    assert data["total"]["macs"] == macs and data["total"]["complete"]
    assert all(layer["counted"] for layer in data["layers"])
    assert main(["table", "unet.py:UNet", "--input", "3x256x256"]) == 0
    out, err = capsys.readouterr()
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert not any("?" in row or "uncounted" in row for row in rows) and err == ""
    assert "up2" in out and "conv_transpose2d" in out


def test_layer_scale_class_token_and_position_are_rows_of_their_own():
    convnext = cnncost.profile(models.ConvNeXt(), input=(3, 32, 32))
    scale = convnext.layer("stages.0.layer_scale")
    assert (scale.op, scale.params, scale.activation_bytes) == ("parameter", 16, 0)  # weights, not activations
    vit = cnncost.profile(models.ViT(), input=(3, 32, 32))
    assert vit.layer("class_token").params == 32 and vit.layer("position").params == 17 * 32
    assert vit.layer("getitem").output_shape.dims == (1, 32)  # x[:, 0]: the class token's output


def test_attention_with_several_inputs_equals_torch():
    torch.manual_seed(0)
    inputs = (torch.randn(2, 5, 16), torch.randn(6, 2, 8), torch.randn(6, 2, 12))
    profile = equals_torch(models.Attention(), *inputs)
    mha = profile.layer("mha")
    # in-projection 5·16·48, the heads' two products 2·5·5·16, out-projection 5·16·16, per sample of 2
    assert mha.macs == 2 * (5 * 16 * 48 + 2 * 5 * 5 * 16 + 5 * 16 * 16) == 11_840
    assert [s.dims for s in mha.output_shape.outputs] == [(5, 2, 16), (2, 5, 5)]  # the output and its weights
    assert [c.name for c in profile.layers if c.op == "input"] == ["input.1", "input.2"]


def test_recurrent_layers_count_every_step():
    profile = equals_torch(models.Recurrent(), torch.randn(2, 7, 6))
    lstm = profile.layer("lstm")
    # layer 1: 4·8·(6 + 8) per step and direction; layer 2 reads both directions: 4·8·(16 + 8); 2 samples, 7 steps
    assert lstm.macs == 2 * 7 * 2 * (4 * 8 * (6 + 8) + 4 * 8 * (16 + 8)) == 34_048
    assert [s.dims for s in lstm.output_shape.outputs] == [(2, 7, 16), (4, 2, 8), (4, 2, 8)]
    assert len([c for c in profile.layers if c.op == "lstm_cell"]) == 7  # the cell, once per step


def test_tied_weights_are_counted_once_and_never_a_traceback(capsys):
    profile = equals_torch(models.Tied(), torch.randn(3, 32))
    assert profile.total.params == 32 * 8 + 8 + 32  # the encoder's weight serves the decoder too
    assert main(["table", f"{FIXTURES / 'models.py'}:Tied", "--input", "32"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "encode.weight" in out


def test_data_dependent_code_is_recorded_on_the_cpu_with_the_given_input():
    torch.manual_seed(1)
    images = torch.randn(1, 3, 8, 8)
    profile = equals_torch(models.Detector(), images)
    assert profile.notes[0].startswith("recorded on the CPU (the module reads tensor values)")
    assert any(c.op == "topk" for c in profile.layers) and any(c.op == "gather" for c in profile.layers)


def test_a_real_forward_is_said_and_a_large_one_is_asked_for(monkeypatch, capsys):
    """The Detector reads a count with item(): recorded by a real forward on the CPU, with a warning that says why
    and how much it held; past the limit, only when asked for."""
    from cnncost.trace import module_graph

    detector = models.Detector()
    profile = cnncost.profile(detector, input=(3, 8, 8))
    warning = next(note for note in profile.notes if note.startswith("recorded by a real forward"))
    assert warning.kind == "warning" and "item" in warning
    # before item(): conv 8x8x8, relu, conv 4x8x8, flatten, transpose (views, fp32), the comparison (bool), its sum
    monkeypatch.setattr(module_graph, "REAL_FORWARD_LIMIT", 1000)
    with pytest.raises(cnncost.CnnCostError, match="--allow-real-forward"):
        cnncost.profile(detector, input=(3, 8, 8))
    assert cnncost.profile(detector, input=(3, 8, 8), allow_real_forward=True).total == profile.total
    path = f"{FIXTURES / 'models.py'}:Detector"
    assert main(["table", path, "--input", "3x8x8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a real forward on the CPU would hold" in err
    assert main(["table", path, "--input", "3x8x8", "--allow-real-forward"]) == 0
    assert "cnncost: warning: recorded by a real forward on the CPU" in capsys.readouterr().err


def test_several_inputs_by_keyword_and_outputs_in_a_dict():
    profile = cnncost.profile(models.TwoInputs(), input={"image": (3, 8, 8), "extra": (5,)}, batch=2)
    assert [c.name for c in profile.layers][:2] == ["input.extra", "conv"]
    assert profile.layer("input.extra").output_shape.dims == (2, 5)
    assert profile.total.input_bytes == (3 * 8 * 8 + 5) * 2 * 4  # both inputs, 2 samples, fp32
    params, macs = torch_counts(models.TwoInputs(), torch.randn(2, 3, 8, 8), torch.randn(2, 5))
    assert (profile.total.params, profile.total.macs) == (params, macs)


def test_modules_not_called_are_counted_and_said():
    model = models.WithAuxiliary().train()
    profile = cnncost.profile(model, input=(3, 8, 8))
    assert profile.total.params == sum(p.numel() for p in model.parameters())
    assert profile.layer("aux").op == "unused" and profile.layer("aux").params == 4 * 2 + 2
    assert any("aux (10 params, not called in this forward)" in note for note in profile.notes)
    assert profile.output_shape.dims == (1, 3)  # the unused row is not the output


def test_the_module_is_left_exactly_as_it_was():
    """A model in training mode with a frozen stage, a hook and a parameter on the CPU: nothing changes."""
    model = models.Staged().train()
    model.layer1.requires_grad_(False)
    model.layer1[0].eval()
    calls = []
    handle = model.fc.register_forward_hook(lambda m, i, o: calls.append(1))
    state = {key: value.clone() for key, value in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    flags = [p.requires_grad for p in model.parameters()]
    hooks = [(dict(m._forward_hooks), dict(m._forward_pre_hooks)) for m in model.modules()]
    attributes = [sorted(m.__dict__) for m in model.modules()]
    cnncost.profile(model, input=(3, 16, 16))
    assert [m.training for m in model.modules()] == modes and model.training and not model.layer1[0].training
    assert [p.requires_grad for p in model.parameters()] == flags
    assert [(dict(m._forward_hooks), dict(m._forward_pre_hooks)) for m in model.modules()] == hooks
    assert [sorted(m.__dict__) for m in model.modules()] == attributes
    assert model.state_dict().keys() == state.keys()
    assert all(torch.equal(model.state_dict()[key], value) for key, value in state.items())
    assert all(p.device.type == "cpu" for p in model.parameters())
    assert not nn.modules.module._global_forward_hooks and not nn.modules.module._global_forward_pre_hooks
    assert calls == [1]  # the user's own hook saw the one forward pass, and stays registered
    handle.remove()


def test_buffers_written_by_the_forward_on_the_cpu_stay_as_they_were():
    class Counting(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("seen", torch.zeros(1))
            self.conv = nn.Conv2d(3, 2, 1)

        def forward(self, x):
            self.seen += x.sum() > 0  # reads a value: recorded on the CPU
            self.last = x.shape  # an attribute the forward sets
            return self.conv(x)

    model = Counting()
    cnncost.profile(model, input=(3, 4, 4))
    assert model.seen.item() == 0 and not hasattr(model, "last")


@pytest.mark.slow
def test_a_compiled_module_is_profiled_as_the_module_it_wraps():
    model = models.Staged()
    profile = cnncost.profile(torch.compile(model), input=(3, 16, 16))
    assert profile.total.params == sum(p.numel() for p in model.parameters())
    assert any("torch.compile" in note for note in profile.notes)


def test_lazy_modules_are_initialised_on_a_copy():
    model = models.Lazy()
    profile = cnncost.profile(model, input=(3, 8, 8))
    assert profile.total.params == (4 * 3 * 9 + 4) + (4 * 6 * 6 * 2 + 2)
    assert any(isinstance(p, nn.parameter.UninitializedParameter) for p in model.parameters())  # still lazy


def test_depth_folds_a_recorded_module_as_a_built_in(capsys, monkeypatch):
    profile = cnncost.profile(models.Staged(), input=(3, 16, 16))
    names = [c.name for c in profile.layers]
    assert "layer1.0.add" in names and "layer1.0.relu" in names  # functions named by the block that calls them
    monkeypatch.chdir(FIXTURES)
    assert main(["table", "models:Staged", "--input", "3x16x16", "--depth", "1", "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["table", "models:Staged", "--input", "3x16x16", "--depth", "1"]) == 0
    rows = [line.split("│")[1].strip() for line in capsys.readouterr().out.splitlines() if line.startswith("│ ")]
    assert rows == ["stem", "layer1", "layer2", "adaptive_avg_pool2d", "flatten", "fc", "total"]


def test_a_batched_input_size_gets_a_hint():
    with pytest.raises(cnncost.CnnCostError) as raised:
        cnncost.profile(models.Staged(), input=(1, 3, 16, 16))
    message = str(raised.value)
    assert "\n" not in message and "did you mean input=(3, 16, 16)? the batch size goes in batch=" in message


def test_uncounted_totals_are_marked_wherever_they_are_printed(capsys):
    class Unknown(nn.Module):
        def forward(self, x):
            return torch.special.i0(x).cumsum(1)

    profile = cnncost.profile(Unknown(), input=(3, 4, 4))
    from cnncost.report.columns import summary_lines
    from cnncost.report.profile_table import layer_table

    grid = layer_table(profile)
    header, body, total = list(grid.headers), grid.rows, grid.footer
    assert total[header.index("FLOPs M")].endswith("+?") and total[header.index("% MACs")] == "?"
    unknown_row = next(row for row in body if row[0] == "special_i0")
    assert unknown_row[header.index("% MACs")] == "?" and unknown_row[header.index("FLOPs M")].endswith("+?")
    summary = dict(summary_lines(profile))
    assert summary["Total FLOPs (all layers)"].endswith("+ ? (1 layer(s) without a formula)")
    data = profile.to_dict()
    assert not data["total"]["complete"] and data["total"]["uncounted"] == ["special_i0"]


def test_verify_checks_a_module_against_itself_module_by_module(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert main(["verify", "models:Staged", "--input", "3x16x16", "--format", "json"]) == 0
    import json

    rows = {row["layer"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["layer2.0.skip"]["engine_macs"] == rows["layer2.0.skip"]["torch_macs"] == 16 * 8 * 8 * 8  # 1x1, /2
    assert rows["layer1"]["torch_macs"] == 2 * 8 * 16 * 16 * 8 * 9  # two 3x3 convs of 8 channels at 16x16
    assert main(["verify", "unet.py:UNet", "--input", "3x32x32"]) == 0
    assert "all 40 layers equal torch's" in capsys.readouterr().out


def test_several_inputs_from_the_command_line(capsys, monkeypatch):
    monkeypatch.chdir(FIXTURES)
    assert (
        main(["table", "models:TwoInputs", "--input", "3x8x8", "--input", "5", "--batch", "2", "--format", "json"]) == 0
    )
    import json

    data = json.loads(capsys.readouterr().out)
    params, macs = torch_counts(models.TwoInputs(), torch.randn(2, 3, 8, 8), torch.randn(2, 5))
    assert (data["total"]["params"], data["total"]["macs"]) == (params, macs)
    assert main(["table", "alexnet", "--input", "3x227x227", "--input", "5"]) == 2
    assert "alexnet takes one input" in capsys.readouterr().err
