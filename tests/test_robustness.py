"""Bad input through the command line, all in one table: each case is one line on standard error starting
'cnncost: error: ', exit code 2, no traceback, nothing on standard output, and no output file: the -o target is not
created, and a file already there is left as it was. Then: huge sizes give exact integers at once, and a write that
fails halfway leaves the previous file intact and no temporary file behind.
"""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

import cnncost
from cnncost import files
from cnncost.cli import main
from cnncost.errors import CnnCostError

TORCH = importlib.util.find_spec("torch") is not None

HEADER = 'name = "net"\ninput = [3, 8, 8]\n'
SPECS = {  # spec files written into the test's folder
    "missing_field.toml": HEADER + '[[layers]]\nname = "a"\nout_channels = 4\n',
    "missing_name.toml": HEADER + '[[layers]]\ntype = "relu"\n',
    "missing_attribute.toml": HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\n',
    "unknown_type.toml": HEADER + '[[layers]]\nname = "a"\ntype = "convolution"\n',
    "misspelt_attribute.toml": HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\nkernal_size = 3\n',
    "cycle.toml": HEADER + '[[layers]]\nname = "a"\ntype = "relu"\ninputs = ["b"]\n'
    '[[layers]]\nname = "b"\ntype = "relu"\ninputs = ["a"]\n',
    "dangling.toml": HEADER + '[[layers]]\nname = "a"\ntype = "relu"\ninputs = ["ghost"]\n',
    "text_size.toml": HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = "16"\nkernel_size = 3\n',
    "float_groups.toml": HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\nkernel_size = 3\n'
    "groups = 1.0\n",
    "table_size.toml": HEADER + '[[layers]]\nname = "a"\ntype = "linear"\nout_features = {n = 3}\n',
    "bad_dim.toml": HEADER + '[[layers]]\nname = "a"\ntype = "concat"\ninputs = ["input", "input"]\ndim = "x"\n',
    "too_small.toml": HEADER + '[[layers]]\nname = "a"\ntype = "conv2d"\nout_channels = 4\nkernel_size = 9\n',
    "not_toml.toml": "name = \n",
    "no_layers.json": '{"name": "net", "input": [3, 8, 8], "layers": []}',
    "not_json.json": "{",
}
MODULES = {  # python files for the module paths
    "raises.py": 'raise RuntimeError("boom")\n',
    "syntax.py": "def broken(:\n",
    "not_a_module.py": "value = 42\n",
    "net.txt": "import torch\nNet = torch.nn.Identity\n",  # Python, but not in a .py file
}

