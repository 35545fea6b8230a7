"""The default views as whole processes: `cnncost table alexnet` and `cnncost table resnet152` on a terminal (rich,
fitted to 120 x 40, ResNet-152 folded to a screenful), piped (every row, plain box), and as Markdown and HTML files,
beside `python -c pass`.

Each round runs every command once, in turn, as a fresh process; the figures are medians over the rounds and the
'over python' column is the median, within a round, of the command's time minus python's. A terminal is a
pseudo-terminal whose output is read and discarded.

    python benchmarks/bench_views.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from _common import log, machine, markdown, rounds

# As an installed package runs: with its bytecode cached (see bench_cold_start.py).
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
COLUMNS, LINES = 120, 40


def in_terminal(argv: list[str]) -> float:
    """Seconds of argv in a pseudo-terminal of COLUMNS x LINES, its output read to the end."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        os.execve(argv[0], argv, ENVIRONMENT)
    while True:
        try:
            if not os.read(fd, 1 << 16):
                break
        except OSError:
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return time.perf_counter() - start


def piped(argv: list[str]) -> float:
    """Seconds of argv with its output piped and discarded."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, env=ENVIRONMENT)
    return time.perf_counter() - start


def commands(folder: Path) -> dict[str, object]:
    python = sys.executable
    cnncost = shutil.which("cnncost", path=str(Path(python).parent)) or shutil.which("cnncost")
    cli = [cnncost] if cnncost else [python, "-m", "cnncost"]
    found = {'python -c "pass"': lambda: piped([python, "-c", "pass"])}
    for model in ("alexnet", "resnet152"):
        found[f"cnncost table {model}, terminal {COLUMNS}x{LINES}"] = lambda m=model: in_terminal([*cli, "table", m])
        found[f"cnncost table {model}, piped"] = lambda m=model: piped([*cli, "table", m])
    found["cnncost table resnet152 --all-layers, terminal"] = lambda: in_terminal(
        [*cli, "table", "resnet152", "--all-layers"]
    )
    found["cnncost table resnet152 -o r.md"] = lambda: piped([*cli, "table", "resnet152", "-o", str(folder / "r.md")])
    found["cnncost table resnet152 -o r.html"] = lambda: piped(
        [*cli, "table", "resnet152", "-o", str(folder / "r.html")]
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        candidates = commands(Path(folder))
        for candidate in candidates.values():  # the first run writes the bytecode
            candidate()
        times = rounds(candidates, args.rounds, log)
    base = times['python -c "pass"']
    rows = []
    for name, found in times.items():
        over = statistics.median(t - b for t, b in zip(found, base, strict=True))
        rows.append([f"`{name}`", f"{statistics.median(found):.3f}", "" if found is base else f"{over:.3f}"])
    print(f"{machine(with_torch=False)}; {args.rounds} rounds\n")
    print(markdown(["command", "seconds (median)", "over python -c pass"], rows))


if __name__ == "__main__":
    main()
