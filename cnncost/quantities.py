"""The figures every layer has and the totals sum, each specified once: its key (the field of LayerCost and Totals,
and the key of every CSV, JSON and baseline record), its name in words, what it counts, and how a table prints it.
The table's columns, the records, the folded blocks, diffs and baselines all read their figures from QUANTITIES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import units


@dataclass(frozen=True)
class Quantity:
    """One figure of a layer, summed into the network's total."""

    key: str  # 'activation_bytes'
    label: str  # in words, in table headers and diffs: 'memory'
    tolerance_key: str  # the total as a baseline's tolerance names it: 'activations'
    scale: str  # the unit a table prints it in: 'KB'
    format: Callable[[int], str]  # a value in that unit, one decimal
    bytes: bool = False  # a number of bytes (KB = 1024 bytes), else a count
    per_layer: bool = True  # in the per-layer table and compared layer by layer in a diff (buffers: in totals only)
    needs_formula: bool = False  # unknown, not zero, for a layer without a cost formula (MACs, FLOPs)

    def header(self, exact: bool = False) -> str:
        """The table's header: 'MACs M', or with exact (raw integers) 'MACs' and 'memory B'."""
        if exact:
            return f"{self.label} B" if self.bytes else self.label
        return f"{self.label} {self.scale}"

    def cell(self, value: int, exact: bool = False) -> str:
        """A value in the table's unit, or with exact the raw integer."""
        return f"{value:,}" if exact else self.format(value)


PARAMS = Quantity("params", "params", "params", "k", units.thousands)
BUFFERS = Quantity("buffers", "buffers", "buffers", "k", units.thousands, per_layer=False)
MACS = Quantity("macs", "MACs", "macs", "M", units.millions, needs_formula=True)
FLOPS = Quantity("flops", "FLOPs", "flops", "M", units.millions, needs_formula=True)
MEMORY = Quantity("activation_bytes", "memory", "activations", "KB", units.kilobytes, bytes=True)

QUANTITIES = (PARAMS, BUFFERS, MACS, FLOPS, MEMORY)
KEYS = tuple(quantity.key for quantity in QUANTITIES)  # in the order of every record
PER_LAYER = tuple(quantity for quantity in QUANTITIES if quantity.per_layer)
BY_TOLERANCE_KEY = {quantity.tolerance_key: quantity for quantity in QUANTITIES}
