"""The command line through main(argv): outputs, golden tables, and one-line errors with exit code 2."""

import json

import pandas as pd
import pytest

import cnncost
from cnncost.cli import main
from cnncost.zoo import list_blocks, list_models


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_alexnet_golden(capsys, golden):
    code, out, err = run(capsys, "table", "alexnet")
    assert code == 0 and err == ""
    golden("table_alexnet.txt", out)


def test_table_alexnet_markdown_golden(capsys, golden):
    code, out, _ = run(capsys, "table", "alexnet", "--format", "md")
    assert code == 0
    golden("table_alexnet.md", out)


@pytest.mark.parametrize("name", list_models())
def test_table_every_architecture(capsys, name):
    code, out, err = run(capsys, "table", name)
    assert code == 0 and err == ""
    assert "Total params" in out and f"{cnncost.profile(name).total.params:,}" in out


def test_table_options(capsys):
    code, out, _ = run(
        capsys, "table", "vgg16", "--input", "3x224x224", "--batch", "8", "--dtype", "fp16", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["batch"] == 8 and data["dtype"] == "fp16"
    assert data["total"]["macs"] == 8 * 15_470_264_320
    code, out, _ = run(capsys, "table", "alexnet", "--exact", "--all-layers")
    assert "72,855,552" in out and "relu1" in out
    code, out, _ = run(capsys, "table", "resnet18", "--depth", "1")
    assert code == 0 and "│ layer1  │ block of 14 layers" in out  # 2 blocks: conv, bn, relu, conv, bn, add, relu


def test_csv_file_reads_back(tmp_path, capsys):
    path = tmp_path / "resnet50.csv"
    code, out, _ = run(capsys, "table", "resnet50", "--format", "csv", "-o", str(path))
    assert code == 0 and out == ""
    frame = pd.read_csv(path, keep_default_na=False)
    expected = cnncost.profile("resnet50").to_frame()
    pd.testing.assert_frame_equal(frame[list(expected.columns)], expected)
    assert set(frame["network"]) == {"resnet50"} and set(frame["input"]) == {"3x224x224"}
    assert set(frame["batch"]) == {1} and set(frame["dtype"]) == {"fp32"} and set(frame["convention"]) == {"cnncost"}


def test_format_follows_the_output_suffix(tmp_path, capsys):
    path = tmp_path / "googlenet.json"
    assert run(capsys, "table", "googlenet", "-o", str(path))[0] == 0
    assert json.loads(path.read_text())["total"]["params"] == 6_624_904


def test_list_shows_every_architecture(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name in list_models() + list_blocks():
        assert f"│ {name} " in out
    assert out.index("│ vgg19_bn ") < out.index("Blocks (parts of networks") < out.index("│ inception-naive ")
    code, out, _ = run(capsys, "list", "resnet*", "--format", "json")
    assert [r["name"] for r in json.loads(out)] == list_models("resnet*") + list_blocks("resnet*")
    assert {r["kind"] for r in json.loads(out)} == {"network", "block"}


def test_formulas_lists_every_layer_type(capsys):
    code, out, _ = run(capsys, "formulas")
    assert code == 0 and "conv2d" in out and "MACs = C_out·H_out·W_out" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["table", "alexnett"], "unknown architecture 'alexnett' (did you mean: alexnet"),
        (["table", "alexnet", "--input", "3x"], "malformed size '3x'"),
        (["table", "alexnet", "--input", "abc"], "malformed size 'abc'"),
        (["table", "alexnet", "--input", "-1"], "malformed size '-1'"),
        (["table", "alexnet", "--input", "0x224x224"], "every size must be at least 1"),
        (["table", "alexnet", "--input", "3x6x6"], "conv1: output would be 0x0 from 3x6x6"),
        (["table", "alexnet", "--batch", "0"], "--batch must be a whole number"),
        (["table", "alexnet", "--depth", "0"], "--depth must be a whole number of at least 1"),
        (["table", "alexnet", "--dtype", "fp64"], "unknown dtype 'fp64'"),
        (["table", "alexnet", "--format", "xml"], "invalid choice: 'xml'"),
        (["table"], "the following arguments are required: name"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["list", "nothing*"], "no architecture matches 'nothing*'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("cnncost: error: ")
    assert message in err


def test_unwritable_output_leaves_no_file(tmp_path, capsys):
    target = tmp_path / "missing" / "out.csv"
    code, _, err = run(capsys, "table", "alexnet", "-o", str(target))
    assert code == 2 and "cannot write" in err and err.count("\n") == 1
    assert not target.parent.exists()


def test_failed_run_keeps_the_previous_file(tmp_path, capsys):
    path = tmp_path / "out.csv"
    path.write_text("previous")
    assert run(capsys, "table", "alexnet", "--input", "3x6x6", "-o", str(path))[0] == 2
    assert path.read_text() == "previous"
