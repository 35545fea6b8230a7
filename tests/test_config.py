"""A project's budgets in pyproject.toml (or cnncost.toml): `cnncost check` with no name checks every configured
model, a tightened limit fails naming the model, the quantity, the value and the limit, a malformed entry names the
file, the table and the key; cnncost.check_config() does the same from a test."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import cnncost
from cnncost.cli import main
from cnncost.config import ConfigError, read_config

torch = pytest.importorskip("torch")

MODELS = (Path(__file__).parent / "fixtures" / "tiny_module.py").read_text()

SPEC = """name = "pair"
input = [1, 4, 4]

[[layers]]
name = "conv"
type = "conv2d"
out_channels = 2
kernel_size = 1

[[layers]]
name = "relu"
type = "relu"
"""

# tiny: conv 3->4, 3x3 with bias on 3x32x32: params 4·3·3·3 + 4 = 112; output 4x30x30, MACs 3,600·27 = 97,200
# pair: conv 1->2, 1x1 with bias on 1x4x4: params 4; activations 2·(2·16)·4 B = 256 B, peak 320 B (with the input,
# 64 B, that the caller holds), weights 16 B
PYPROJECT = """
[project]
name = "demo"

[tool.cnncost.models.tiny]
source = "demo_nets:TinyNet"
input = "3x32x32"
max-params = "{params}"
max-macs = "100k"

[tool.cnncost.models.pair]
source = "nets/pair.toml"
max-peak-memory = "320B"
max-weights = 16
max-training-memory = "1KB"
optimizer = "sgd"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "demo_nets.py").write_text(MODELS)
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "pair.toml").write_text(SPEC)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(params="1k"))
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found from a folder below, as a test runner may start there
    return tmp_path


