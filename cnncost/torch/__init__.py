"""The torch side of cnncost: real modules for every layer type, checked and timed against the analytic engine.

Only this package imports torch (pip install 'cnncost[torch]').
"""

from __future__ import annotations

from ..errors import CnnCostError


def require_torch():
    """Import torch, or say in one line how to install it."""
    try:
        import torch
    except ImportError:
        raise CnnCostError("this command needs torch: pip install 'cnncost[torch]' (torch==2.13.0, a CPU build)") from None
    return torch