# (argv, what stderr says); {dir} is the test's folder
CASES = [
    # names
    (["table", "alexnett"], "unknown architecture 'alexnett' (did you mean: alexnet"),
    (["table", ""], "unknown architecture ''"),
    (["compare", "alexnet", "nosuch"], "unknown architecture 'nosuch'"),
    (["spec", "nosuch"], "unknown architecture 'nosuch'"),
    (["list", "nothing*"], "no architecture matches 'nothing*'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["table"], "the following arguments are required: name"),
    # sizes
    (["table", "alexnet", "--input", "3x"], "malformed size '3x'"),
    (["table", "alexnet", "--input", "0x224x224"], "every size must be at least 1"),
    (["table", "alexnet", "--input", "-1"], "malformed size '-1'"),
    (["table", "alexnet", "--input", "abc"], "malformed size 'abc'"),
    (["table", "alexnet", "--input", "3x224x"], "malformed size '3x224x'"),
    (["table", "alexnet", "--input", "3.5x224x224"], "malformed size '3.5x224x224'"),
    (["table", "alexnet", "--input", ""], "malformed size ''"),
    (
        ["table", "resnet50", "--input", "3x224"],
        "resnet50 takes one sample of 3 dimension(s), such as 3x224x224; got 3x224",
    ),
    (["table", "alexnet", "--input", "3x6x6"], "conv1: output would be 0x0 from 3x6x6"),
    (["table", "vgg16", "--input", "3x16x16"], "pool5: output would be 0x0 from 512x1x1"),
    (["table", "googlenet", "--input", "3x1x1"], "output would be 0x0"),
    (["table", "alexnet", "--batch", "0"], "--batch must be a whole number of at least 1, got '0'"),
    (["table", "alexnet", "--batch", "-1"], "--batch must be a whole number of at least 1, got '-1'"),
    (["table", "alexnet", "--batch", "2.5"], "--batch must be a whole number of at least 1, got '2.5'"),
    (["table", "alexnet", "--depth", "0"], "--depth must be a whole number of at least 1"),
    (["compare", "alexnet", "vgg16", "--until", "huge"], "malformed size 'huge'"),
    (["check", "alexnet", "--max-params", "lots"], "malformed count 'lots'"),
    (["check", "alexnet", "--max-memory", "12XB"], "malformed"),
    # formats and dtypes
    (["table", "alexnet", "--format", "xml"], "invalid choice: 'xml'"),
    (["list", "--format", "yaml"], "invalid choice: 'yaml'"),
    (["spec", "alexnet", "--format", "yaml"], "invalid choice: 'yaml'"),
    (["table", "alexnet", "--dtype", "fp64"], "unknown dtype 'fp64'"),
    # spec files
    (["table", "{dir}/missing_field.toml"], "missing_field.toml: layers[0] (a): missing field 'type'"),
    (["table", "{dir}/missing_name.toml"], "missing_name.toml: layers[0]: missing field 'name'"),
    (["table", "{dir}/missing_attribute.toml"], "missing_attribute.toml: layers[0] (a): conv2d needs kernel_size"),
    (["table", "{dir}/unknown_type.toml"], "unknown_type.toml: layers[0] (a): field 'type': unknown layer type"),
    (["table", "{dir}/misspelt_attribute.toml"], "has no attribute 'kernal_size' (did you mean: kernel_size?)"),
    (["table", "{dir}/cycle.toml"], "cycle.toml: a: input 'b' comes after it"),
    (["table", "{dir}/dangling.toml"], "dangling.toml: a: input 'ghost' is not a layer of net"),
    (["table", "{dir}/text_size.toml"], "a: conv2d out_channels must be a whole number, got '16'"),
    (["table", "{dir}/float_groups.toml"], "a: conv2d groups must be a whole number, got 1.0"),
    (["table", "{dir}/table_size.toml"], "a: linear out_features must be a whole number, got {'n': 3}"),
    (["table", "{dir}/bad_dim.toml"], "concat dim 'x' is out of range"),
    (["table", "{dir}/too_small.toml"], "a: output would be 0x0 from 3x8x8"),
    (["table", "{dir}/not_toml.toml"], "not_toml.toml: not valid TOML"),
    (["table", "{dir}/no_layers.json"], "no_layers.json: 'layers' must be a non-empty list"),
    (["table", "{dir}/not_json.json"], "not_json.json: not valid JSON"),
    (["table", "{dir}/nowhere.toml"], "cannot read"),
    # module paths
    (
        ["table", "nosuchpkg.models:Net", "--input", "3x32x32"],
        "cannot import nosuchpkg.models: ModuleNotFoundError: No module named 'nosuchpkg'",
    ),
    (["table", "{dir}/missing.py:Net", "--input", "3x32x32"], "no such file: "),
    (["table", "{dir}/raises.py:Net", "--input", "3x32x32"], "raises.py: RuntimeError: boom"),
    (["table", "{dir}/syntax.py:Net", "--input", "3x32x32"], "syntax.py: SyntaxError"),
    (["table", "{dir}/not_a_module.py:value", "--input", "3x32x32"], "is neither an nn.Module"),
    (["table", "{dir}/not_a_module.py:missing", "--input", "3x32x32"], "has no attribute 'missing'"),
    (["table", "{dir}/net.txt:Net", "--input", "3x32x32"], "net.txt: not a Python file (a module path names a .py"),
    (["table", "tests.fixtures.user_nets:Nope", "--input", "3x32x32"], "has no attribute 'Nope'"),
    (["table", "tests.fixtures.user_nets:Residual"], "a torch module needs an input size"),
    # output paths
    (["table", "alexnet", "-o", "{dir}/no/such/folder/out.csv"], "cannot write"),
    (["table", "alexnet", "-o", "{dir}/a_file/out.csv"], "cannot write"),
    (["table", "alexnet", "-o", "{dir}"], "is a folder: name a file in it"),
    (["spec", "alexnet", "-o", "{dir}/no/such/folder/alexnet.toml"], "cannot write"),
]
WITH_OUTPUT = {"table", "compare", "spec", "list"}  # commands that take -o: each case also runs with one


def prepare(folder: Path) -> None:
    for name, text in {**SPECS, **MODULES}.items():
        (folder / name).write_text(text)
    (folder / "a_file").write_text("a file, not a folder")


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, message):
    assert code == 2
    assert out == ""
    assert err.startswith("cnncost: error: ") and err.count("\n") == 1 and err.endswith("\n")
    assert "Traceback" not in err
    assert message in err


def case(argv: list[str], message: str):
    """A case as a parameter; one that names a torch module (pkg.mod:Net, path/net.py:Net) needs torch, as the
    command does."""
    module_path = len(argv) > 1 and ":" in argv[1] and not argv[1].endswith((".toml", ".json"))
    marks = (
        [pytest.mark.torch, pytest.mark.skipif(not TORCH, reason="a torch module needs torch")] if module_path else []
    )
    return pytest.param(argv, message, marks=marks, id=" ".join(argv))


