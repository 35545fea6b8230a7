"""Immutable result records: the cost of each layer and of the whole network.

Everything is an integer count (elements, bytes, MACs, FLOPs); units appear only at display.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from .layers import computes
from .quantities import KEYS
from .shapes import Shape

NOTE_KINDS = ("method", "convention", "warning")


class Note(str):
    """A note on a profile, a record of two fields: its kind and its text. It is its text wherever text is expected
    (printed, joined, searched), so the notes read as they always have.

    kind: 'method' (how the graph was found: recorded on the meta device), 'convention' (whose way of counting the
    figures follow) or 'warning' (something the user should look at: layers without a formula, unused parameters).
    The command line prints the warnings on standard error; the other kinds are said in the output itself.
    """

    __slots__ = ("_kind",)
    _kind: str

    def __new__(cls, text: str, kind: str) -> Note:
        if kind not in NOTE_KINDS:
            raise ValueError(f"a note's kind is one of {', '.join(NOTE_KINDS)}, not {kind!r}")
        note = super().__new__(cls, text)
        note._kind = kind
        return note

    @property
    def kind(self) -> str:
        return self._kind

    @property
    def text(self) -> str:
        return str.__str__(self)

    def __reduce__(self):
        return (Note, (self.text, self.kind))


class LayerCost(NamedTuple):
    """One layer's cost for the whole batch: activation memory, MACs and FLOPs scale with it; params do not.

    A named tuple rather than a frozen dataclass: as immutable, and four times quicker to make, once per layer
    (a quarter of a ResNet-152 profile's time otherwise).
    """

    name: str
    op: str
    inputs: tuple[str, ...]
    attrs: tuple[tuple[str, Any], ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    params: int
    buffers: int
    macs: int
    flops: int
    activation_bytes: int  # the output tensor(s); 0 for an in-place layer, whose output is its input's storage
    in_place: bool
    counted: bool = True  # False: no formula for this op, so its MACs and FLOPs are unknown (shown as 0)
    scale: int = 1  # elements of the real tensors per element of output_shape: the batch for a one-sample shape
    frozen_params: int = 0  # of params, those not trained (a recorded module's parameters with requires_grad False)
    shares: str | None = None  # the earlier layer whose parameters this call reuses (a module called twice)
    bytes_per_element: int = 4  # of its output: the profile's dtype, or the output's own in a recorded module
    param_bytes: int = 0  # its params in bytes, each at its own dtype in a recorded module
    buffer_bytes: int = 0
    module: str | None = None  # a recorded module's: the class whose forward is this layer alone, torch.nn's by name
    # (Conv2d), any other by module and name (timm.layers.norm.LayerNorm): conventions.class_kind
    predicted_seconds: float | None = None  # on the profile's target (cnncost.targets), for the whole batch
    bound: str | None = None  # what decides the predicted time: 'compute', 'memory', 'overhead'; None: no kernel

    @property
    def input_shape(self) -> Shape:
        """The first input's shape (the only one for all but merge layers)."""
        return self.input_shapes[0]

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.attrs)


@dataclass(frozen=True)
class ModuleInfo:
    """What the tools read of one module of a recorded network: its class, torch.nn's by its name ('LayerNorm'), any
    other by module and name ('timm.layers.norm.LayerNorm'), and whether it holds no submodules."""

    kind: str
    leaf: bool


Modules = Mapping[str, ModuleInfo]  # a recorded network's modules by path ('' the network itself)


@dataclass(frozen=True)
class Totals:
    """Sums over the layers, and the sizes of input, weights and buffers in bytes."""

    params: int
    buffers: int
    macs: int
    flops: int
    activation_bytes: int
    input_bytes: int
    param_bytes: int
    buffer_bytes: int
    frozen_params: int = 0
    predicted_seconds: float | None = None  # on the profile's target, for the whole batch; None without a target

    @classmethod
    def of(cls, layers: tuple[LayerCost, ...] | list[LayerCost], input_bytes: int) -> Totals:
        """The totals of layers: each quantity summed, the bytes of their weights and buffers, and the parameters a
        recorded module does not train."""
        sums = {key: sum(getattr(cost, key) for cost in layers) for key in KEYS}
        predicted = [cost.predicted_seconds for cost in layers]
        return cls(
            **sums,
            input_bytes=input_bytes,
            param_bytes=sum(cost.param_bytes for cost in layers),
            buffer_bytes=sum(cost.buffer_bytes for cost in layers),
            frozen_params=sum(cost.frozen_params for cost in layers),
            predicted_seconds=sum(predicted) if layers and None not in predicted else None,  # type: ignore[arg-type]
        )

    @property
    def trainable_params(self) -> int:
        """The parameters that are trained: all but a recorded module's with requires_grad False (buffers, such as
        batch-norm statistics, are counted apart)."""
        return self.params - self.frozen_params

    @property
    def total_bytes(self) -> int:
        """Input + activations + parameters + buffers: the estimated total size."""
        return self.input_bytes + self.activation_bytes + self.param_bytes + self.buffer_bytes


@dataclass(frozen=True)
class Prediction:
    """The device a profile's times are predicted for, and how far to trust them (cnncost.targets)."""

    target: str  # its id: 'rtx-4090', 'local'
    name: str
    kind: str  # 'desktop-gpu', 'local-cpu', ...
    dtype: str  # the precision the rates are read at
    seconds: float  # the whole batch's forward pass
    error: str  # the model's measured error on devices of this kind it was not fitted on, or 'unvalidated ...'
    validated: bool
    typical_error: float | None = None  # that median error as a fraction (0.14); None where unvalidated
    unknown_layers: int = 0  # layers without a cost formula: predicted from the bytes they move alone
    rates: str = (
        ""  # which of the device's rates were read: 'convolutions and products at fp16_tensor 165 TFLOP/s, ...'
    )

    @property
    def trust(self) -> str:
        """'typically ±14%', or 'unvalidated'."""
        return f"typically ±{self.typical_error:.0%}" if self.typical_error is not None else "unvalidated"


