"""Layer types and their cost formulas. Importing this package registers every built-in type."""

# each module registers the layer types of its family as it is imported
from . import activation, attention, conv, elementwise, linear, norm, pool, recurrent, reduce, resample, reshape, source
from .registry import CATEGORIES, Example, LayerType, OpCost, computes, layer_type, layer_types, register

__all__ = [
    "CATEGORIES",
    "Example",
    "LayerType",
    "OpCost",
    "activation",
    "attention",
    "computes",
    "conv",
    "elementwise",
    "layer_type",
    "layer_types",
    "linear",
    "norm",
    "pool",
    "recurrent",
    "reduce",
    "register",
    "resample",
    "reshape",
    "source",
]
