"""Memory of a forward pass (live activations, by liveness) and of a training step (what autograd keeps, gradients,
optimizer state), in bytes.

A tensor lives from the layer that makes it until the last layer that reads it, by any name: an in-place layer
(a ReLU with inplace=True, dropout at inference) and a view (flatten, slice) share their input's storage, so
the storage lives until the last reader of any of its aliases. Layers that nothing reads are the network's
outputs and live to the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import prod

from ..errors import CnnCostError
from ..graph import INPUT, Graph
from ..layers import layer_type
from ..registries import Registry
from ..results import LayerCost, Profile
from .gradients import GradientFlow, gradient_flow
from .optimizers import Optimizer
from .storage import inference_alias, is_view, storage_bytes, storage_owners

INDEX_BYTES = 8  # max pooling keeps the position of each maximum as int64
STATISTICS_BYTES = 4  # batch norm keeps the batch mean and inverse deviation of each channel as fp32


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


# What a layer allocates while it runs beyond its output, freed when it returns, in bytes for the whole batch, by the
# rule its layer type names (transient): measured with torch.profiler's memory records.
TransientRule = Callable[[LayerCost, int], int]
TRANSIENT_RULES: Registry[TransientRule] = Registry("transient-memory rule")


@TRANSIENT_RULES.register("indices")
def transient_indices(cost: LayerCost, width: int) -> int:
    """Max pooling computes int64 indices even under no_grad (aten::max_pool2d calls max_pool2d_with_indices on the
    CPU and CUDA; max_pool1d has a path without them): 8 bytes per output element."""
    return cost.output_shape.numel * cost.scale * INDEX_BYTES


@TRANSIENT_RULES.register("lrn_temporaries")
def transient_lrn(cost: LayerCost, width: int) -> int:
    """F.local_response_norm holds the square, its window average and their power at once: 3 x its input at its
    peak, the output included, so 2 x its input beyond it."""
    return 2 * cost.input_shape.numel * cost.scale * width


def transient_bytes(cost: LayerCost, width: int) -> int:
    """Bytes a layer allocates and frees while it runs, beyond its output."""
    rule = layer_type(cost.op).transient
    return TRANSIENT_RULES[rule](cost, width) if rule else 0


def inference_memory(graph: Graph, profile: Profile) -> InferenceMemory:
    """Live activation bytes while each layer runs, in execution order, what it allocates for itself included; the
    input is held by the caller to the end; peak = max over layers."""
    owner = storage_owners(profile, inference_alias)
    sizes = storage_bytes(profile)
    last = last_uses(graph, owner)
    if INPUT in last:
        last[INPUT] = len(profile.layers)  # the caller holds its input while the network runs
    born = {INPUT: -1, **{cost.name: i for i, cost in enumerate(profile.layers)}}
    live = tuple(
        alive + transient_bytes(cost, cost.bytes_per_element)
        for alive, cost in zip(_alive_bytes(born, last, sizes, len(profile.layers)), profile.layers, strict=True)
    )
    peak = max(range(len(live)), key=live.__getitem__)
    total = profile.total
    return InferenceMemory(
        live,
        live[peak],
        profile.layers[peak].name,
        total.activation_bytes,
        total.input_bytes,
        total.param_bytes,
        total.buffer_bytes,
    )


def _alive_bytes(born: dict[str, int], last: dict[str, int], sizes: dict[str, int], layers: int) -> list[int]:
    """Bytes of the storages alive at each layer i (born[s] <= i <= last[s]), in one sweep: each storage added where
    it is born and taken away after its last use (a running sum, linear in layers + storages)."""
    change = [0] * (layers + 1)
    for storage, end in last.items():
        change[max(born[storage], 0)] += sizes[storage]
        change[min(end, layers - 1) + 1] -= sizes[storage]
    alive, total = [], 0
    for i in range(layers):
        total += change[i]
        alive.append(total)
    return alive


@dataclass(frozen=True)
class Kept:
    """A tensor a layer keeps for the backward pass: a graph tensor (by name) or a new one of `elements` elements."""

    what: str
    tensor: str | None = None  # the input's or the layer's own name; None for a tensor made only for backward
    elements: int = 0
    width: int | None = None  # bytes per element of a new tensor; None for its layer's dtype


@dataclass(frozen=True)
class Needs:
    """Which inputs of a layer need a gradient, and whether its weight is trained: what autograd keeps depends on
    them (a linear layer keeps its input only for its weight's gradient)."""

    inputs: tuple[bool, ...]
    weight: bool

    def others(self, i: int) -> bool:
        """Whether anything but input i needs a gradient: what a product keeps input i for."""
        return self.weight or any(need for j, need in enumerate(self.inputs) if j != i)


KeepRule = Callable[[LayerCost, Profile, Needs], tuple[Kept, ...]]
KEEP_RULES: Registry[KeepRule] = Registry("saved-tensor rule")


def keeps(name: str) -> Callable[[KeepRule], KeepRule]:
    """Register a saved-tensor rule under the name layer types give in their registration; a duplicate is refused."""
    return KEEP_RULES.register(name)


def _input(cost: LayerCost, i: int = 0) -> Kept:
    return Kept("input", cost.inputs[i])


def _elements(cost: LayerCost, shape) -> int:
    return shape.numel * cost.scale


@keeps("input")
def keeps_input(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input (the weight is a parameter, counted apart)."""
    return (_input(cost),)


@keeps("input_for_weight")
def keeps_input_for_weight(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input, for the weight's gradient (x^T @ grad_out), only when the weight is trained; the input's own
    gradient needs only the weight (a parameter, counted apart). An embedding keeps its indices so."""
    return (_input(cost),) if needs.weight else ()


@keeps("pooled_input")
def keeps_pooled_input(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input; nothing for an output of one position per channel, which torch takes as a mean that needs only the
    input's size."""
    spatial = cost.output_shape.dims[-2:] if len(cost.output_shape.dims) >= 3 else cost.output_shape.dims[-1:]
    return () if all(d == 1 for d in spatial) else (_input(cost),)


@keeps("input_and_indices")
def keeps_input_and_indices(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input and the int64 index of each maximum (one per output element)."""
    return _input(cost), Kept("indices", elements=_elements(cost, cost.output_shape), width=INDEX_BYTES)


@keeps("output")
def keeps_output(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The output, from which the derivative follows (in place: the input's storage, overwritten)."""
    return (Kept("output", cost.name),)


@keeps("input_or_copy")
def keeps_input_or_copy(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input; in place, a copy of it made before it is overwritten."""
    if cost.in_place and layer_type(cost.op).in_place_capable:
        return (Kept("copy of input", elements=_elements(cost, cost.input_shape)),)
    return (_input(cost),)


def _samples_and_channels(cost: LayerCost, profile: Profile) -> tuple[int, int, int]:
    """(samples, channels, elements per sample and channel) of a norm's input: one sample's shape is C×…, a traced
    network's N×C×…."""
    dims = cost.input_shape.dims
    if profile.shapes_include_batch and len(dims) >= 2:
        samples, channels = dims[0], dims[1]
    else:
        samples, channels = cost.scale, dims[0]
    return samples, channels, cost.input_shape.numel * cost.scale // max(1, samples * channels)


@keeps("input_and_statistics")
def keeps_input_and_statistics(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input, and the batch mean and inverse standard deviation of each channel (2·C, fp32)."""
    _, channels, _ = _samples_and_channels(cost, profile)
    return _input(cost), Kept("statistics", elements=2 * channels, width=STATISTICS_BYTES)


@keeps("input_and_row_statistics")
def keeps_input_and_row_statistics(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input, and the mean and inverse standard deviation (fp32) of each normalised group: each row of a layer
    norm, each sample's group of channels in a group norm, each sample's channel in an instance norm."""
    samples, channels, _ = _samples_and_channels(cost, profile)
    normalized = cost.attributes.get("normalized_shape")
    if normalized is not None:
        rows = cost.input_shape.numel * cost.scale // max(1, _size(normalized))
    elif "num_groups" in cost.attributes:
        rows = samples * cost.attributes["num_groups"]
    else:  # an instance norm: torch's batch norm over N·C channels, its affine weight repeated N times
        rows = samples * channels
        if cost.params:
            return (
                _input(cost),
                Kept("statistics", elements=2 * rows, width=STATISTICS_BYTES),
                Kept("repeated weight", elements=rows, width=cost.param_bytes // cost.params),
            )
    return _input(cost), Kept("statistics", elements=2 * rows, width=STATISTICS_BYTES)


def _size(normalized) -> int:
    return normalized if isinstance(normalized, int) else prod(normalized)


@keeps("mask")
def keeps_mask(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The scaled mask, one element per output element, in the compute dtype (torch on the CPU; CUDA: 1 byte);
    nothing where p = 0, as torch returns the input itself."""
    if passes_through(cost):
        return ()
    return (Kept("mask", elements=_elements(cost, cost.output_shape)),)


@keeps("lrn")
def keeps_lrn(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """torch's composite: the input, its padded square (C + size − 1)·H·W, and two more tensors of the input's size."""
    dims = cost.input_shape.dims
    channels, h, w = dims[-3:]
    planes = cost.input_shape.numel // (channels * h * w)
    padded = planes * (channels + cost.attributes["size"] - 1) * h * w * cost.scale
    return (
        _input(cost),
        Kept("padded square", elements=padded),
        Kept("denominator", elements=_elements(cost, cost.input_shape)),
        Kept("scaled input", elements=_elements(cost, cost.input_shape)),
    )


@keeps("input_and_output")
def keeps_input_and_output(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input and the output: the gradient goes to the positions that equal the maximum."""
    return _input(cost), Kept("output", cost.name)


@keeps("every_input")
def keeps_every_input(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """Every input (recurrent layers and nn.MultiheadAttention keep these and more of their own; a layer without a
    formula is assumed to keep them)."""
    return tuple(_input(cost, i) for i in range(len(cost.inputs)))


@keeps("product")
def keeps_product(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """Of a product of tensors (x·y, x @ y), each input whose partner needs a gradient: d(x·y)/dx = y; a matrix
    product keeps the copy it folded an operand into, where it made one (its batch broadcast to the product's)."""
    copied = cost.attributes.get("copied", ())
    return tuple(
        _folded_copy(cost, i) if i in copied else _input(cost, i) for i in range(len(cost.inputs)) if needs.others(i)
    )


def _folded_copy(cost: LayerCost, i: int) -> Kept:
    """Operand i of a matrix product copied into (batch, rows, cols): the product's batch x its own two dims."""
    dims = cost.input_shapes[i].dims
    batch = cost.output_shape.numel // prod(cost.output_shape.dims[-2:])
    return Kept(f"folded operand {i}", elements=batch * prod(dims[-2:]) * cost.scale)


# Elementwise operations by what their backward pass reads, as torch's derivatives.yaml has them
KEEPS_NOTHING = frozenset(
    "add sub neg positive negative sign sgn floor ceil round trunc frac eq ne lt le gt ge logical_and logical_or "
    "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not and or xor invert isnan isinf isfinite "
    "triu tril heaviside".split()
)
KEEPS_OUTPUT = frozenset("exp exp2 expm1 sqrt rsqrt reciprocal erfinv".split())
KEEPS_CONDITION = {"where": 0, "masked_fill": 1}  # the input that holds the boolean mask
QUOTIENTS = frozenset("div floor_divide remainder fmod".split())


@keeps("operands")
def keeps_operands(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """Nothing for a sum, a difference or a product with a constant; exp, sqrt and reciprocal keep their output,
    where and masked_fill their mask; a quotient x / y keeps y, and x where y needs a gradient; other operations
    of one tensor keep it, of several keep each that a partner's gradient needs."""
    operation = cost.attributes["operation"]
    count = len(cost.inputs)
    if operation in KEEPS_NOTHING or (count == 1 and operation in QUOTIENTS | {"mul"}):
        return ()
    if operation in KEEPS_OUTPUT:
        return (Kept("output", cost.name),)
    if operation in KEEPS_CONDITION:
        index = KEEPS_CONDITION[operation]
        return (_input(cost, index),) if index < count else ()
    if operation in QUOTIENTS and count == 2:
        numerator = (_input(cost, 0),) if needs.inputs[1] else ()
        return (*numerator, _input(cost, 1))
    if count == 1:
        return (_input(cost),)
    return keeps_product(cost, profile, needs)


@keeps("attention")
def keeps_attention(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """Scaled dot-product attention. torch's fused kernels keep the queries, keys, values and mask, the output and
    the log-sum-exp of each query's scores (fp32). Where they cannot run, with dropout or with a mask that needs a
    gradient (a learned position bias), torch's composite keeps the scaled queries and keys, the values (reshaped:
    a copy) and the softmax of the scores, and with dropout two more tensors of scores (the mask, the product)."""
    output = cost.output_shape
    queries = output.numel // output.dims[-1] * cost.scale
    dropout = bool(cost.attributes.get("dropout_p", 0.0))
    if dropout or (len(cost.inputs) > 3 and needs.inputs[3]):
        scores = queries * cost.input_shapes[1].dims[-2]
        made = {"scaled queries": 0, "scaled keys": 1, "values": 2}
        copies = tuple(Kept(what, elements=_elements(cost, cost.input_shapes[i])) for what, i in made.items())
        probabilities = ("softmax", "dropout mask", "dropped") if dropout else ("softmax",)
        return (*copies, *(Kept(what, elements=scores) for what in probabilities))
    inputs = tuple(_input(cost, i) for i in range(len(cost.inputs)))
    return (*inputs, Kept("output", cost.name), Kept("log-sum-exp", elements=queries, width=STATISTICS_BYTES))


# The modes whose backward reads the input: area resizing is an adaptive average pool; reflection and replication
# padding find where each output element came from
INPUT_MODES = frozenset({"area", "reflect", "replicate"})


@keeps("input_by_mode")
def keeps_input_by_mode(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """The input for area resizing and reflection or replication padding; nothing for the other modes (nearest,
    bilinear or bicubic resizing, constant or circular padding), whose gradient needs only the sizes."""
    return (_input(cost),) if cost.attributes.get("mode") in INPUT_MODES else ()


@keeps("nothing")
def keeps_nothing(cost: LayerCost, profile: Profile, needs: Needs) -> tuple[Kept, ...]:
    """Nothing: the gradient passes through, split or reshaped, whatever the values."""
    return ()


def keep_rule(op: str) -> KeepRule:
    """The saved-tensor rule a layer type names; a type whose rule is missing names itself."""
    name = layer_type(op).keeps
    if name not in KEEP_RULES:
        raise CnnCostError(f"layer type {op!r} names the saved-tensor rule {name!r}, which does not exist")
    return KEEP_RULES[name]


def passes_through(cost: LayerCost) -> bool:
    """In training, the layer returns its input itself (dropout with p = 0), as its layer type says."""
    identity = layer_type(cost.op).identity_when
    return identity is not None and identity(cost.attributes)


def training_alias(cost: LayerCost) -> bool:
    """In training, in-place layers that torch runs in place, views and layers that return their input share its
    storage; dropout (p > 0) makes a new tensor."""
    spec = layer_type(cost.op)
    return bool(cost.inputs) and (
        (cost.in_place and (spec.in_place_capable or spec.always_in_place)) or is_view(cost) or passes_through(cost)
    )


def parameter_tensors(cost: LayerCost) -> int:
    """Weight and bias tensors: a weight and, where there is one, a bias (an affine norm's γ and β), or as many as
    the layer type says (a recurrent layer's per layer and direction); none without params."""
    if not cost.params:
        return 0
    attrs = cost.attributes
    count = layer_type(cost.op).parameter_tensors
    if count is not None:
        return count(attrs)
    return 2 if attrs.get("bias", True) and attrs.get("elementwise_affine", True) else 1


@dataclass(frozen=True)
class Saved:
    """One storage autograd keeps: the first layer that keeps it, what it is, and the tensor it belongs to."""

    layer: str
    what: str
    storage: str  # the graph tensor that owns the storage, or 'layer:what' for a tensor made for backward
    bytes: int


@dataclass(frozen=True)
class TrainingMemory:
    """One training step's memory: weights, buffers, gradients, optimizer state and the activations kept for the
    backward pass."""

    saved: tuple[Saved, ...]  # unique storages, in the order they are first kept
    weight_bytes: int
    buffer_bytes: int
    gradient_bytes: int
    parameter_tensors: int
    guessed: tuple[str, ...] = ()  # layers whose saved tensors are a guess (their inputs): see GUESSED_RULE

    @property
    def activation_bytes(self) -> int:
        """Bytes of every storage kept for the backward pass, each counted once."""
        return sum(s.bytes for s in self.saved)

    def optimizer_bytes(self, optimizer: Optimizer) -> int:
        """copies × trained weight bytes (the gradients' size) + per-tensor bytes × parameter tensors."""
        return optimizer.copies * self.gradient_bytes + optimizer.per_tensor_bytes * self.parameter_tensors

    def total_bytes(self, optimizer: Optimizer) -> int:
        """Weights + buffers + gradients + optimizer state + activations kept for backward."""
        return (
            self.weight_bytes
            + self.buffer_bytes
            + self.gradient_bytes
            + self.optimizer_bytes(optimizer)
            + self.activation_bytes
        )

    def kept_by_layer(self) -> dict[str, int]:
        """Bytes kept for backward, by the layer (or input) whose output or extra tensor it is."""
        found: dict[str, int] = {}
        for s in self.saved:
            maker = s.layer if ":" in s.storage else s.storage
            found[maker] = found.get(maker, 0) + s.bytes
        return found


def saved_tensors(graph: Graph, profile: Profile, flow: GradientFlow) -> tuple[Saved, ...]:
    """Every storage the layers keep for backward, each once: graph tensors by their storage, new tensors apart;
    nothing for a layer whose output needs no gradient, which autograd does not record."""
    owner = storage_owners(profile, training_alias)
    sizes = storage_bytes(profile)
    found: dict[str, Saved] = {}
    for node, cost in zip(graph.nodes, profile.layers, strict=True):
        if not flow.needs_grad[cost.name]:
            continue
        needs = Needs(tuple(flow.input_needs(cost)), flow.trains[cost.name])
        for kept in keep_rule(node.op)(cost, profile, needs):
            if kept.tensor is not None:
                storage, size = owner[kept.tensor], sizes[owner[kept.tensor]]
            else:
                storage = f"{node.name}:{kept.what}"
                size = kept.elements * (kept.width or cost.bytes_per_element)
            found.setdefault(storage, Saved(node.name, kept.what, storage, size))
    return tuple(found.values())


def trained_bytes(cost: LayerCost, trained: int) -> int:
    """Bytes of a layer's trained parameters, at its parameters' bytes per element."""
    return cost.param_bytes * trained // cost.params if cost.params else 0


def trained_tensors(cost: LayerCost, trained: int) -> int:
    """The parameter tensors an optimizer updates: all of the layer's, or none; one fewer where a recorded module
    froze some of them (a frozen weight beside a trained bias)."""
    if not trained:
        return 0
    tensors = parameter_tensors(cost)
    return tensors if trained == cost.params else max(1, tensors - 1)


GUESSED_RULE = "every_input"  # layers without a formula, recurrent layers and nn.MultiheadAttention keep more


def training_memory(graph: Graph, profile: Profile, freeze=None) -> TrainingMemory:
    """Activations kept for backward (unique storages), gradients as large as the trained weights, and the trained
    tensors, freeze naming layers not trained (see gradients.frozen_layers)."""
    flow = gradient_flow(profile, freeze)
    total = profile.total
    return TrainingMemory(
        saved_tensors(graph, profile, flow),
        total.param_bytes,
        total.buffer_bytes,
        sum(trained_bytes(cost, flow.trained[cost.name]) for cost in profile.layers),
        sum(trained_tensors(cost, flow.trained[cost.name]) for cost in profile.layers),
        tuple(
            cost.name
            for cost in profile.layers
            if flow.needs_grad[cost.name] and (not cost.counted or layer_type(cost.op).keeps == GUESSED_RULE)
        ),
    )


TRAINING_ASSUMPTIONS = (
    "every parameter is trained but a recorded module's with requires_grad=False and the layers --freeze names; "
    "each trained one has a gradient as large as itself, in its own dtype (no fp32 master copy)",
    "optimizer state after a step: SGD none; SGD + momentum one buffer per trained parameter; Adam two (exp_avg, "
    "exp_avg_sq) and a 4-byte step count per trained parameter tensor",
    "activations kept for backward are torch's saved tensors, each storage once, and only where a gradient flows "
    "(autograd records nothing before the first trained parameter): conv, average pooling and batch norm keep "
    "their input (batch norm also 2·C fp32 statistics, frozen or not); a linear layer its input only when its "
    "weight is trained; max pooling its input and int64 indices; ReLU, sigmoid, tanh and softmax their output; "
    "other activations their input (a copy when in place); a product each input whose partner needs a gradient; "
    "attention its queries, keys, values, output and fp32 log-sum-exp; dropout its mask (compute dtype, as on the "
    "CPU; CUDA keeps 1 byte per element), nothing at p = 0; add, concat, views, channel shuffle, upsampling and "
    "global pooling nothing",
    "the input batch counts when the first layer keeps it; the loss, the gradients of activations during the "
    "backward pass (transient), framework workspaces (a recurrent layer's on the CPU) and allocator rounding are "
    "not counted; recurrent layers and nn.MultiheadAttention are taken to keep their inputs only",
    "batch norm in training mode; dropout active",
)