@pytest.mark.parametrize("argv, message", [case(argv, message) for argv, message in CASES])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)  # a module path's folder joins sys.path; nothing lands in the repository
    monkeypatch.syspath_prepend(str(Path(__file__).parent.parent))  # tests.fixtures.user_nets
    prepare(tmp_path)
    argv = [arg.format(dir=tmp_path) for arg in argv]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert_one_line_error(*run(capsys, argv), message)
    if argv and argv[0] in WITH_OUTPUT and "-o" not in argv:
        target = tmp_path / "out" / "result.csv"
        target.parent.mkdir()
        assert_one_line_error(*run(capsys, argv + ["-o", str(target)]), message)
        assert not target.exists()
        target.write_text("previous")
        assert_one_line_error(*run(capsys, argv + ["-o", str(target)]), message)
        assert target.read_text() == "previous"
        assert sorted(p.name for p in target.parent.iterdir()) == ["result.csv"]  # no temporary file left
        target.unlink()
        target.parent.rmdir()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == before


def test_huge_sizes_give_exact_integers_at_once(capsys):
    """3x100000x100000 at batch 100000 and beyond: Python integers, no overflow, no float, in well under a second."""
    start = time.perf_counter()
    code, out, err = run(
        capsys, ["table", "alexnet", "--input", "3x1000000x1000000", "--batch", "1000000", "--format", "json"]
    )
    assert code == 0 and err == ""
    conv1 = json.loads(out)["layers"][0]
    side = (1_000_000 + 2 * 2 - 11) // 4 + 1  # 11x11 stride 4 padding 2
    assert conv1["macs"] == 64 * side * side * 3 * 11 * 11 * 1_000_000  # 1,451,988,384,023,232,000,000 > 2**63
    for fmt in ("csv", "table", "md"):
        code, out, err = run(
            capsys, ["table", "resnet152", "--input", "3x100000x100000", "--batch", "100000", "--format", fmt]
        )
        assert code == 0 and err == ""
    assert "229,424,000,204,800,000,000" in out  # the MACs total, exact
    code, out, _ = run(
        capsys, ["table", "alexnet", "--input", "3x1000000x1000000", "--batch", "1000000", "--format", "csv"]
    )
    assert f",{conv1['macs']}," in out  # CSV keeps the exact integer too
    graph = cnncost.Graph.build(
        "wide", [cnncost.layer("adaptive_avg_pool2d", "pool", output_size=10**12)], input=(1, 7, 7)
    )
    # windows overlap at every boundary j*7/10**12 that is not a whole number: 7 + 10**12 - 1 per axis
    assert cnncost.propagate(graph).total.flops == (7 + 10**12 - 1) ** 2
    assert time.perf_counter() - start < 10  # seconds; it takes well under one


# --- atomic exports ---------------------------------------------------------------------------------------------


def fail_while_writing(monkeypatch, error: BaseException) -> None:
    """The first write takes half of what it is given, then the disk fills (or what is given is raised)."""
    real_write = os.write

    def write(handle, data):
        real_write(handle, bytes(data[: len(data) // 2]))
        raise error

    monkeypatch.setattr(files.os, "write", write)


def fail_on_replace(monkeypatch, error: BaseException) -> None:
    def replace(source, target):
        raise error

    monkeypatch.setattr(files.os, "replace", replace)


FAILURES = {
    "disk full while writing": (
        fail_while_writing,
        OSError(errno.ENOSPC, "No space left on device"),
        2,
        "cannot write",
    ),
    "interrupted while writing": (fail_while_writing, KeyboardInterrupt(), 130, "cnncost: interrupted"),
    "rename refused": (fail_on_replace, OSError(errno.EACCES, "Permission denied"), 2, "cannot write"),
    "interrupted before the rename": (fail_on_replace, KeyboardInterrupt(), 130, "cnncost: interrupted"),
}


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize(
    "argv, suffix",
    [
        (["table", "alexnet"], ".csv"),
        (["table", "alexnet", "--format", "md"], ".md"),
        (["table", "resnet18"], ".txt"),
        (["spec", "alexnet"], ".toml"),
        (["list", "vgg*"], ".json"),
    ],
)
def test_a_failed_write_keeps_the_previous_file(tmp_path, capsys, monkeypatch, failure, argv, suffix):
    make_fail, error, code, message = FAILURES[failure]
    target = tmp_path / f"result{suffix}"
    target.write_text("previous")
    make_fail(monkeypatch, error)
    got, out, err = run(capsys, argv + ["-o", str(target)])
    assert got == code and out == "" and err.count("\n") == 1 and message in err and "Traceback" not in err
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


def test_a_failed_write_from_python_raises_and_keeps_the_file(tmp_path, monkeypatch):
    target = tmp_path / "alexnet.csv"
    target.write_text("previous")
    fail_on_replace(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(CnnCostError, match="cannot write"):
        cnncost.profile("alexnet").to_csv(target)
    assert target.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["alexnet.csv"]


def test_a_successful_write_replaces_the_file_whole(tmp_path, capsys):
    target = tmp_path / "alexnet.json"
    target.write_text("previous")
    assert run(capsys, ["table", "alexnet", "-o", str(target)])[0] == 0
    assert json.loads(target.read_text())["total"]["params"] == 61_100_840
    assert [p.name for p in tmp_path.iterdir()] == ["alexnet.json"]
