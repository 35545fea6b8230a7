"""Which tensors share a storage: an in-place layer (a ReLU with inplace=True, dropout at inference) and a view
(flatten, reshape, slice) write into their input's. Light to import: the table's totals read it for every profile."""

from __future__ import annotations

from collections.abc import Callable

from ..graph import INPUT
from ..layers import layer_type
from ..results import LayerCost, Profile


def is_view(cost: LayerCost) -> bool:
    """The layer's output is a view of its input's storage (flatten, reshape, slice): torch returns a view, unless
    it copied (a reshape after a transpose)."""
    return layer_type(cost.op).view and bool(cost.inputs) and not cost.attributes.get("copy")


def holds_weights(cost: LayerCost) -> bool:
    """A parameter used directly (a class token): its storage is the weights', counted apart from activations."""
    return cost.op == "parameter" or cost.op == "unused"


def storage_owners(profile: Profile, aliases: Callable[[LayerCost], bool]) -> dict[str, str]:
    """For the input and each layer, the name of the tensor whose storage it is: its own, or its input's if aliases."""
    owner = {INPUT: INPUT}
    for cost in profile.layers:
        owner[cost.name] = owner[cost.inputs[0]] if cost.inputs and aliases(cost) else cost.name
    return owner


def storage_bytes(profile: Profile) -> dict[str, int]:
    """Bytes of each tensor the graph makes, by name: elements × batch × bytes per element (each at its own dtype
    in a recorded module); the input too."""
    input_scale = 1 if profile.shapes_include_batch else profile.batch
    sizes = {INPUT: profile.input_shape.numel * input_scale * profile.input_width}
    sizes.update(
        {
            cost.name: 0 if holds_weights(cost) else cost.output_shape.total_numel * cost.scale * cost.bytes_per_element
            for cost in profile.layers
        }
    )
    return sizes


def inference_alias(cost: LayerCost) -> bool:
    """At inference, in-place layers and views write nothing new."""
    return cost.in_place or is_view(cost)


def activation_storage_bytes(profile: Profile) -> int:
    """Bytes of the tensors the layers make, each storage once: a view or an in-place layer adds nothing (the sum of
    layer outputs counts each again)."""
    sizes = storage_bytes(profile)
    owners = set(storage_owners(profile, inference_alias).values()) - {INPUT}
    return sum(sizes[name] for name in owners)
