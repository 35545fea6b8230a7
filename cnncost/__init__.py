"""cnncost: a layer-by-layer cost profiler for convolutional networks.

import cnncost
p = cnncost.profile("alexnet")
p.total.params, p.total.macs, p.layers[0].output_shape
"""

from __future__ import annotations

# Profile's exports and training() are provided from these floors (results.PROVIDED): imported with cnncost
from .analysis import training as _training  # noqa: F401
from .budget import BudgetExceeded, assert_budget, check_budget
from .config import check_config
from .engine import propagate
from .errors import CnnCostError, CnnCostWarning, GraphError, ShapeError, UnknownNameError
from .extend import register_formula
from .graph import INPUT, Graph, Node, layer
from .latency import time_forward
from .layers import OpCost
from .profiler import check_trace, profile, uncounted_summary
from .report import export as _export  # noqa: F401
from .results import LayerCost, Profile, Totals
from .shapes import Shape
from .targets import predict as _predict  # noqa: F401
from .version import __version__
from .zoo import create, list_models

__all__ = [
    "BudgetExceeded",
    "assert_budget",
    "check_budget",
    "check_config",
    "check_trace",
    "CnnCostError",
    "CnnCostWarning",
    "Graph",
    "GraphError",
    "INPUT",
    "LayerCost",
    "Node",
    "OpCost",
    "Profile",
    "Shape",
    "ShapeError",
    "Totals",
    "UnknownNameError",
    "__version__",
    "create",
    "layer",
    "list_models",
    "profile",
    "propagate",
    "register_formula",
    "time_forward",
    "uncounted_summary",
]
