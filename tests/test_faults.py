"""Faults, hostile paths and files, and the exit codes CI reads: what cnncost writes respects what the path is (a
symlink, a hard link, a FIFO, a device, standard output), a killed or terminated write leaves no half file, and
every failure has its exit code and one line on standard error."""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cnncost import files
from cnncost.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --- what the path is ---------------------------------------------------------------------------------------------


def test_a_symlink_keeps_pointing_at_its_target_which_is_written(tmp_path, capsys):
    target = tmp_path / "real.csv"
    target.write_text("previous")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert run(capsys, ["table", "alexnet", "-o", str(link)])[0] == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("name,op,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


def test_a_dangling_symlink_creates_its_target(tmp_path, capsys):
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "made.md")
    assert run(capsys, ["table", "alexnet", "-o", str(link)])[0] == 0
    assert link.is_symlink() and (tmp_path / "made.md").read_text().startswith("# alexnet")


def test_a_hard_link_is_written_in_place(tmp_path, capsys):
    first = tmp_path / "a.json"
    first.write_text("{}")
    second = tmp_path / "b.json"
    os.link(first, second)
    assert run(capsys, ["table", "alexnet", "-o", str(first)])[0] == 0
    assert second.read_text() == first.read_text() and os.stat(first).st_ino == os.stat(second).st_ino


