"""Memory of a forward pass (live activations, by liveness) and of a training step (what autograd keeps, gradients,
optimizer state), in bytes.

A tensor lives from the layer that makes it until the last layer that reads it, by any name: an in-place layer
(a ReLU with inplace=True, dropout at inference) and a view (flatten, slice) share their input's storage, so
the storage lives until the last reader of any of its aliases. Layers that nothing reads are the network's
outputs and live to the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import CnnCostError
from ..graph import INPUT, Graph
from ..profile import LayerCost, Profile

VIEWS = ("flatten", "slice", "reshape")  # NB: torch returns views for these, so they share their input's storage
TORCH_IN_PLACE = ("relu", "relu6", "silu", "hardswish", "hardsigmoid")  # torch's gelu, tanh, sigmoid take no inplace
INDEX_BYTES = 8  # max pooling keeps the position of each maximum as int64
STATISTICS_BYTES = 4  # batch norm keeps the batch mean and inverse deviation of each channel as fp32


def storage_owners(profile: Profile, aliases: Callable[[LayerCost], bool]) -> dict[str, str]:
    """For the input and each layer, the name of the tensor whose storage it is: its own, or its input's if aliases."""
    owner = {INPUT: INPUT}
    for cost in profile.layers:
        owner[cost.name] = owner[cost.inputs[0]] if aliases(cost) else cost.name
    return owner


def storage_bytes(profile: Profile) -> dict[str, int]:
    """Bytes of each tensor the graph makes, by name: elements × batch × bytes per element; the input too."""
    width = profile.bytes_per_element * profile.batch
    sizes = {INPUT: profile.input_shape.numel * width}
    sizes.update({cost.name: cost.output_shape.numel * width for cost in profile.layers})
    return sizes


def inference_alias(cost: LayerCost) -> bool:
    """At inference, in-place layers and views write nothing new."""
    return cost.in_place or cost.op in VIEWS


@dataclass(frozen=True)
class InferenceMemory:
    """Activation memory of one forward pass: live bytes while each layer runs, the peak, and the lecture's sum."""

    live_bytes: tuple[int, ...]  # per layer in execution order: its inputs, its output and all else still needed
    peak_bytes: int
    peak_layer: str
    sum_bytes: int  # the sum of all layer outputs, as the lecture tables add them
    input_bytes: int
    weight_bytes: int
    buffer_bytes: int


def last_uses(graph: Graph, owner: dict[str, str]) -> dict[str, int]:
    """For each storage, the index of the last layer that reads it by any alias; never-read layers live to the end."""
    index = {node.name: i for i, node in enumerate(graph.nodes)}
    readers = graph.consumers()
    last = {storage: index.get(storage, -1) for storage in set(owner.values())}
    for name, storage in owner.items():
        uses = [index[reader] for reader in readers[name]]
        if name != INPUT and not readers[name]:
            uses.append(len(graph.nodes))  # an output of the network: kept
        last[storage] = max([last[storage], *uses])
    return last


def inference_memory(graph: Graph, profile: Profile) -> InferenceMemory:
    """Live activation bytes while each layer runs, in execution order; peak = max over layers (the input included)."""
    owner = storage_owners(profile, inference_alias)
    sizes = storage_bytes(profile)
    last = last_uses(graph, owner)
    born = {INPUT: -1, **{cost.name: i for i, cost in enumerate(profile.layers)}}
    live = tuple(sum(sizes[s] for s in last if born[s] <= i <= last[s]) for i in range(len(profile.layers)))
    peak = max(range(len(live)), key=live.__getitem__)
    total = profile.total
    return InferenceMemory(live, live[peak], profile.layers[peak].name, total.activation_bytes, total.input_bytes,
                           total.param_bytes, total.buffer_bytes)


@dataclass(frozen=True)
class Kept:
    """A tensor a layer keeps for the backward pass: a graph tensor (by name) or a new one of `elements` elements."""

    what: str
    tensor: str | None = None  # the input's or the layer's own name; None for a tensor made only for backward
    elements: int = 0
    width: int | None = None  # bytes per element of a new tensor; None for the profile's dtype


KeepRule = Callable[[LayerCost, int], tuple[Kept, ...]]
_KEEPS: dict[str, KeepRule] = {}


def keeps(*ops: str) -> Callable[[KeepRule], KeepRule]:
    """Register what autograd keeps for layer types; a second registration is refused."""

    def decorate(function: KeepRule) -> KeepRule:
        for op in ops:
            if op in _KEEPS:
                raise ValueError(f"saved-tensor rule {op!r} is already registered")
            _KEEPS[op] = function
        return function

    return decorate


