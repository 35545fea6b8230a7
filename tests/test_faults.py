"""Faults, hostile paths and files, and the exit codes CI reads: what cnncost writes respects what the path is (a
symlink, a hard link, a FIFO, a device, standard output), a killed or terminated write leaves no half file, and
every failure has its exit code and one line on standard error."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
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
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"] and target.read_text().startswith("name,op,")


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
    ],
    ids=["sys.exit(0)", "MemoryError"],
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