@dataclass(frozen=True)
class Profile:
    """The cost of a network at one input size, batch and dtype: one LayerCost per node, in execution order."""

    name: str
    input_shape: Shape
    batch: int
    dtype: str
    bytes_per_element: int
    layers: tuple[LayerCost, ...]
    total: Totals = field(repr=False)
    notes: tuple[Note, ...] = ()  # how the graph was found, whose convention, and what the user should look at
    shapes_include_batch: bool = False  # a traced network: shapes are torch's, batch included
    convention: str = "cnncost"  # whose way of counting MACs (or FLOPs) the figures follow: cnncost.conventions
    input_bytes_per_element: int | None = None  # a recorded module's input's own (int64 token ids: 8); None: as above
    # a recorded module's modules by path, each one's class and whether it holds submodules, as the other tools read
    # them (cnncost.conventions); None for a built-in network, a spec file or a profile read back from a file
    modules: Modules | None = field(default=None, repr=False, compare=False)
    prediction: Prediction | None = None  # with a target: the device, and the error its times carry
    # a recorded module whose forward runs other layers in training mode (a detector that decodes its boxes only in
    # eval mode): the profile of that training forward, which its training memory is counted on; None otherwise
    training_profile: Profile | None = field(default=None, repr=False, compare=False)

    @property
    def input_width(self) -> int:
        """Bytes per element of the (first) input."""
        return self.input_bytes_per_element or self.bytes_per_element

    def __repr__(self) -> str:
        """One line, not the whole record: Profile('resnet18', 3x224x224, batch 1, fp32: 69 layers, 11,689,512
        params, 1,814,073,344 MACs)."""
        total = self.total
        unknown = " +?" if self.uncounted else ""
        return (
            f"Profile({self.name!r}, {self.sample_input_shape}, batch {self.batch}, {self.dtype}: "
            f"{len(self.layers)} layers, {total.params:,} params, {total.macs:,}{unknown} MACs)"
        )

    def layer(self, name: str) -> LayerCost:
        """The layer of that name."""
        for cost in self.layers:
            if cost.name == name:
                return cost
        raise KeyError(f"{self.name} has no layer {name!r}")

    def share(self, cost: LayerCost, quantity: str) -> float:
        """The layer's fraction (0..1) of the network total of a quantity (a key of cnncost.quantities)."""
        whole = getattr(self.total, quantity)
        return getattr(cost, quantity) / whole if whole else 0.0

    @property
    def output_shape(self) -> Shape:
        """The output of the last layer that computes something (not a parameter or a tensor left unused)."""
        last = next((cost for cost in reversed(self.layers) if computes(cost.op, cost.inputs)), self.layers[-1])
        return last.output_shape

    @property
    def sample_input_shape(self) -> Shape:
        """One sample's input: the input shape without the batch a traced network's shapes include."""
        dims = self.input_shape.dims
        return Shape(dims[1:]) if self.shapes_include_batch and len(dims) > 1 else self.input_shape

    @cached_property
    def uncounted(self) -> tuple[LayerCost, ...]:
        """The layers whose cost is unknown: ops without a formula."""
        return tuple(cost for cost in self.layers if not cost.counted)

    def training(self, optimizer: str = "adam", freeze=None):
        """One training step's costs (cnncost.analysis.training): backward MACs for input and weight gradients,
        backward and optimizer FLOPs, per layer and in total; freeze names layers not trained ('conv1..layer3')."""
        return provided("training")(self, optimizer, freeze)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: raw integers, shapes as lists; what to_json writes (cnncost.report.export)."""
        return provided("to_dict")(self)

    def to_json(self, path=None) -> str:
        """JSON text of to_dict(); written atomically to path when one is given (cnncost.report.export)."""
        return provided("to_json")(self, path)

    def to_frame(self):
        """A pandas DataFrame, one row per layer, raw integers (cnncost.report.export)."""
        return provided("to_frame")(self)

    def to_csv(self, path=None) -> str:
        """CSV of to_frame(); written atomically to path when one is given (cnncost.report.export)."""
        return provided("to_csv")(self, path)

    def to_markdown(self, path=None) -> str:
        """The human table in Markdown (units k, M, KB), with totals and conventions (cnncost.report.export)."""
        return provided("to_markdown")(self, path)

    def to_html(self, path=None) -> str:
        """A self-contained HTML page: the sortable table, the totals, the conventions and the per-row bars."""
        return provided("to_html")(self, path)

    def _repr_html_(self) -> str:
        """A notebook's view: the table, the totals and the conventions."""
        return provided("_repr_html_")(self)


# What a Profile offers but a floor above works out: its exports (cnncost.report.export) and the training step
# (cnncost.analysis.training). Those modules name their function here as they are imported, and importing cnncost
# imports them, so every Profile has these methods while this module imports nothing above its floor.
PROVIDED: dict[str, Callable[..., Any]] = {}


def provides(method: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Name a function as the work behind a Profile method; a second one for the same method is refused."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        if method in PROVIDED:
            raise ValueError(f"Profile.{method} is already provided by {PROVIDED[method].__module__}")
        PROVIDED[method] = function
        return function

    return decorate


def provided(method: str) -> Callable[..., Any]:
    """The function a floor above named as the work behind method ('predict': cnncost.targets.predict)."""
    return PROVIDED[method]
