"""What the benchmark scripts share: the machine they ran on, medians over interleaved rounds, tables in Markdown."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from cnncost.torch.device import cpu_name


def machine(with_torch: bool = True) -> str:
    """One line: CPU, cores, Python and (when imported here) torch with its thread count."""
    parts = [f"CPU {cpu_name()}", f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    if with_torch:
        import torch

        parts.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    return ", ".join(parts)


def seconds(function: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of repeat calls."""
    return statistics.median(seconds(function) for _ in range(repeat))


def rounds(
    candidates: dict[str, Callable[[], float]], n: int, log: Callable[[str], None] | None = None
) -> dict[str, list[float]]:
    """Each round times every candidate once, in turn: noise from other work on the machine falls on all alike.

    A candidate returns its own time (so that it may take the median of several quick calls).
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for index in range(n):
        for name, candidate in candidates.items():
            times[name].append(candidate())
        if log:
            log(f"round {index + 1}/{n}: " + ", ".join(f"{name} {t[-1]:.3g} s" for name, t in times.items()))
    return times


def ratio(times: dict[str, list[float]], slow: str, fast: str) -> float:
    """Median over rounds of slow / fast measured in the same round."""
    return statistics.median(a / b for a, b in zip(times[slow], times[fast], strict=True))


def markdown(header: Sequence[str], rows: Sequence[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table; align is one letter per column, l or r (default: first left, the rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = [":--" if a == "l" else "--:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value: float) -> str:
    """Seconds as milliseconds, three significant digits."""
    return f"{value * 1e3:.3g}"


def log(message: str) -> None:
    """Progress on standard error, so that standard output holds only the results."""
    print(message, file=sys.stderr, flush=True)
