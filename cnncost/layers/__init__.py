"""Layer types and their cost formulas. Importing this package registers every built-in type."""

from . import (activation, attention, conv, elementwise, linear, norm, pool, recurrent, reduce,  # noqa: F401
               resample, reshape, source)  # (registration side effects)
from .registry import CATEGORIES, Example, LayerType, OpCost, layer_type, layer_types, register

__all__ = ["CATEGORIES", "Example", "LayerType", "OpCost", "layer_type", "layer_types", "register"]
