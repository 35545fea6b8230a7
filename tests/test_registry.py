"""One registration per layer type: its facts agree with each other and with the rest of the package, so that a new
type is one formula and its registration, and every test below covers it without new test code."""

import pytest

from cnncost.analysis.memory import TRANSIENT_RULES, keep_rule
from cnncost.analysis.receptive import field_rule
from cnncost.analysis.training import BACKWARD_RULES
from cnncost.layers import CATEGORIES, layer_type, layer_types
from cnncost.shapes import Shape

TYPES = sorted(layer_types())


@pytest.mark.parametrize("op", TYPES)
def test_every_registration_is_complete(op):
    spec = layer_type(op)
    assert spec.category in CATEGORIES
    keep_rule(op), field_rule(op)  # each raises for a rule that does not exist
    assert spec.backward in BACKWARD_RULES and (spec.transient is None or spec.transient in TRANSIENT_RULES)
    assert set(spec.same_shape) <= set(spec.torch_functions)
    assert spec.doc, f"{op} needs a docstring giving its formula"
    cost = spec.formula(*(Shape(s) for s in spec.example.inputs), **spec.example.attributes)
    assert spec.arity in (None, len(spec.example.inputs))
    assert (spec.source is not None) == (spec.arity == 0)  # a type with no inputs says whether it grows with the batch
    if spec.view:
        assert cost.macs == cost.flops == 0
    if spec.parameter_tensors is not None:
        assert spec.parameter_tensors(dict(spec.example.attributes)) >= 1


def test_a_torch_function_lowers_to_one_family():
    """F.batch_norm is batch_norm1d, 2d or 3d by its input's rank: the family's one handler decides."""
    owners: dict[str, str] = {}
    for name, spec in layer_types().items():
        for function in spec.torch_functions:
            if function in owners:
                assert layer_type(owners[function]).family == spec.family, (
                    f"{function} is listed by {owners[function]} and {name}"
                )
            owners[function] = name


def test_the_torch_side_knows_every_type():
    pytest.importorskip("torch", reason="the torch side needs torch")
    from torch import nn

    from cnncost.torch.builders import torch_builder
    from cnncost.trace.rules import HANDLERS

    for name, spec in layer_types().items():
        if spec.torch_module is not None:
            assert hasattr(nn, spec.torch_module), f"{name}: torch.nn has no {spec.torch_module}"
        if spec.torch_functions:
            assert name in HANDLERS or spec.family in HANDLERS, f"{name}: no lowering for its torch functions"
        torch_builder(name)  # raises for a type without a builder
