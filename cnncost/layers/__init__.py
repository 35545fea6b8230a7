"""Layer types and their cost formulas. Importing this package registers every built-in type."""

from . import (  # noqa: F401
    activation,
    attention,
    conv,
    elementwise,
    linear,
    norm,
    pool,
    recurrent,
    reduce,
    resample,  # (registration side effects)
    reshape,
    source,
)
from .registry import CATEGORIES, Example, LayerType, OpCost, layer_type, layer_types, register

__all__ = ["CATEGORIES", "Example", "LayerType", "OpCost", "layer_type", "layer_types", "register"]
