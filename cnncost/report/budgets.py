"""Budget checks for machines and pull requests: one record per model and budget (JSON, CSV), or a Markdown summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .document import Document, Text, table


@dataclass(frozen=True)
class Outcome:
    """One model's checks: its limits (cnncost.budget.Check) and, with a baseline, its totals against it."""

    model: str
    source: str
    checks: tuple
    baseline: Any = None  # cnncost.baseline.BaselineCheck, or None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks) and not (self.baseline and self.baseline.broken)


def budget_records(outcomes: list[Outcome]) -> list[dict]:
    """A record per model and budget: the value, the limit, the verdict; baselines as 'baseline <total>'."""
    rows = []
    for outcome in outcomes:
        for check in outcome.checks:
            rows.append(
                {
                    "model": outcome.model,
                    "source": outcome.source,
                    "budget": check.quantity,
                    "value": _plain(check.value),
                    "limit": _plain(check.limit),
                    "given": check.given,
                    "verdict": "within" if check.ok else "over",
                }
            )
        for growth in outcome.baseline.growths if outcome.baseline else ():
            rows.append(
                {
                    "model": outcome.model,
                    "source": outcome.source,
                    "budget": f"baseline {growth.quantity}",
                    "value": growth.after,
                    "limit": _plain(growth.before + growth.allowed),
                    "given": f"{growth.before} + {_plain(growth.allowed)}",
                    "verdict": "within" if growth.ok else "over",
                }
            )
    return rows


def _plain(value) -> int | float:
    """An integer where the value is whole (counts, bytes), else a float (seconds)."""
    return int(value) if value == int(value) else float(value)


def budget_document(outcomes: list[Outcome]) -> Document:
    """A summary fit for a pull-request comment: the verdict first, then every budget."""
    over = [outcome.model for outcome in outcomes if not outcome.ok]
    rows = []
    for outcome in outcomes:
        for check in outcome.checks:
            rows.append(
                [
                    outcome.model,
                    check.quantity,
                    check.text(check.value),
                    f"{check.text(check.limit)} ({check.given})",
                    "within" if check.ok else "**over**",
                ]
            )
        for growth in outcome.baseline.changed if outcome.baseline else ():
            rows.append(
                [
                    outcome.model,
                    f"baseline {growth.quantity}",
                    f"{growth.before:,} -> {growth.after:,}",
                    f"+{int(growth.allowed):,}",
                    "within" if growth.ok else "**over**",
                ]
            )
    verdict = (
        f"**Over budget or grown since the baseline: {', '.join(over)}.**"
        if over
        else f"All {len(rows)} budgets of {len(outcomes)} model(s) hold"
        + (", and no total has grown since the baseline." if any(o.baseline for o in outcomes) else ".")
    )
    return Document(
        "cnncost budgets",
        (
            Text(verdict),
            table(["model", "budget", "value", "limit", "verdict"], rows, [False, False, True, True, False]),
        ),
    )
