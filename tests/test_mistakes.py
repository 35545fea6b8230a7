"""The mistakes users make, each with the words its message must hold: the likely mistake and its fix, worded for
the caller (`--input 3x224x224` on the command line, `input=(3, 224, 224)` from Python). A new mistake is one row.

On the command line each is one line on standard error and exit code 2 (tests/test_robustness.py checks those
rules for every bad input); from Python, a CnnCostError. A few are warnings: the command goes on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cnncost
from cnncost.cli import main
from cnncost.errors import CnnCostError, CnnCostWarning

torch = pytest.importorskip("torch")

TINY = (Path(__file__).parent / "fixtures" / "tiny_module.py").read_text()

RESIDUAL = """name = "res"
input = [3, 16, 16]

[blocks.unit]
layers = [
  {{ name = "conv", type = "conv2d", out_channels = "$width", kernel_size = 3, padding = 1 }},
  {{ name = "relu", type = "relu" }},
]

[[layers]]
name = "stem"
block = "unit"
{width} = 8

[[layers]]
name = "branch"
type = "conv2d"
out_channels = 8
kernel_size = 3
padding = 1

[[layers]]
name = "add"
type = "add"
inputs = {inputs}
"""

FILES = {
    "tiny.py": TINY,
    "tiny.yaml": "name: tiny\n",
    "dead_branch.toml": RESIDUAL.format(width="width", inputs='"stem.relu"'),
    "block_typo.toml": RESIDUAL.format(width="widht", inputs='["stem.relu", "branch"]'),
    "reference_typo.toml": RESIDUAL.format(width="width", inputs='["stem.rleu", "branch"]'),
    "input_typo.toml": 'name = "n"\ninput = [3, 8, 8]\n[[layers]]\nname = "a"\ntype = "relu"\ninput = "input"\n',
    "top_typo.toml": 'name = "n"\ninput = [3, 8, 8]\n[[layer]]\nname = "a"\ntype = "relu"\n',
    "outputs_typo.toml": 'outputs = ["brunch"]\n' + RESIDUAL.format(width="width", inputs='["stem.relu", "branch"]'),
    "aux_output.toml": 'outputs = ["branch"]\n' + RESIDUAL.format(width="width", inputs='"stem.relu"'),
    "warns.py": 'import warnings, torch\nwarnings.warn("a warning of its own")\n'
    "class Net(torch.nn.Module):\n    def forward(self, x):\n        return x * 2\n",
}


def tiny_net():
    from cnncost.sources import import_module_object

    return import_module_object("tiny.py:TinyNet")


# (what is tried, on the command line; the words its error must hold)
COMMAND_LINE = [
    (["table", "resnet18", "--input", "224x224x3"], "looks channels last: did you mean --input 3x224x224?"),
    (["table", "alexnet", "--input", "227x227x3"], "did you mean --input 3x227x227?"),
    (
        ["table", "resnet18", "--input", "1x3x224x224"],
        "the batch is given apart (--batch), did you mean --input 3x224x224?",
    ),
    (
        ["table", "resnet18", "--input", "8x3x224x224"],
        "the batch is given apart, did you mean --input 3x224x224 with --batch 8?",
    ),
    (["table", "resnet18", "--input", "1x224x224x3"], "did you mean --input 3x224x224?"),
    (
        ["table", "resnet18", "--input", "3x224"],
        "resnet18 takes one sample of 3 dimension(s), such as 3x224x224; got 3x224",
    ),
    (
        ["table", "resnet18", "--input", "160x160"],
        "resnet18 takes one sample of 3 dimension(s), such as 3x224x224; got "
        "160x160: channels first, did you mean --input 3x160x160?",
    ),
    (["table", "resnet18", "--input", "3"], "resnet18 takes one sample of 3 dimension(s), such as 3x224x224; got 3"),
    (
        ["table", "tiny.py:TinyNet", "--input", "1x3x32x32"],
        "did you mean --input 3x32x32? the batch size goes in --batch",
    ),
    (["table", "tiny.py:TinyNet", "--input", "8x3x32x32"], "did you mean --input 3x32x32 with --batch 8?"),
    (
        ["table", "tiny.py:TinyNet", "--input", "1x32x32x3"],
        "did you mean --input 3x32x32? the batch size goes in --batch",
    ),
    (["table", "tiny.py:TinyNet", "--input", "32x32x3"], "sizes are channels first: did you mean --input 3x32x32?"),
    (["verify", "tiny.py:TinyNet", "--input", "1x3x32x32"], "did you mean --input 3x32x32?"),
    (["table", "tiny.TinyNet"], "a module path names the object after a colon: did you mean tiny:TinyNet?"),
    (["table", "torchvision.models.resnext101_64x4d"], "did you mean torchvision.models:resnext101_64x4d?"),
    (["table", "tiny.py:TinyNet"], "a torch module needs an input size, such as --input 3x224x224"),
    (
        ["table", "tiny.py"],
        "a Python file needs the name of the module, class or function in it, such as tiny.py:TinyNet (or build)",
    ),
    (["table", "missing.py"], "no such file: missing.py"),
    (["table", "tiny.py:TinyNett", "--input", "3x32x32"], "has no attribute 'TinyNett' (did you mean: TinyNet?)"),
    (["table", "tiny.yaml"], "spec files are .toml or .json (cnncost reads no YAML): write it as tiny.toml"),
    (
        ["table", "mobilenet_v3_small"],
        "mobilenet_v3_small is not built in; torchvision's is torchvision.models:mobilenet_v3_small --input 3x224x224",
    ),
    (["table", "r3d_18"], "torchvision's is torchvision.models.video:r3d_18 --input 3x16x112x112"),
    (["table", "mvit_v2_s"], "torchvision's is torchvision.models.video:mvit_v2_s --input 3x16x224x224"),
    (["table", "fcn_resnet50"], "builds it with weights_backbone=None"),
    (["table", "input_typo.toml"], "relu has no attribute 'input' (did you mean: inputs?)"),
    (["table", "top_typo.toml"], "the file has no key 'layer' (did you mean: layers?)"),
    (["table", "outputs_typo.toml"], "outputs: 'brunch' is not a layer (did you mean: branch?)"),
    (["table", "block_typo.toml"], "block 'unit' has no parameter 'widht' (did you mean: width?)"),
    (["table", "reference_typo.toml"], "input 'stem.rleu' is not a layer of res (did you mean: stem.relu?)"),
    (["check", "resnet18", "--max-params", "1.5x"], "malformed count '1.5x': a number (such as 15, 1.5 or 1.5e7)"),
    (["check", "resnet18", "--max-params", "1e99999999"], "malformed count '1e99999999'"),
]

# (what is tried, from Python; the words its error must hold)
PYTHON = [
    (lambda: cnncost.profile("resnet18", input=(224, 224, 3)), "did you mean input=(3, 224, 224)?"),
    (
        lambda: cnncost.profile("resnet18", input=(1, 3, 224, 224)),
        "the batch is given apart (batch=), did you mean input=(3, 224, 224)?",
    ),
    (lambda: cnncost.profile("resnet18", input=(4, 3, 224, 224)), "did you mean input=(3, 224, 224) with batch=4?"),
    (
        lambda: cnncost.profile(tiny_net(), input=(1, 3, 32, 32)),
        "did you mean input=(3, 32, 32)? the batch size goes in batch=",
    ),
    (lambda: cnncost.profile(tiny_net()), "a torch module needs an input size, such as input=(3, 224, 224)"),
    (lambda: cnncost.profile("tiny.py"), "such as tiny.py:TinyNet"),
    (
        lambda: cnncost.profile("mobilenet_v3_small"),
        "torchvision's is profile('torchvision.models:mobilenet_v3_small', input=(3, 224, 224))",
    ),
    (
        lambda: cnncost.assert_budget(cnncost.profile("alexnet"), max_latency="20ms"),
        "a latency budget needs a timed run (cnncost.time_forward(model, input=...)) or a prediction "
        "(cnncost.profile(model, input=..., target='rtx-4090'))",
    ),
    (lambda: cnncost.assert_budget(cnncost.profile("alexnet"), max_params="15 million"), "malformed count"),
    (lambda: cnncost.assert_budget(cnncost.profile("alexnet"), max_params=float("nan")), "a finite number"),
    (lambda: cnncost.profile("tiny.TinyNet"), "did you mean 'tiny:TinyNet'?"),
]

# (what is tried, from the command line; the warning it prints, the command going on)
WARNINGS = [
    (["table", "dead_branch.toml"], "dead_branch.toml: branch: read by no layer, so not part of the network's output")
]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("argv, words", COMMAND_LINE, ids=[" ".join(argv) for argv, _ in COMMAND_LINE])
def test_a_command_line_mistake_names_its_fix(folder, capsys, argv, words):
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("cnncost: error: ") and captured.err.count("\n") == 1
    assert words in captured.err


@pytest.mark.parametrize("attempt, words", PYTHON, ids=[words[:40] for _, words in PYTHON])
def test_a_python_mistake_names_its_fix_in_python_words(folder, attempt, words):
    with pytest.raises(CnnCostError) as raised:
        attempt()
    assert words in str(raised.value)
    assert "--input" not in str(raised.value) and "--batch" not in str(raised.value)


@pytest.mark.parametrize("argv, words", WARNINGS, ids=[" ".join(argv) for argv, _ in WARNINGS])
def test_a_suspicious_spec_warns_once_and_goes_on(folder, capsys, argv, words):
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.count(words) == 1 and err.startswith("cnncost: warning: ")


def test_a_declared_output_is_not_warned_about_and_other_warnings_still_show(folder, capsys):
    assert main(["table", "aux_output.toml"]) == 0
    assert "warning" not in capsys.readouterr().err
    with pytest.warns(UserWarning, match="a warning of its own"):  # shown as Python shows it (on stderr)
        assert main(["table", "warns.py:Net", "--input", "3x8x8"]) == 0


def test_a_suspicious_spec_warns_from_python_and_notes_it(folder):
    with pytest.warns(CnnCostWarning, match="branch: read by no layer"):
        result = cnncost.profile("dead_branch.toml")
    assert any("branch: read by no layer" in note for note in result.notes)


def test_python_takes_what_the_command_line_takes(folder, capsys):
    """A class, a function that makes the module, or an instance; numbers with or without units."""
    from cnncost.sources import import_module_object

    module = import_module_object("tiny.py:TinyNet")
    expected = sum(p.numel() for p in module.parameters())  # 4·3·3·3 + 4 = 112
    for model in (type(module), import_module_object("tiny.py:build"), module, "tiny.py:TinyNet", "tiny.py:build"):
        assert cnncost.profile(model, input=(3, 32, 32)).total.params == expected == 112
    result = cnncost.profile("resnet18")  # 11,689,512 params
    for limit in ("1.5e7", "15M", "15_000_000", 15_000_000, 1.5e7):
        cnncost.assert_budget(result, max_params=limit)
        assert main(["check", "resnet18", "--max-params", str(limit)]) == 0
    with pytest.raises(cnncost.BudgetExceeded):
        cnncost.assert_budget(result, max_params="1.1e7")
    assert main(["check", "resnet18", "--max-params", "1.1e7"]) == 1


def test_a_latency_budget_from_python(folder):
    timed = cnncost.time_forward("tiny.py:TinyNet", input=(3, 16, 16), min_run_time=0.01)
    assert timed.profile.total.params == 112 and timed.forward_median > 0
    cnncost.assert_budget(timed, max_latency="10s", max_params="1k")


@pytest.mark.parametrize("command", ["table", "check", "bench", "verify", "plot"])
def test_help_says_every_kind_of_model_a_command_takes(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for kind in ("built-in architecture", "spec file", "torch module", "pkg.mod:Net"):
        assert kind in text
