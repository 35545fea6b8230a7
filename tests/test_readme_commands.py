"""Every cnncost command in the README's code blocks runs as written: in a folder of its own that holds the reader's
files the README names (mypkg/models.py, my_net.toml, path/to/net.py, a configured project with its baseline), with
exit code 0 (1 too for `bench --check` and a latency budget: their timings may fail on a loaded machine, and they
are not this test's to hold). Commands for a CUDA device are skipped without one."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from cnncost.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """Every distinct `cnncost ...` line in a code block, its comment dropped."""
    found: dict[str, None] = {}
    inside = False
    for line in README.splitlines():
        if line.strip().startswith("```"):
            inside = not inside
            continue
        text = line.strip().removeprefix("$ ").removeprefix("- run: ")
        if inside and text.startswith("cnncost "):
            found.setdefault(text.partition(" #")[0].strip(), None)
    return list(found)


COMMANDS = readme_commands()

NET = """import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


def build_net():
    return Net()
"""


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """A folder with the files the README's commands name, as its reader would have them."""
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    (tmp_path / "mypkg" / "models.py").write_text(NET)
    (tmp_path / "path" / "to").mkdir(parents=True)
    (tmp_path / "path" / "to" / "net.py").write_text(NET)
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "fixtures" / "unet.py", tmp_path / "tests" / "fixtures" / "unet.py")
    project = ROOT / "examples" / "ci-budgets"
    for item in project.iterdir():
        if item.is_file():
            shutil.copy(item, tmp_path / item.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["spec", "resnet18", "-o", "my_net.toml"]) == 0
    return tmp_path


def test_the_readme_has_commands_to_run():
    assert len(COMMANDS) >= 40 and "cnncost table alexnet" in COMMANDS


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.parametrize("command", COMMANDS)
def test_every_readme_command_runs_as_written(reader, capsys, command):
    if "--device cuda" in command:
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("no CUDA device: the README runs this on a machine with a GPU")
    got = main(shlex.split(command)[1:])
    _, err = capsys.readouterr()
    timed = "--check" in command or "--max-latency" in command  # a timing: not this test's to hold on a busy machine
    assert got in ((0, 1) if timed else (0,)), f"{command}: exit {got}; {err}"
