"""The way in: any nn.Module becomes a cnncost Graph. One forward pass is recorded on the meta device (record.py,
with the shapes of common ops made without running them in meta_shapes.py), each torch call is lowered to the node of
its layer type (rules.py, lowering.py), and module_graph.py puts it together.

Only this package and cnncost.torch import torch (pip install 'cnncost[torch]'); importing this package itself does
not, so that sources can name it without loading torch.
"""

from __future__ import annotations

from ..errors import CnnCostError


def require_torch():
    """Import torch, or say in one line how to install it."""
    try:
        import torch
    except ImportError:
        raise CnnCostError(
            "this command needs torch: pip install 'cnncost[torch]' (torch==2.13.0, a CPU build)"
        ) from None
    return torch
