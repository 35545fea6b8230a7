"""Cold start: `cnncost table resnet152` as a whole process, beside `python -c "import torch"` and a torchinfo summary;
and the first profile of an nn.Module in a fresh process beside the second.

Each round runs every command once, in turn, as a fresh process with its output discarded; the figures are medians
over the rounds, each ratio the median of the ratios within a round. The torchinfo command builds ResNet-152 with
cnncost's torch builders (torchvision is not needed; the built-in graph matches torchvision's layer for layer) and
prints its summary at 3x224x224, batch 1, on the CPU, as a user's script would.

    python benchmarks/bench_cold_start.py [--rounds 15] [--model resnet152]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from _common import log, machine, markdown, ratio, rounds, seconds

TORCHINFO = """
import torch, torchinfo, cnncost
from cnncost.torch.network import build_module
graph = cnncost.create({model!r})
module = build_module(graph, cnncost.propagate(graph), "cpu")
torchinfo.summary(module, input_size=(1, *graph.default_input.dims))
"""


def commands(model: str) -> dict[str, list[str]]:
    """The label and argv of every command, the cnncost command first."""
    python = sys.executable
    cnncost = shutil.which("cnncost", path=str(Path(python).parent)) or shutil.which("cnncost")
    cli = [cnncost] if cnncost else [python, "-m", "cnncost.cli"]
    return {
        f"cnncost table {model}": [*cli, "table", model],
        f"cnncost table {model} --format csv": [*cli, "table", model, "--format", "csv"],
        'python -c "pass"': [python, "-c", "pass"],
        'python -c "import torch"': [python, "-c", "import torch"],
        f"torchinfo summary of {model}": [python, "-c", TORCHINFO.format(model=model)],
    }


# As an installed package runs: with its bytecode cached. Where PYTHONDONTWRITEBYTECODE is set (as on the machine of
# benchmarks/README.md) every process would compile every module it imports again (0.15 s for cnncost.torch alone).
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

FIRST_CALL = """
import time, torch, cnncost
from cnncost.torch.network import build_module
try:
    import torchvision
    module, kind = getattr(torchvision.models, {model!r})().eval(), "torchvision"
except (ImportError, AttributeError):
    graph = cnncost.create({model!r})
    module, kind = build_module(graph, cnncost.propagate(graph), "cpu"), "cnncost's build_module"
times = []
for _ in range(2):
    start = time.perf_counter()
    cnncost.profile(module, input=(3, 224, 224))
    times.append(time.perf_counter() - start)
print(kind, *times)
"""


def first_and_second(model: str, n: int) -> tuple[str, list[float], list[float]]:
    """(the module's kind, first-call and second-call seconds) of cnncost.profile(module) in n fresh processes."""
    firsts, seconds_ = [], []
    for _ in range(n + 1):  # the first process writes the bytecode, and is not counted
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CALL.format(model=model)],
            capture_output=True,
            text=True,
            check=True,
            env=ENVIRONMENT,
        ).stdout.split()
        kind, first, second = " ".join(out[:-2]), float(out[-2]), float(out[-1])
        firsts.append(first)
        seconds_.append(second)
    return kind, firsts[1:], seconds_[1:]


def run(argv: list[str]) -> float:
    def once() -> None:
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, env=ENVIRONMENT)

    return seconds(once)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--model", default="resnet152")
    args = parser.parse_args()
    argvs = commands(args.model)
    for argv in argvs.values():
        run(argv)  # warm the file and bytecode caches: every round then starts from the same state
    times = rounds({label: (lambda argv=argv: run(argv)) for label, argv in argvs.items()}, args.rounds, log)
    ours = next(iter(argvs))
    print(f"{machine()}\n\n{args.rounds} rounds; cnncost run as `{' '.join(argvs[ours])}`\n")
    rows = []
    for label in argvs:
        values = times[label]
        row = [f"`{label}`", f"{statistics.median(values):.3f}", f"{min(values):.3f}", f"{max(values):.3f}"]
        row.append("1" if label == ours else f"{ratio(times, label, ours):.2f}")
        rows.append(row)
    print(markdown(["command", "median s", "min s", "max s", f"ratio to {ours}"], rows))
    kind, firsts, seconds_ = first_and_second(args.model, args.rounds)
    ratios = [a / b for a, b in zip(firsts, seconds_, strict=True)]
    print(
        f"\n`cnncost.profile(module, input=(3, 224, 224))` of {args.model} ({kind}'s nn.Module), the first and the "
        f"second call in a fresh process, {args.rounds} processes:\n"
    )
    print(
        markdown(
            ["call", "median s", "min s", "max s"],
            [
                ["first", *(f"{f(firsts):.3f}" for f in (statistics.median, min, max))],
                ["second", *(f"{f(seconds_):.3f}" for f in (statistics.median, min, max))],
                ["first / second", *(f"{f(ratios):.2f}" for f in (statistics.median, min, max))],
            ],
        )
    )


if __name__ == "__main__":
    main()
