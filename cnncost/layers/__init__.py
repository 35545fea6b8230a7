"""Layer types and their cost formulas. Importing this package registers every built-in type."""

from . import conv, elementwise, linear, merge, pool, reshape  # noqa: F401  (registration side effects)
from .registry import LayerType, OpCost, layer_type, layer_types, register

__all__ = ["LayerType", "OpCost", "layer_type", "layer_types", "register"]