def test_every_configured_model_within_its_limits(project, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "tiny (demo_nets:TinyNet)" in out and "pair (nets/pair.toml)" in out
    assert "within params 112 <= limit 1,000 (1k)" in out and "within MACs 97,200 <= limit 100,000 (100k)" in out
    assert "within peak memory 320 bytes <= limit 320 bytes (320B)" in out
    assert "within weights 16 bytes <= limit 16 bytes (16)" in out
    assert "within training memory (SGD) 224 bytes" in out  # weights 16 + gradients 16 + kept 64 + 128
    assert [result.config.name for result in cnncost.check_config()] == ["tiny", "pair"]


def test_a_tightened_limit_names_the_model_quantity_value_and_limit(project, capsys):
    (project / "pyproject.toml").write_text(PYPROJECT.format(params="100"))
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "OVER   params 112 > limit 100 (100)" in captured.out
    message = "tiny (demo_nets:TinyNet) is over budget: params 112 > limit 100 (100)"
    assert captured.err == f"cnncost: {message}\n"
    with pytest.raises(cnncost.BudgetExceeded) as raised:
        cnncost.check_config()
    assert str(raised.value) == message
    assert main(["check", "pair"]) == 0  # one model by its name


@pytest.mark.parametrize(
    "change, words",
    [
        (
            ('max-macs = "100k"', 'max-mac = "100k"'),
            "pyproject.toml: [tool.cnncost.models.tiny]: unknown key 'max-mac' (did you mean: max-macs",
        ),
        (
            ('max-macs = "100k"', 'max-macs = "100q"'),
            "pyproject.toml: [tool.cnncost.models.tiny]: max-macs: malformed count '100q'",
        ),
        (
            ("max-weights = 16", 'max-weights = "16 bytes"'),
            "pyproject.toml: [tool.cnncost.models.pair]: max-weights: malformed memory size '16 bytes'",
        ),
        (
            ('source = "nets/pair.toml"', 'source = "nets/pear.toml"'),
            "pyproject.toml: [tool.cnncost.models.pair]: cannot read",
        ),
        (
            ('source = "demo_nets:TinyNet"', 'source = "demo_nets:TinyNett"'),
            "pyproject.toml: [tool.cnncost.models.tiny]: demo_nets has no attribute 'TinyNett' (did you mean: TinyNet?)",
        ),
        (('source = "demo_nets:TinyNet"\n', ""), "pyproject.toml: [tool.cnncost.models.tiny]: source: give the model"),
        (('input = "3x32x32"', "input = 3"), '[tool.cnncost.models.tiny]: input: a size such as "3x224x224"'),
        (('optimizer = "sgd"', 'optimizer = "lamb"'), "[tool.cnncost.models.pair]: optimizer: 'lamb' is not one of"),
        (('optimizer = "sgd"', 'dtype = "fp64"'), "[tool.cnncost.models.pair]: dtype: unknown dtype 'fp64'"),
        (
            ('optimizer = "sgd"', 'tolerance = { mac = "1%" }'),
            "[tool.cnncost.models.pair]: no total 'mac' to hold to a baseline (did you mean: macs?)",
        ),
        (('max-params = "1k"\nmax-macs = "100k"\n', ""), "pyproject.toml: [tool.cnncost.models.tiny]: no limit"),
    ],
)
def test_a_malformed_entry_names_the_file_table_and_key(project, capsys, change, words):
    text = PYPROJECT.format(params="1k").replace(*change)
    (project / "pyproject.toml").write_text(text)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnncost: error: ") and err.count("\n") == 1 and words in err
    with pytest.raises(cnncost.CnnCostError, match="pyproject.toml"):
        cnncost.check_config()


def test_a_model_not_configured_and_no_configuration(project, tmp_path_factory, monkeypatch, capsys):
    assert main(["check", "tiyn"]) == 2
    assert "no model 'tiyn' (did you mean: tiny?); configured: tiny, pair" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert main(["check"]) == 2
    assert "no configuration found: add [tool.cnncost.models.NAME] tables" in capsys.readouterr().err


def test_cnncost_toml_for_a_project_without_pyproject(tmp_path, monkeypatch, capsys):
    (tmp_path / "cnncost.toml").write_text(
        textwrap.dedent("""
        [models.alexnet]
        source = "alexnet"
        max-params = "61.1M"
    """)
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 1  # AlexNet has 61,100,840 params
    assert "alexnet (alexnet) is over budget: params 61,100,840 > limit 61,100,000 (61.1M)" in capsys.readouterr().err
    (tmp_path / "cnncost.toml").write_text('[model.alexnet]\nsource = "alexnet"\n')
    assert main(["check"]) == 2
    assert "cnncost.toml: no models" in capsys.readouterr().err


@pytest.mark.slow
def test_a_latency_limit_times_the_model(project, capsys, short_latency):
    (project / "pyproject.toml").write_text(
        PYPROJECT.format(params="1k").replace('max-macs = "100k"', 'max-macs = "100k"\nmax-latency = "10s"')
    )
    configs = read_config(project / "pyproject.toml")
    assert configs[0].limits == {"max_params": "1k", "max_macs": "100k", "max_latency": "10s"}
    assert main(["check", "tiny"]) == 0
    assert "within latency" in capsys.readouterr().out


def test_command_line_limits_need_a_model(project, capsys):
    assert main(["check", "--max-params", "1M"]) == 2
    assert "limits on the command line are for one model checked alone" in capsys.readouterr().err
    assert main(["check", "--batch", "4"]) == 2
    assert "--batch: a configured model takes these from its table" in capsys.readouterr().err
    assert main(["check", "tiny", "--max-params", "1"]) == 2  # a configured name is not a model cnncost table takes
    assert "tiny is a configured model: `cnncost check tiny` checks it" in capsys.readouterr().err
    assert main(["check", "resnet18", "--max-params", "1", "--tolerance", "macs=1%"]) == 2
    assert "--tolerance is how much a total may grow over --baseline" in capsys.readouterr().err
    (project / "pyproject.toml").unlink()
    with pytest.raises(ConfigError, match="no configuration found"):
        read_config()


EXAMPLE = Path(__file__).parent.parent / "examples" / "ci-budgets"


@pytest.fixture
def example(tmp_path, monkeypatch):
    """examples/ci-budgets copied: a project with two models, their budgets, a baseline and a CI workflow."""
    folder = tmp_path / "ci-budgets"
    shutil.copytree(EXAMPLE, folder)
    monkeypatch.chdir(folder)
    monkeypatch.delitem(sys.modules, "budgeted_models", raising=False)
    return folder


def widen_the_first_block(folder: Path) -> None:
    path = folder / "budgeted_models.py"
    text = path.read_text()
    assert "block(3, width), block(width, 2 * width)" in text
    path.write_text(text.replace("block(3, width), block(width, 2 * width)", "block(3, 48), block(48, 2 * width)"))
    sys.modules.pop("budgeted_models", None)  # imported again, as a new process would


def test_the_example_project_end_to_end(example, capsys):
    assert (example / ".github" / "workflows" / "cnncost.yml").read_text().count("cnncost check --baseline") == 1
    assert main(["check", "--baseline", "cnncost-baseline.json"]) == 0
    out = capsys.readouterr().out
    assert "classifier (budgeted_models:SmallClassifier)" in out and out.count("baseline: unchanged") == 2
    # the classifier's params by hand: convs 3·32·9 + 32·64·9 + 64·64·9 = 56,160,
    # batch norms 2·(32 + 64 + 64) = 320, the head 64·10 + 10 = 650: 57,130
    assert "within params 57,130 <= limit 120,000 (120k)" in out

    widen_the_first_block(example)
    assert main(["check", "--baseline", "cnncost-baseline.json", "classifier"]) == 1
    captured = capsys.readouterr()
    changed = [line.split(" (")[0].strip() for line in captured.out.splitlines() if line.startswith("    ")]
    # the widened conv, its batch norm, ReLU and pool (outputs 32 -> 48 channels), and the next conv (its input grew)
    assert changed == ["features.0.0", "features.0.1", "features.0.2", "features.0.3", "features.1.0"]
    assert "features.0.0 (changed): params 864 -> 1,296" in captured.out  # 3·32·9 -> 3·48·9
    assert "features.1.0 (changed): params 18,432 -> 27,648" in captured.out  # 32·64·9 -> 48·64·9
    assert "cnncost: classifier has grown since the baseline: params 57,130 -> 66,810 (1.17x)" in captured.err

    assert main(["check", "--baseline", "cnncost-baseline.json", "classifier", "--update"]) == 0
    assert "baseline written: cnncost-baseline.json" in capsys.readouterr().out
    assert main(["check", "--baseline", "cnncost-baseline.json"]) == 0
    assert capsys.readouterr().out.count("baseline: unchanged") == 2
    baseline = json.loads((example / "cnncost-baseline.json").read_text())
    assert baseline["models"]["classifier"]["total"]["params"] == 66_810
    assert baseline["models"]["resnet18"]["total"]["params"] == 11_689_512  # the model not checked is kept


def test_a_tolerance_lets_a_total_grow_by_that_much(example, capsys):
    widen_the_first_block(example)
    # MACs 254,809,088 -> 344,462,336 (1.35x): a 40% tolerance passes, and 35% does not
    assert main(["check", "--baseline", "cnncost-baseline.json", "classifier", "--tolerance", "macs=40%"]) == 1
    assert "MACs" not in capsys.readouterr().err.split("grown since the baseline")[1]
    assert main(["check", "--baseline", "cnncost-baseline.json", "classifier", "--tolerance", "macs=35%"]) == 1
    assert "MACs 254,809,088 -> 344,462,336" in capsys.readouterr().err
    assert main(["check", "--baseline", "cnncost-baseline.json", "--tolerance", "mac=1%"]) == 2
    assert "no total 'mac' to hold to a baseline (did you mean: macs?)" in capsys.readouterr().err


def test_snapshot_writes_a_baseline_check_reads(example, capsys):
    assert main(["snapshot", "-o", "fresh.json"]) == 0
    fresh = json.loads((example / "fresh.json").read_text())
    kept = json.loads((example / "cnncost-baseline.json").read_text())
    assert set(fresh["models"]) == {"classifier", "resnet18"} and fresh["conventions"]
    assert fresh["models"]["classifier"]["total"] == kept["models"]["classifier"]["total"]
    assert main(["check", "--baseline", "missing.json"]) == 2
    assert "cannot read the baseline 'missing.json'" in capsys.readouterr().err


def test_machine_output_one_record_per_model_and_budget(example, capsys):
    assert main(["check", "--baseline", "cnncost-baseline.json", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    limits = [(r["model"], r["budget"], r["verdict"]) for r in records if not r["budget"].startswith("baseline")]
    assert limits == [
        ("classifier", "params", "within"),
        ("classifier", "MACs", "within"),
        ("classifier", "peak memory", "within"),
        ("classifier", "training memory (Adam)", "within"),
        ("resnet18", "params", "within"),
        ("resnet18", "weights", "within"),
    ]
    params = next(r for r in records if r["model"] == "classifier" and r["budget"] == "params")
    assert (params["value"], params["limit"], params["given"]) == (57_130, 120_000, "120k")
    assert len([r for r in records if r["budget"].startswith("baseline ")]) == 2 * 5  # five totals per model
    widen_the_first_block(example)
    assert main(["check", "--baseline", "cnncost-baseline.json", "--format", "md"]) == 1
    summary = capsys.readouterr().out
    assert "**Over budget or grown since the baseline: classifier.**" in summary
    assert "| classifier | baseline params " in summary and "57,130 -> 66,810" in summary and "**over**" in summary


def test_two_projects_with_a_models_module_each_in_one_process(tmp_path, monkeypatch):
    """Each configuration's module path is imported from its own folder, whatever the current folder and whatever
    was imported before: two projects' models.py are two models."""
    for name, width in (("a", 4), ("b", 8)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "models.py").write_text(MODELS.replace("nn.Conv2d(3, 4, 3)", f"nn.Conv2d(3, {width}, 3)"))
        (folder / "pyproject.toml").write_text(
            '[tool.cnncost.models.net]\nsource = "models:TinyNet"\ninput = "3x8x8"\nmax-params = "1M"\n'
        )
    monkeypatch.chdir(tmp_path / "a")
    params = [cnncost.check_config(tmp_path / name / "pyproject.toml")[0].profile.total.params for name in "ab"]
    assert params == [4 * 27 + 4, 8 * 27 + 8]  # 112 and 224


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda b: b["models"]["classifier"].pop("total"), "models.classifier: not a profile"),
        (lambda b: b["models"]["classifier"]["total"].update(macs="lots"), "total.macs must be a whole number"),
        (lambda b: b["models"]["classifier"]["layers"][0].pop("name"), "layers[0] needs a name and an op"),
        (
            lambda b: b["models"]["classifier"].update(
                batch=16, input_shape=[16, 3, 64, 64]
            ),  # a traced module's shapes
            "the baseline was taken at 16x3x64x64, batch 16, fp32, the model is profiled now at 8x3x64x64, batch 8, fp32",
        ),
    ],
)
def test_a_baseline_edited_by_hand_or_taken_elsewhere_is_refused(example, capsys, edit, words):
    path = example / "cnncost-baseline.json"
    baseline = json.loads(path.read_text())
    edit(baseline)
    path.write_text(json.dumps(baseline))
    assert main(["check", "--baseline", "cnncost-baseline.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cnncost: error: ") and err.count("\n") == 1 and words in err


def test_text_output_goes_to_the_file_and_a_subset_snapshot_keeps_the_rest(example, capsys):
    assert main(["check", "-o", "report.txt"]) == 0
    assert capsys.readouterr().out == "" and "within params 57,130" in (example / "report.txt").read_text()
    assert main(["snapshot", "classifier"]) == 0
    assert set(json.loads((example / "cnncost-baseline.json").read_text())["models"]) == {"classifier", "resnet18"}


def test_a_growth_of_a_quarter_percent_reads_as_a_change():
    from fractions import Fraction

    from cnncost.baseline import Growth

    growth = Growth("params", 28_589_128, 28_666_028, Fraction(0))  # +76,900: 1.0027x
    assert growth.describe() == "params 28,589,128 -> 28,666,028 (1.003x), grown by more than 0"
