"""Which tensors need a gradient in a training step, and which layers' parameters are trained: the backward pass's
products (training) and what autograd keeps for them (memory) both follow from it, as torch's autograd does.

A layer's parameters are trained unless a recorded module holds them with requires_grad False or --freeze names the
layer; a module called twice trains its parameters at each call unless the later call is frozen by name. A tensor
needs a gradient when a trained parameter lies before it: the network's input does not, so autograd records nothing
for the layers before the first trained parameter.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import CnnCostError, CnnCostWarning, close_matches
from ..graph import INPUT
from ..results import LayerCost, Profile


@dataclass(frozen=True)
class GradientFlow:
    """What a training step differentiates: by layer, its trained parameters and whether its weight is trained; by
    tensor (the input and each layer's output), whether it needs a gradient."""

    frozen: tuple[str, ...]  # the layers frozen by name, in execution order
    trained: dict[str, int]  # parameters trained (elements), counted at the layer that owns them
    trains: dict[str, bool]  # its weight (its own, or one it reuses) is trained
    needs_grad: dict[str, bool]

    def input_needs(self, cost: LayerCost) -> list[bool]:
        """Whether each input of the layer needs a gradient."""
        return [self.needs_grad.get(name, False) for name in cost.inputs]


def gradient_flow(profile: Profile, freeze: str | Iterable[str] | None = None) -> GradientFlow:
    """Trained parameters and gradients through the network, freeze naming layers not trained (see frozen_layers):
    needs_grad(layer) = trains(layer) or any input needs one."""
    frozen = frozen_layers(profile, freeze)
    frozen_set = set(frozen)
    trained: dict[str, int] = {}
    trains: dict[str, bool] = {}
    needs_grad: dict[str, bool] = {INPUT: False}
    for cost in profile.layers:
        trained[cost.name] = 0 if cost.name in frozen_set else cost.params - cost.frozen_params
        if cost.shares:
            trains[cost.name] = trains.get(cost.shares, False) and cost.name not in frozen_set
        else:
            trains[cost.name] = _weight_trained(cost, trained[cost.name])
        needs_grad[cost.name] = trains[cost.name] or any(needs_grad.get(name, False) for name in cost.inputs)
    return GradientFlow(frozen, trained, trains, needs_grad)


def frozen_layers(profile: Profile, spec: str | Iterable[str] | None) -> tuple[str, ...]:
    """The layers a freeze spec names, in execution order: comma-separated items, each a layer name or a block's
    prefix (layer1 is every layer1.*), or FIRST..LAST, the layers from the first of FIRST to the last of LAST."""
    if not spec:
        return ()
    items = [item.strip() for item in (spec.split(",") if isinstance(spec, str) else spec) if item.strip()]
    names = [cost.name for cost in profile.layers]
    chosen: set[int] = set()
    for item in items:
        if ".." in item:
            first, last = (part.strip() for part in item.split("..", 1))
            start = _matches(profile, first)[0] if first else 0
            stop = _matches(profile, last)[-1] if last else len(names) - 1
            if stop < start:
                raise CnnCostError(
                    f"--freeze {item}: {names[stop]} comes before {names[start]} (a range is "
                    "FIRST..LAST in execution order)"
                )
            chosen.update(range(start, stop + 1))
        else:
            found = _matches(profile, item)
            if not any(profile.layers[i].params or profile.layers[i].shares for i in found):
                warnings.warn(
                    f"--freeze {item}: {item} has no parameters, so freezing it changes nothing",
                    CnnCostWarning,
                    stacklevel=3,
                )
            chosen.update(found)
    return tuple(names[i] for i in sorted(chosen))


def _matches(profile: Profile, name: str) -> list[int]:
    """Indices of the layer of that name and of the layers inside the block of that name."""
    found = [
        i
        for i, cost in enumerate(profile.layers)
        if cost.name == name or cost.name.startswith((name + ".", name + "#"))
    ]  # c#2: c called again
    if not found:
        blocks = {
            ".".join(parts[:i])
            for parts in (cost.name.split(".") for cost in profile.layers)
            for i in range(1, len(parts) + 1)
        }
        raise CnnCostError(
            f"--freeze: {profile.name} has no layer or block {name!r}{close_matches(name, sorted(blocks))}"
        )
    return found


def _weight_trained(cost: LayerCost, trained: int) -> bool:
    """Whether a layer's weight is trained: some of its parameters are, and, where a recorded module froze some, the
    trained ones are not exactly its bias (a conv's or linear's out_channels / out_features elements)."""
    if not trained or not cost.frozen_params:
        return trained > 0
    attrs = cost.attributes
    bias = attrs.get("out_channels", attrs.get("out_features", 0)) if attrs.get("bias", True) else 0
    return trained != bias