def _input(cost: LayerCost, i: int = 0) -> Kept:
    return Kept("input", cost.inputs[i])


@keeps("conv2d", "linear", "avg_pool2d")
def keeps_input(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input (the weight is a parameter, counted apart)."""
    return (_input(cost),)


@keeps("adaptive_avg_pool2d")
def keeps_pooled_input(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input; nothing for a 1×1 output, which torch takes as a mean that needs only the input's size."""
    return () if cost.output_shape.dims[1:] == (1, 1) else (_input(cost),)


@keeps("max_pool2d", "adaptive_max_pool2d")
def keeps_input_and_indices(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input and the int64 index of each maximum (one per output element)."""
    return _input(cost), Kept("indices", elements=cost.output_shape.numel * batch, width=INDEX_BYTES)


@keeps("relu", "tanh", "sigmoid", "softmax")
def keeps_output(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The output, from which the derivative follows (in place: the input's storage, overwritten)."""
    return (Kept("output", cost.name),)


@keeps("relu6", "gelu", "silu", "hardswish", "hardsigmoid")
def keeps_input_or_copy(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input; in place, a copy of it made before it is overwritten."""
    if cost.in_place and cost.op in TORCH_IN_PLACE:
        return (Kept("copy of input", elements=cost.input_shape.numel * batch),)
    return (_input(cost),)


@keeps("batch_norm2d")
def keeps_input_and_statistics(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input, and the batch mean and inverse standard deviation of each channel (2·C, fp32)."""
    return _input(cost), Kept("statistics", elements=2 * cost.input_shape.channels, width=STATISTICS_BYTES)


@keeps("dropout")
def keeps_mask(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The scaled mask, one element per output element, in the compute dtype (torch on the CPU; CUDA: 1 byte)."""
    return (Kept("mask", elements=cost.output_shape.numel * batch),)


@keeps("local_response_norm")
def keeps_lrn(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """torch's composite: the input, its padded square (C + size − 1)·H·W, and two more tensors of the input's size."""
    channels, h, w = cost.input_shape.dims
    padded = (channels + cost.attributes["size"] - 1) * h * w * batch
    return (_input(cost), Kept("padded square", elements=padded),
            Kept("denominator", elements=cost.input_shape.numel * batch),
            Kept("scaled input", elements=cost.input_shape.numel * batch))


@keeps("amax")
def keeps_input_and_output(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """The input and the output: the gradient goes to the positions that equal the maximum."""
    return _input(cost), Kept("output", cost.name)


@keeps("multiply", "matmul")
def keeps_every_input(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """Every input: each one's gradient is a product with the others."""
    return tuple(_input(cost, i) for i in range(len(cost.inputs)))


@keeps("elementwise")
def keeps_operands(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """Nothing for a sum, a difference or a product with a constant; a product or quotient of tensors keeps them."""
    if cost.attributes["operation"] in ("add", "sub") or len(cost.inputs) == 1:
        return ()
    return keeps_every_input(cost, batch)


@keeps("uncounted")
def keeps_unknown(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """Unknown: its inputs, a guess (the layers are listed with the assumptions)."""
    return keeps_every_input(cost, batch)


@keeps("add", "concat", "flatten", "slice", "reshape", "mean", "sum", "global_avg_pool2d", "channel_shuffle")
def keeps_nothing(cost: LayerCost, batch: int) -> tuple[Kept, ...]:
    """Nothing: the gradient passes through, split or reshaped, whatever the values."""
    return ()


def keep_rule(op: str) -> KeepRule:
    """The saved-tensor rule of a layer type; an unknown type names itself."""
    if op not in _KEEPS:
        raise CnnCostError(f"no saved-tensor rule for layer type {op!r}")
    return _KEEPS[op]


def training_alias(cost: LayerCost) -> bool:
    """In training, torch's in-place activations and views share their input's storage; dropout makes a new tensor."""
    return (cost.in_place and cost.op in TORCH_IN_PLACE) or cost.op in VIEWS


def parameter_tensors(cost: LayerCost) -> int:
    """Weight and bias tensors: conv and linear 1 + bias, an affine batch norm 2 (γ, β), none without params."""
    if not cost.params:
        return 0
    if cost.op == "batch_norm2d":
        return 2
    return 2 if cost.attributes.get("bias", True) else 1


@dataclass(frozen=True)
class Saved:
    """One storage autograd keeps: the first layer that keeps it, what it is, and the tensor it belongs to."""

    layer: str
    what: str
    storage: str  # the graph tensor that owns the storage, or 'layer:what' for a tensor made for backward
    bytes: int


@dataclass(frozen=True)
class Optimizer:
    """An optimizer's state: tensors the size of the parameters, and bytes per parameter tensor (Adam's step)."""

    name: str
    label: str
    copies: int
    per_tensor_bytes: int = 0


OPTIMIZERS = (
    Optimizer("sgd", "SGD", 0),
    Optimizer("momentum", "SGD + momentum", 1),  # momentum_buffer
    Optimizer("adam", "Adam", 2, 4),  # exp_avg, exp_avg_sq, and a 0-dim fp32 step count per parameter tensor
)


@dataclass(frozen=True)
class TrainingMemory:
    """One training step's memory: weights, buffers, gradients, optimizer state and the activations kept for backward."""

    saved: tuple[Saved, ...]  # unique storages, in the order they are first kept
    weight_bytes: int
    buffer_bytes: int
    gradient_bytes: int
    parameter_tensors: int
    guessed: tuple[str, ...] = ()  # layers without a formula, whose saved tensors are a guess (their inputs)

    @property
    def activation_bytes(self) -> int:
        """Bytes of every storage kept for the backward pass, each counted once."""
        return sum(s.bytes for s in self.saved)

    def optimizer_bytes(self, optimizer: Optimizer) -> int:
        """copies × weight bytes + per-tensor bytes × parameter tensors."""
        return optimizer.copies * self.weight_bytes + optimizer.per_tensor_bytes * self.parameter_tensors

    def total_bytes(self, optimizer: Optimizer) -> int:
        """Weights + buffers + gradients + optimizer state + activations kept for backward."""
        return (self.weight_bytes + self.buffer_bytes + self.gradient_bytes + self.optimizer_bytes(optimizer)
                + self.activation_bytes)

    def kept_by_layer(self) -> dict[str, int]:
        """Bytes kept for backward, by the layer (or input) whose output or extra tensor it is."""
        found: dict[str, int] = {}
        for s in self.saved:
            maker = s.layer if ":" in s.storage else s.storage
            found[maker] = found.get(maker, 0) + s.bytes
        return found


def saved_tensors(graph: Graph, profile: Profile) -> tuple[Saved, ...]:
    """Every storage the layers keep for backward, each once: graph tensors by their storage, new tensors apart."""
    owner = storage_owners(profile, training_alias)
    sizes = storage_bytes(profile)
    found: dict[str, Saved] = {}
    for node, cost in zip(graph.nodes, profile.layers):
        for kept in keep_rule(node.op)(cost, profile.batch):
            if kept.tensor is not None:
                storage, size = owner[kept.tensor], sizes[owner[kept.tensor]]
            else:
                storage = f"{node.name}:{kept.what}"
                size = kept.elements * (kept.width or profile.bytes_per_element)
            found.setdefault(storage, Saved(node.name, kept.what, storage, size))
    return tuple(found.values())


def training_memory(graph: Graph, profile: Profile) -> TrainingMemory:
    """Activations kept for backward (unique storages), gradients as large as the weights, and the tensor count."""
    total = profile.total
    return TrainingMemory(saved_tensors(graph, profile), total.param_bytes, total.buffer_bytes, total.param_bytes,
                          sum(parameter_tensors(cost) for cost in profile.layers),
                          tuple(cost.name for cost in profile.layers if cost.op == "uncounted"))


TRAINING_ASSUMPTIONS = (
    "every parameter is trained and has a gradient as large as itself, in the same dtype (no fp32 master copy)",
    "optimizer state after a step: SGD none; SGD + momentum one buffer per parameter; Adam two (exp_avg, exp_avg_sq) "
    "and a 4-byte step count per parameter tensor",
    "activations kept for backward are torch's saved tensors, each storage once: conv, linear, average pooling and "
    "batch norm keep their input (batch norm also 2·C fp32 statistics); max pooling its input and int64 indices; "
    "ReLU, sigmoid, tanh and softmax their output; other activations their input (a copy when in place); multiply "
    "its inputs; dropout its mask (compute dtype, as on the CPU; CUDA keeps 1 byte per element); add, concat, "
    "flatten, slice, channel shuffle and global pooling nothing",
    "the input batch counts when the first layer keeps it; the loss, the gradients of activations during the "
    "backward pass (transient), framework workspaces and allocator rounding are not counted",
    "batch norm in training mode; dropout active",
)