def test_a_files_mode_is_kept_and_a_new_file_follows_the_umask(tmp_path, capsys):
    private = tmp_path / "private.csv"
    private.write_text("previous")
    private.chmod(0o600)
    assert run(capsys, ["table", "alexnet", "-o", str(private)])[0] == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    previous = os.umask(0o027)
    try:
        assert run(capsys, ["table", "alexnet", "-o", str(tmp_path / "new.csv")])[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640  # 0o666 & ~0o027


def test_the_process_umask_is_never_changed(tmp_path, monkeypatch):
    """Another thread's new files would get the temporary umask: cnncost never sets it."""

    def refuse(mask):
        raise AssertionError("os.umask called")

    monkeypatch.setattr(os, "umask", refuse)
    files.write_atomic(tmp_path / "a.txt", "text")
    assert (tmp_path / "a.txt").read_text() == "text"


def test_a_fifo_receives_the_output_and_stays_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert run(capsys, ["table", "alexnet", "--format", "csv", "-o", str(fifo)])[0] == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and received[0].startswith(b"name,op,")


@pytest.mark.skipif(os.geteuid() != 0, reason="os.mknod makes a character device only as root")
def test_a_character_device_is_written_and_stays_a_device(tmp_path, capsys):
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    assert run(capsys, ["table", "alexnet", "-o", str(device), "--format", "csv"])[0] == 0
    assert stat.S_ISCHR(device.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_dev_null_and_dev_stdout_are_not_replaced(capsys):
    assert run(capsys, ["table", "alexnet", "-o", "/dev/null", "--format", "csv"])[0] == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    process = subprocess.run(
        [sys.executable, "-m", "cnncost", "table", "alexnet", "--format", "csv", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0 and process.stdout.startswith("name,op,")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_dash_is_standard_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, ["table", "alexnet", "--format", "json", "-o", "-"])
    assert code == 0 and out.startswith("{") and list(tmp_path.iterdir()) == []


# --- writes interrupted -------------------------------------------------------------------------------------------

SLOW_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from cnncost import files
    from cnncost.cli import main
    real = os.write
    def slow(handle, data):
        written = real(handle, bytes(data[: len(data) // 2]))
        print("half", flush=True)
        time.sleep(60)
        return written
    files.os.write = slow
    sys.exit(main(["table", "alexnet", "--format", "csv", "-o", sys.argv[1]]))
    """
)


def _writer(target: Path) -> subprocess.Popen:
    """A cnncost process that stops halfway through writing target, and says so."""
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stdout.readline() == "half\n"
    return process


@pytest.mark.slow
def test_a_terminated_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("previous")
    process = _writer(target)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143 and err == "cnncost: terminated\n"
    assert target.read_text() == "previous" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.slow
def test_a_killed_writes_temporary_is_removed_by_the_next_write(tmp_path, capsys):
    target = tmp_path / "out.csv"
    target.write_text("previous")
    process = _writer(target)
    process.kill()
    process.communicate(timeout=30)
    assert target.read_text() == "previous"
    left = [p.name for p in tmp_path.iterdir() if p.name != "out.csv"]
    assert len(left) == 1 and left[0].startswith(f".out.csv.{process.pid}.")  # SIGKILL: nothing can clean up
    assert run(capsys, ["table", "alexnet", "-o", str(target)])[0] == 0
    assert len(list(tmp_path.iterdir())) == 2  # under an hour old: maybe a live writer in another container
    old = time.time() - 2 * 3600
    os.utime(tmp_path / left[0], (old, old))
    assert run(capsys, ["table", "alexnet", "-o", str(target)])[0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"] and target.read_text().startswith("name,op,")


def test_a_temporary_with_a_pid_no_system_gives_is_removed_once_stale(tmp_path):
    left = tmp_path / ".out.csv.99999999999999999999.ab.tmp"
    left.write_text("half")
    os.utime(left, (0, 0))
    files.write_atomic(tmp_path / "out.csv", "whole")
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_baseline_in_a_folder_it_cannot_write_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    locked_dir = tmp_path / "ro"
    locked_dir.mkdir()
    locked_dir.chmod(0o555)
    monkeypatch.chdir(tmp_path)
    try:
        code, _, err = run(capsys, ["snapshot", "-o", str(locked_dir / "base.json")])
    finally:
        locked_dir.chmod(0o755)
    if os.geteuid() == 0:  # root writes anywhere: the snapshot is written
        assert code == 0
    else:
        assert code == 2 and "is not writable" in err and err.count("\n") == 1


def test_a_running_writers_temporary_is_left_alone(tmp_path):
    live = tmp_path / f".out.csv.{os.getpid()}.0000.tmp"  # this process: running
    live.write_text("half")
    files.write_atomic(tmp_path / "out.csv", "whole")
    assert live.exists() and (tmp_path / "out.csv").read_text() == "whole"


# --- exit codes ---------------------------------------------------------------------------------------------------


def _module(tmp_path: Path, body: str) -> str:
    (tmp_path / "hostile.py").write_text(textwrap.dedent(body))
    return f"{tmp_path / 'hostile.py'}:Net"


@pytest.mark.torch
@pytest.mark.parametrize(
    "body, said",
    [
        ("import sys\nclass Net:\n    def __init__(self):\n        sys.exit(0)\n", "called sys.exit(0)"),
        ("class Net:\n    def __init__(self):\n        raise MemoryError('out of memory')\n", "MemoryError"),
        ("import sys\nsys.exit(3)\n", "called sys.exit(3)"),  # on import
        (
            "import sys, torch\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        sys.exit(3)\n",
            "called sys.exit(3)",
        ),  # in the forward
    ],
    ids=["sys.exit(0)", "MemoryError", "sys.exit on import", "sys.exit in forward"],
)
def test_a_model_that_exits_or_fails_oddly_is_a_failure_not_success(tmp_path, capsys, body, said):
    code, out, err = run(capsys, ["table", _module(tmp_path, body), "--input", "3x8x8"])
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and said in err and "Traceback" not in err


def test_an_internal_error_is_exit_3_with_one_line_and_the_traceback_on_debug(capsys, monkeypatch):
    from cnncost.commands import table

    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(table, "run", broken)
    code, out, err = run(capsys, ["table", "alexnet"])
    assert (code, out) == (3, "") and err == (
        "cnncost: failed: ZeroDivisionError: division by zero (--debug shows the traceback)\n"
    )
    code, _, err = run(capsys, ["table", "alexnet", "--debug"])
    assert code == 3 and "Traceback" in err and err.endswith("cnncost: failed: ZeroDivisionError: division by zero\n")


def test_a_full_standard_output_is_one_line_and_exit_2():
    process = subprocess.run(
        [sys.executable, "-m", "cnncost", "table", "alexnet"],
        stdout=open("/dev/full", "w"),  # noqa: SIM115  closed with the process
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert process.stderr == "cnncost: error: cannot write to standard output: No space left on device\n"


def test_help_names_every_exit_code(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the epilog
    for code in ("0 done", "1 a budget broken", "2 bad input", "3 another failure", "130 interrupted", "143"):
        assert code in out


# --- hostile files: exit 2, one line ------------------------------------------------------------------------------

CONFIG = '[tool.cnncost.models.alexnet]\nsource = "alexnet"\nmax-params = "100M"\n'


def _baseline(tmp_path: Path, capsys, change) -> Path:
    """A baseline of alexnet, hand-edited by change(its model record)."""
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    assert (
        run(capsys, ["snapshot", "--config", str(tmp_path / "pyproject.toml"), "-o", str(tmp_path / "b.json")])[0] == 0
    )
    document = json.loads((tmp_path / "b.json").read_text())
    change(document["models"]["alexnet"])
    (tmp_path / "b.json").write_text(json.dumps(document))
    return tmp_path / "b.json"


BASELINE_EDITS = {
    "input_shape of 5": (lambda m: m.update(input_shape=5), "input_shape must be a list of sizes"),
    "a layer without output_shape": (lambda m: m["layers"][0].pop("output_shape"), "output_shape must be a list"),
    "batch of 0": (lambda m: m.update(batch=0), "batch must be a whole number of at least 1"),
}


@pytest.mark.parametrize("edit", BASELINE_EDITS)
def test_a_hand_edited_baseline_is_one_line_and_update_repairs_it(tmp_path, capsys, monkeypatch, edit):
    change, message = BASELINE_EDITS[edit]
    path = _baseline(tmp_path, capsys, change)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, ["check", "--baseline", str(path)])
    assert code == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err
    code, out, err = run(capsys, ["check", "--baseline", str(path), "--update"])
    assert code == 0 and message in err and "writes it anew" in err
    assert run(capsys, ["check", "--baseline", str(path)])[0] == 0  # repaired


def _hostile(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Each hostile file, written into tmp_path: (the command line, what its one error line says)."""
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "deep.json").write_text(deep)
    (tmp_path / "deep.toml").write_text(f"a = {deep}\n")
    (tmp_path / "latin.toml").write_bytes('name = "n\xe9t"\ninput = [3, 8, 8]\n'.encode("latin-1"))
    (tmp_path / "blocks.json").write_text(
        json.dumps({"name": "n", "input": [3, 8, 8], "blocks": ["b"], "layers": [{"name": "a", "type": "relu"}]})
    )
    for name, text in {
        "latin": "[tool.cnncost]\n# caf\xe9\n".encode("latin-1"),
        "tool": b'tool = "x"\n# [tool.cnncost\n',
        "deep": f"[tool.cnncost]\na = {deep}\n".encode(),
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_bytes(text)
    (tmp_path / "pyproject.toml").write_text(CONFIG)
    return {
        "a baseline nested deep": (["check", "--baseline", "deep.json"], "nested more than 64 levels"),
        "a JSON spec nested deep": (["table", "deep.json"], "deep.json: nested more than 64 levels deep"),
        "a TOML spec nested deep": (["table", "deep.toml"], "deep.toml: nested more than 64 levels deep"),
        "a spec not in UTF-8": (["table", "latin.toml"], "latin.toml: not UTF-8 text (byte 0xe9 on line 1)"),
        "a pyproject not in UTF-8": (["check", "--config", "latin/pyproject.toml"], "not UTF-8 text (byte 0xe9"),
        "tool = 'x'": (["check", "--config", "tool/pyproject.toml"], "'tool' must be a table"),
        "a pyproject nested deep": (["check", "--config", "deep/pyproject.toml"], "nested more than 64 levels"),
        "blocks as a list": (["table", "blocks.json"], "'blocks' must be a table of blocks"),
    }


HOSTILE = list(_hostile(Path(tempfile.mkdtemp())))


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, case):
    argv, message = _hostile(tmp_path)[case]
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err and "Traceback" not in err


# --- numbers that would take long: refused or computed at once ---------------------------------------------------


def _spec(tmp_path: Path, layer: str, input: str = "[8, 16]") -> str:
    (tmp_path / "net.toml").write_text(f'name = "net"\ninput = {input}\n[[layers]]\nname = "l"\n{layer}\n')
    return str(tmp_path / "net.toml")


def test_huge_counts_and_sizes_are_computed_at_once(tmp_path, capsys):
    start = time.perf_counter()
    lstm = _spec(tmp_path, 'type = "lstm"\ninput_size = 16\nhidden_size = 8\nnum_layers = 1000000000000')
    code, out, _ = run(capsys, ["table", lstm, "--format", "json"])
    # 4 gates · 8 · ((16 + 8) + (10**12 - 1)(8 + 8)) weights + 10**12 · 2 · 4 · 8 biases
    assert code == 0 and json.loads(out)["total"]["params"] == 4 * 8 * (24 + (10**12 - 1) * 16) + 10**12 * 64
    pool = _spec(tmp_path, 'type = "adaptive_avg_pool2d"\noutput_size = 1000000000000', "[3, 8, 8]")
    assert run(capsys, ["table", pool, "--rf"])[0] == 0
    code, out, _ = run(capsys, ["table", "alexnet", "--batch", str(10**25), "--format", "csv"])
    assert code == 0 and f",{72_855_552 * 10**25}," in out  # conv1's MACs times the batch, exact
    assert time.perf_counter() - start < 5  # seconds: each takes well under one


def test_a_tolerance_out_of_range_is_refused_at_once(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(CONFIG + 'tolerance = { macs = "1e99999999" }\n')
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "'1e99999999' is out of range" in err and time.perf_counter() - start < 1


def test_the_longest_adaptive_window_in_closed_form():
    from cnncost.analysis.receptive import longest_adaptive_window

    for size in range(1, 60):
        for out in range(1, 60):
            if size % out:  # windows i span floor(i·size/out) to ceil((i+1)·size/out)
                longest = max(-(-(i + 1) * size // out) - i * size // out for i in range(out))
                assert longest_adaptive_window(size, out) == longest, (size, out)


# --- check: nothing passes unchecked ------------------------------------------------------------------------------


def test_a_check_with_nothing_to_check_is_an_error(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.alexnet]\nsource = "alexnet"\ntolerance = { macs = "1%" }\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "nothing to check" in err


@pytest.mark.torch
def test_a_baseline_check_fails_where_a_layer_without_a_formula_may_have_grown(tmp_path, capsys, monkeypatch):
    (tmp_path / "nets.py").write_text(
        "import torch\nclass Net(torch.nn.Module):\n    def forward(self, x):\n        return torch.nn.functional.unfold(x, 2)\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.net]\nsource = "nets.py:Net"\ninput = "3x8x8"\nmax-params = 1\n'
    )
    monkeypatch.chdir(tmp_path)
    assert run(capsys, ["snapshot"])[0] == 0
    code, _, err = run(capsys, ["check", "--baseline", "cnncost-baseline.json"])
    assert code == 2 and "without a cost formula (unfold) may have grown" in err


# --- configuration found by searching -----------------------------------------------------------------------------


def _planted(tmp_path: Path) -> tuple[Path, Path]:
    """A configuration in a shared folder (writable by all, no sticky bit) whose source writes a marker when
    imported, and a project folder below it without one: (the project folder, the marker)."""
    shared = tmp_path / "shared"
    (shared / "project").mkdir(parents=True)
    marker = tmp_path / "imported"
    (shared / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Net: pass\n")
    (shared / "pyproject.toml").write_text('[tool.cnncost.models.net]\nsource = "evil.py:Net"\nmax-params = 1\n')
    shared.chmod(0o777)
    return shared / "project", marker


def test_a_configuration_planted_in_a_shared_folder_is_never_imported(tmp_path, capsys, monkeypatch):
    project, marker = _planted(tmp_path)
    monkeypatch.chdir(project)
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "other users may replace it" in err and "--config" in err and not marker.exists()


def test_the_search_stops_at_a_project_file_and_at_a_repository(tmp_path, capsys, monkeypatch):
    project, marker = _planted(tmp_path)
    (tmp_path / "shared").chmod(0o755)  # the configuration above is safe to read: the search must still stop
    (project / "pyproject.toml").write_text('[project]\nname = "mine"\n')
    monkeypatch.chdir(project)
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "no configuration found" in err and not marker.exists()
    (project / "pyproject.toml").unlink()
    (project / ".git").mkdir()
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "no configuration found" in err and not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="a file of another user is made with os.chown, as root")
def test_a_configuration_of_another_user_is_refused(tmp_path, capsys, monkeypatch):
    project, marker = _planted(tmp_path)
    (tmp_path / "shared").chmod(0o755)
    os.chown(tmp_path / "shared" / "pyproject.toml", 12345, 12345)
    monkeypatch.chdir(project)
    code, _, err = run(capsys, ["check"])
    assert code == 2 and "belongs to another user" in err and not marker.exists()


# --- parallel runs ------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_parallel_snapshots_into_one_baseline_keep_every_model(tmp_path):
    names = [f"m{i}" for i in range(8)]
    (tmp_path / "pyproject.toml").write_text(
        "".join(f'[tool.cnncost.models.{name}]\nsource = "alexnet"\nmax-params = "100M"\n' for name in names)
    )
    processes = [
        subprocess.Popen([sys.executable, "-m", "cnncost", "snapshot", name], cwd=tmp_path, stderr=subprocess.PIPE)
        for name in names
    ]
    assert [process.wait(timeout=120) for process in processes] == [0] * 8
    assert sorted(json.loads((tmp_path / "cnncost-baseline.json").read_text())["models"]) == names


# --- threads ------------------------------------------------------------------------------------------------------


def _small_convnet():
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.1), nn.Flatten(), nn.Linear(512, 10)
    )


@pytest.mark.torch
def test_eight_threads_profiling_one_model_give_the_single_threads_profile():
    import warnings

    import cnncost

    model = _small_convnet().train()
    filters = list(warnings.filters)
    alone = cnncost.profile(model, input=(3, 8, 8), batch=2)
    results: list = [None] * 8

    def work(i):
        results[i] = cnncost.profile(model, input=(3, 8, 8), batch=2)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(result == alone for result in results)
    assert all(m.training for m in model.modules()) and warnings.filters == filters


@pytest.mark.torch
def test_a_model_running_in_another_thread_leaves_no_rows_in_a_profile():
    import torch
    from torch import nn

    import cnncost

    busy, stop = nn.Sequential(nn.Linear(4, 4), nn.Tanh()), threading.Event()

    def run_other():
        with torch.no_grad():
            while not stop.is_set():
                busy(torch.ones(1, 4))

    other = threading.Thread(target=run_other)
    model = _small_convnet().eval()
    alone = cnncost.profile(model, input=(3, 8, 8))
    other.start()
    try:
        profiles = [cnncost.profile(model, input=(3, 8, 8)) for _ in range(5)]
    finally:
        stop.set()
        other.join(timeout=10)
    assert all(p == alone for p in profiles)


# --- nothing left behind ------------------------------------------------------------------------------------------


@pytest.mark.torch
def test_sys_path_and_the_random_state_are_as_they_were(tmp_path, monkeypatch, short_latency):
    import torch

    import cnncost

    (tmp_path / "mymodels.py").write_text(
        "import torch\ndef Net():\n    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    path = list(sys.path)
    cnncost.profile("mymodels:Net", input=(3, 8, 8))
    assert sys.path == path
    conv = torch.nn.Conv2d(3, 4, 3)
    state = torch.random.get_rng_state()
    cnncost.time_forward(conv, input=(3, 8, 8))  # a random input
    cnncost.time_forward("alexnet", input=(3, 64, 64))  # a module built with random weights, and a random input
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_hint_never_imports_the_users_package(tmp_path, capsys, monkeypatch):
    (tmp_path / "evilpkg").mkdir()
    marker = tmp_path / "imported"
    (tmp_path / "evilpkg" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (tmp_path / "evilpkg" / "sub.py").write_text("class Net: pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code, _, err = run(capsys, ["table", "evilpkg.sub.Net"])
    assert code == 2 and "evilpkg.sub:Net" in err and not marker.exists()


def test_control_characters_in_a_files_names_never_reach_the_terminal(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text(
        'name = "n\\u001b[2J"\ninput = [3, 8, 8]\n[[layers]]\nname = "a\\u001b]0;x\\u0007"\ntype = "relu"\n'
    )
    for fmt in ("table", "md", "csv"):
        code, out, _ = run(capsys, ["table", str(spec), "--format", fmt])
        assert code == 0 and "\x1b" not in out and "\x07" not in out and "\\x1b" in out
    spec.write_text('name = "n"\ninput = [3, 8, 8]\n[[layers]]\nname = "a\\u001b[2J"\ntype = "convolution"\n')
    code, _, err = run(capsys, ["table", str(spec)])
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


def test_the_memory_of_a_long_chain_by_hand(monkeypatch):
    """4,000 layers (3x3 conv and ReLU alternating, 16x8x8): every tensor 16·8·8·4 = 4,096 bytes; while layer i > 0
    runs, the input (held by the caller), its input and its output are alive: 12,288 bytes; layer 0 reads the input
    itself: 8,192. A sweep, not a sum over every storage per layer (which took 3.1 s at this size)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from bench_scaling import INPUT, chain

    import cnncost
    from cnncost.analysis.memory import inference_memory

    graph = cnncost.Graph.build("chain", chain(4000), input=INPUT)
    memory = inference_memory(graph, cnncost.propagate(graph))
    assert memory.live_bytes[0] == 8_192 and set(memory.live_bytes[1:]) == {12_288} and memory.peak_bytes == 12_288


# --- the model as it was ------------------------------------------------------------------------------------------


class _Counter:
    def __init__(self):
        self.calls = 0


def _stateful():
    """A module whose forward appends to a list inside a dict, counts on an attribute object, and caches by key."""
    import torch
    from torch import nn

    class Stateful(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.state = {"past": [], "by_shape": {}}
            self.counter = _Counter()

        def forward(self, x):
            y = self.conv(x)
            self.state["past"].append(y)
            self.state["by_shape"][tuple(x.shape)] = y
            self.counter.calls += 1
            return y + (len(self.state["past"]) - 1) * torch.zeros(1)

    return Stateful()


@pytest.mark.torch
def test_state_nested_in_containers_and_objects_is_set_back():
    import torch

    import cnncost

    model = _stateful()
    cnncost.profile(model, input=(3, 8, 8))
    assert model.state == {"past": [], "by_shape": {}} and model.counter.calls == 0
    model(torch.randn(1, 3, 8, 8))  # a real forward afterwards: no meta tensor was left behind
    assert model.counter.calls == 1 and model.state["past"][0].device.type == "cpu"


@pytest.mark.torch
def test_state_is_set_back_after_an_interrupt(monkeypatch):
    import cnncost

    model = _stateful()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(model.conv, "forward", lambda x: interrupt())
    with pytest.raises(KeyboardInterrupt):
        cnncost.profile(model, input=(3, 8, 8))
    assert model.state == {"past": [], "by_shape": {}} and model.counter.calls == 0


@pytest.mark.torch
def test_a_scripted_batch_norm_in_training_is_profiled_and_left_as_it_was():
    import torch
    from torch import nn

    import cnncost

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.bn = nn.Conv2d(3, 8, 3), torch.jit.script(nn.BatchNorm2d(8))

        def forward(self, x):
            return self.bn(self.conv(x))

    model = Net().train()
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    profile = cnncost.profile(model, input=(3, 8, 8))
    after = model.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)  # num_batches_tracked still 0
    assert model.training and model.bn.training
    # the conv counted (3·9·8 MACs per output position, 6·6 positions); the scripted module one op without a formula
    assert profile.layer("conv").macs == 3 * 9 * 8 * 36 and [c.name for c in profile.uncounted] == ["bn"]
    assert profile.total.params == sum(p.numel() for p in model.parameters())


@pytest.mark.torch
def test_a_scripted_model_is_profiled_as_one_op():
    import torch
    from torch import nn

    import cnncost

    model = torch.jit.script(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU()))
    profile = cnncost.profile(model, input=(3, 8, 8))
    assert profile.total.params == sum(p.numel() for p in model.parameters()) and profile.uncounted


def test_check_help_says_each_exit_code_in_one_line(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("exit codes:")
    assert [line.split()[0] for line in lines[start + 1 : start + 6]] == ["0", "1", "2", "3", "130"]


@pytest.mark.torch
def test_a_module_that_cannot_be_copied_is_timed_in_place_or_refused_in_one_line(short_latency):
    import torch
    from torch import nn

    import cnncost
    from cnncost.errors import CnnCostError

    class Locked(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.lock = nn.Conv2d(3, 4, 3), threading.Lock()  # deepcopy cannot copy a lock

        def forward(self, x):
            with self.lock:
                return self.conv(x)

    model = Locked().train()
    timed = cnncost.time_forward(model, input=(3, 8, 8))  # on the CPU at fp32 already: timed as it is
    cnncost.assert_budget(timed, max_latency="10s")
    assert model.training and model.conv.training  # eval while timed, set back
    with pytest.raises(CnnCostError, match=r"cannot be copied to time it on cpu at bf16 \(TypeError"):
        cnncost.time_forward(model, input=(3, 8, 8), dtype="bf16")
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--input", "3xAx2"], "malformed size '3xAx2'"),
        ([], "a torch module needs an input size, such as --input 3x224x224"),
    ],
    ids=["malformed size", "no size"],
)
def test_a_size_is_checked_before_the_model_is_imported(tmp_path, capsys, monkeypatch, argv, message):
    marker = tmp_path / "imported"
    (tmp_path / "slow.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Net: pass\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, ["table", "slow.py:Net", *argv])
    assert code == 2 and message in err and not marker.exists()


@pytest.mark.slow
@pytest.mark.torch
def test_sigterm_during_a_models_forward_is_exit_143(tmp_path):
    (tmp_path / "slow.py").write_text(
        "import sys, time, torch\nclass Net(torch.nn.Module):\n    def forward(self, x):\n"
        "        print('forward', flush=True)\n        time.sleep(60)\n        return x\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cnncost", "table", "slow.py:Net", "--input", "3x8x8"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "forward\n"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143 and err == "cnncost: terminated\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="a file of another user is made with os.chown, as root")
def test_formulas_of_another_users_configuration_in_this_folder_are_never_imported(tmp_path, capsys, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef f(x): pass\n")
    (tmp_path / "cnncost.toml").write_text('[formulas]\ngrid_sample = "evil:f"\n')
    os.chown(tmp_path / "cnncost.toml", 12345, 12345)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, ["list"])
    assert code == 2 and "belongs to another user" in err and not marker.exists()


def test_dev_stdout_redirected_to_a_file_keeps_its_other_lines(tmp_path):
    log = tmp_path / "log"
    log.write_text("line1\n")
    with open(log, "a") as out:
        process = subprocess.run(
            [sys.executable, "-m", "cnncost", "table", "alexnet", "--format", "csv", "-o", "/dev/stdout"],
            stdout=out,
            timeout=60,
        )
    lines = log.read_text().splitlines()
    assert process.returncode == 0 and lines[0] == "line1" and lines[1].startswith("name,op,")


@pytest.mark.torch
def test_buffers_of_a_module_never_called_stay_in_its_unused_row():
    import torch
    from torch import nn

    import cnncost

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.aux = nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8, affine=False)  # aux: training only
            self.register_buffer("table", torch.zeros(10, 4))

        def forward(self, x):
            return self.conv(x)

    rows = {cost.name: (cost.op, cost.buffers) for cost in cnncost.profile(Net(), input=(3, 8, 8)).layers}
    # aux: running mean and variance, 8 each, and its batch count: 17; the root's table joins its first row (called)
    assert rows["aux"] == ("unused", 17) and rows["conv"] == ("conv2d", 40)


@pytest.mark.torch
def test_a_constructor_may_import_its_siblings(tmp_path, capsys, monkeypatch):
    (tmp_path / "helper.py").write_text("import torch\ndef make():\n    return torch.nn.Conv2d(3, 4, 3)\n")
    (tmp_path / "mod.py").write_text(
        "import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        import helper\n        self.conv = helper.make()\n    def forward(self, x):\n        return self.conv(x)\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    path = list(sys.path)
    assert run(capsys, ["table", "mod:Net", "--input", "3x8x8"])[0] == 0 and sys.path == path


@pytest.mark.torch
def test_deques_bytearrays_and_slots_are_set_back():
    import collections

    from torch import nn

    import cnncost

    class Slotted:
        __slots__ = ("n",)

        def __init__(self):
            self.n = 0

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.history = nn.Conv2d(3, 4, 3), collections.deque(maxlen=4)
            self.counter, self.raw = Slotted(), bytearray(b"ab")

        def forward(self, x):
            self.history.append(1)
            self.counter.n += 1
            self.raw.append(99)
            return self.conv(x)

    model = Net()
    cnncost.profile(model, input=(3, 8, 8))
    assert list(model.history) == [] and model.counter.n == 0 and model.raw == bytearray(b"ab")


@pytest.mark.torch
def test_a_frozen_slotted_dataclass_the_model_holds_does_not_stop_the_recording():
    from dataclasses import dataclass

    from torch import nn

    import cnncost

    @dataclass(frozen=True, slots=True)
    class Cfg:
        width: int = 4

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.cfg, self.conv = Cfg(), nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.conv(x)

    model = Net().train()
    assert cnncost.profile(model, input=(3, 8, 8)).total.params == 112  # 3·4·9 + 4
    assert model.training and model.conv.training and model.cfg == Cfg()


@pytest.mark.skipif(os.geteuid() != 0, reason="a file of another user is made with os.chown, as root")
def test_another_users_project_that_only_mentions_formulas_does_not_stop_a_command(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["formulas"]\n')
    os.chown(tmp_path / "pyproject.toml", 12345, 12345)
    monkeypatch.chdir(tmp_path)
    assert run(capsys, ["list"])[0] == 0


def test_a_closed_pipe_ends_quietly_with_141():
    process = subprocess.run(
        f"{shlex.quote(sys.executable)} -m cnncost table resnet152 --all-layers | true; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.stdout.strip() == "141" and process.stderr == ""


@pytest.mark.torch
def test_a_meta_recording_leaves_the_random_state_as_it_was():
    import torch
    from torch import nn

    import cnncost

    class Draws(nn.Module):
        def forward(self, x):
            return x + torch.rand(1, device="cpu").to(x.device)

    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    profile = cnncost.profile(Draws(), input=(3, 4, 4))
    assert profile.notes[0].text.startswith("recorded on the meta device")
    assert torch.equal(torch.random.get_rng_state(), state)


@pytest.mark.parametrize("text", ["5" * 5000, "²", "0"])
def test_a_batch_that_is_no_whole_number_in_range_is_exit_2(capsys, text):
    code, _, err = run(capsys, ["table", "alexnet", "--batch", text])
    assert code == 2 and err.count("\n") == 1
