"""What a profile's table shows: its rows (folded or not, blocks at a depth), raw integers or units, and which
analyses add their columns and sections (cnncost.report.analysis_views.ANALYSES)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    """What the table shows: fold in-place layers into their row, fold blocks at depth, raw integers (exact), and
    the analyses: receptive fields (rf), live and kept memory (memory), share bars (bars), an HTML chart (chart), the
    cost of a training step with an optimizer and frozen layers (training)."""

    fold: bool = True
    depth: int | None = None
    exact: bool = False
    rf: bool = False
    memory: bool = False
    bars: bool = False
    chart: bool = False
    training: bool = False
    optimizer: str = "adam"
    freeze: str | None = None
