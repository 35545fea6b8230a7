"""Turn any nn.Module into a cnncost Graph: record one forward pass (cnncost.torch.record), lower every call to its
layer type (cnncost.torch.lowering), and say what could not be counted.

The module is left as it was: no copy of its weights, no hook left behind, every submodule's train/eval mode and
every requires_grad flag as before. It is recorded in eval mode, as cnncost counts inference.

Why record rather than trace with torch.fx (benchmarks/README.md, torchvision's modules): fx's symbolic_trace alone
takes 0.5-1.3x a recording's time and gives no shapes; with the ShapeProp pass over a meta copy that gives them, fx
takes 2.6-29x a recording. And fx cannot follow code that branches on a tensor's value or calls .item(), where a
recording on the CPU simply runs it.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .. import units
from ..conventions import module_info
from ..engine import looks_channels_last
from ..errors import CnnCostError, Fix, batch_fix, first_line, size_fix, worded
from ..graph import Graph
from ..results import Modules
from ..shapes import Shape, dtype_name
from .lowering import lower_recording
from .record import Inventory, RecordError, Recording, record

METHODS = {"meta": "recorded on the meta device", "cpu": "recorded on the CPU (the module reads tensor values)"}


@dataclass(frozen=True)
class TraceResult:
    """The graph, how it was recorded, torch's output shapes per node, the module's own counts, and notes."""

    graph: Graph
    method: str
    expected_shapes: dict
    module_params: int
    module_buffers: int
    notes: tuple[str, ...] = ()
    modules: Modules | None = None  # conventions.module_info of the module


@dataclass(frozen=True)
class Inputs:
    """What the forward is called with: positional and keyword arguments, and a name for each input tensor."""

    args: tuple
    kwargs: dict
    names: list[str]
    batch: int


def unwrap(module: nn.Module) -> tuple[nn.Module, list[str]]:
    """The module a torch.compile wrapper holds, and a note that it was unwrapped."""
    inner = getattr(module, "_orig_mod", None)
    if isinstance(inner, nn.Module) and type(module).__name__ == "OptimizedModule":
        return inner, [f"profiled the module torch.compile wraps ({type(inner).__name__})"]
    return module, []


def _is_shape(value) -> bool:
    return isinstance(value, (str, Shape)) or (
        isinstance(value, (tuple, list)) and bool(value) and all(type(d) is int for d in value)
    )


def module_dtype(module: nn.Module, inventory: Inventory | None = None) -> torch.dtype:
    """The floating dtype that holds most of the module's parameters (fp32 for a module without any): what a size
    input is made in, so that a half or bf16 model runs on it. inventory: the module's, where it is walked already."""
    held: dict[torch.dtype, int] = {}
    for tensor in (inventory or Inventory.of(module)).parameters():
        if tensor.is_floating_point() and not nn.parameter.is_lazy(tensor):
            held[tensor.dtype] = held.get(tensor.dtype, 0) + tensor.numel()
    return max(held, key=held.__getitem__) if held else torch.float32


def mixed_dtypes(module: nn.Module, inventory: Inventory | None = None) -> str:
    """'bf16 (1,000 params), fp32 (64 params)' where the parameters are held in several dtypes, else ''."""
    held: dict[str, int] = {}
    for tensor in (inventory or Inventory.of(module)).parameters():
        if nn.parameter.is_lazy(tensor):
            continue
        held[dtype_name(tensor.dtype)] = held.get(dtype_name(tensor.dtype), 0) + tensor.numel()
    if len(held) < 2:
        return ""
    return ", ".join(f"{name} ({count:,} params)" for name, count in sorted(held.items(), key=lambda item: -item[1]))


def example_inputs(spec: Any, batch: int, device: str, dtype: torch.dtype = torch.float32) -> Inputs:
    """Tensors for the forward: a shape (one sample, C×H×W) gets the batch in front; a tensor is used as it is
    (copied); a list or tuple is the positional arguments, a dict the keyword arguments, nested as given."""
    names: list[str] = []
    batches: list[int] = []

    def make(value, name: str):
        if isinstance(value, torch.Tensor):
            names.append(name)
            batches.append(value.shape[0] if value.dim() > 1 else 1)
            if device == "meta":
                return torch.empty_strided(value.shape, value.stride(), dtype=value.dtype, device="meta")
            return value.detach().clone()
        if _is_shape(value):
            shape = Shape.of(value)
            names.append(name)
            if device == "meta":
                return torch.empty(batch, *shape.dims, device="meta", dtype=dtype)
            return torch.randn(batch, *shape.dims).to(dtype)
        if isinstance(value, (list, tuple)):
            return type(value)(make(v, f"{name}.{i}") for i, v in enumerate(value))
        if isinstance(value, dict):
            return {key: make(v, f"{name}.{key}") for key, v in value.items()}
        return value

    args: tuple[Any, ...]
    if _is_shape(spec) or isinstance(spec, torch.Tensor):
        args, kwargs = (make(spec, "input"),), {}
    elif isinstance(spec, dict):
        kwargs = {key: make(v, f"input.{key}") for key, v in spec.items()}
        args = ()
    elif isinstance(spec, (list, tuple)) and spec:
        args = tuple(make(v, "input" if i == 0 else f"input.{i}") for i, v in enumerate(spec))
        kwargs = {}
    else:
        raise CnnCostError(
            f"cannot make an input from {spec!r}: give a size such as (3, 224, 224), a tensor, or a "
            "list or dict of them"
        )
    if not names:
        raise CnnCostError(f"the input {spec!r} holds no tensor")
    names[0] = "input"
    return Inputs(args, kwargs, names, batches[0] if batches else batch)


def _initialise_lazy(module: nn.Module, spec: Any, batch: int, inventory: Inventory) -> tuple[nn.Module, list[str]]:
    """A module with lazy layers (nn.LazyLinear): a copy, initialised by one forward pass on the CPU; the caller's
    module stays uninitialised."""
    lazy = [
        held.module
        for held in inventory.held
        if isinstance(held.module, nn.modules.lazy.LazyModuleMixin) and held.module.has_uninitialized_params()
    ]
    if not lazy:
        return module, []
    try:
        twin = copy.deepcopy(module)
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            inputs = example_inputs(spec, batch, "cpu", module_dtype(module, inventory))
            twin.eval()(*inputs.args, **inputs.kwargs)
    except Exception as error:  # noqa: BLE001  user code
        raise CnnCostError(
            f"its lazy modules ({type(lazy[0]).__name__}) could not be initialised by a forward pass: "
            f"{type(error).__name__}: {first_line(error)}"
        ) from None
    return twin, [f"{len(lazy)} lazy module(s) initialised on a copy by one forward pass"]


def needs_values(error: BaseException) -> bool:
    """Whether a failure on the meta device is the code reading tensor values (x.item(), a branch on data, a copy to
    the CPU, an op whose output size depends on the data) or a TorchScript module, whose own interpreter runs on its
    real weights, which only a pass with data can get past; a wrong shape fails the same way on the CPU and is said
    at once."""
    text = first_line(error).lower()
    return (
        isinstance(error, NotImplementedError)
        or "meta" in text
        or "data-dependent" in text
        or "torchscript interpreter" in text
    )


REAL_FORWARD_LIMIT = 1 << 30  # bytes a recording on the CPU may hold before it is asked for (1 GB)


def _record(
    module: nn.Module,
    spec: Any,
    batch: int,
    inventory: Inventory,
    allow_real_forward: bool,
    notes: list[str],
    training: bool = False,
) -> Recording:
    """On the meta device; where the code needs tensor values, on the CPU with random data (or the tensors given),
    saying so in notes, and only with allow_real_forward where it would hold more than REAL_FORWARD_LIMIT."""
    dtype = module_dtype(module, inventory)
    inputs = example_inputs(spec, batch, "meta", dtype)
    try:
        return record(module, inputs.args, inputs.kwargs, inputs.names, "meta", inventory, training)
    except RecordError as error:
        if not needs_values(error.error):
            raise CnnCostError(f"in {error}") from None
        failure = error
    held = failure.made_bytes
    if held > REAL_FORWARD_LIMIT and not allow_real_forward:
        raise CnnCostError(
            f"in {failure}: the meta device cannot run this, and a real forward on the CPU would hold "
            f"{units.megabytes(held)} or more (the tensors made up to there): give --allow-real-forward "
            "(allow_real_forward=True) to run it, or a smaller input or batch"
        )
    notes.append(
        f"recorded by a real forward on the CPU with random data ({units.megabytes(held)} or more), as the meta device "
        f"could not run {failure}"
    )
    with torch.random.fork_rng(devices=[]):  # the random input leaves the caller's random state as it was
        inputs = example_inputs(spec, batch, "cpu", dtype)
    try:
        return record(module, inputs.args, inputs.kwargs, inputs.names, "cpu", inventory, training)
    except RecordError as error:
        raise CnnCostError(f"in {error}") from None


# One recording at a time in a process: it installs global module hooks, sets the modules' modes and restores them,
# forks the random state, and pauses the garbage collector, none of which two threads could share
RECORDING = threading.RLock()


@contextmanager
def paused_gc():
    """The cyclic garbage collector off for a while, as timeit does, and as it was afterwards.

    A recording makes thousands of small objects; in a process that has just imported torch and built a model, each
    collection they set off walks every object the imports made: a first profile of ResNet-152 took 0.27 s with the
    collector on and 0.12 s with it off (0.09 s for the second either way). Reference counting still frees all
    that the recording drops.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def graph_from_module(
    module: nn.Module, input: Any, name: str, batch: int = 1, allow_real_forward: bool = False, training: bool = False
) -> TraceResult:
    """Record module on input (a shape of one sample, tensors, or lists and dicts of them) into a validated Graph;
    allow_real_forward lets a module that reads tensor values be recorded on the CPU however much that holds;
    training records the forward in training mode (what a training step runs) rather than in eval mode."""
    with RECORDING, paused_gc():
        return _graph_from_module(module, input, name, batch, allow_real_forward, training)


def _graph_from_module(
    module: nn.Module, input: Any, name: str, batch: int, allow_real_forward: bool, training: bool = False
) -> TraceResult:
    if not isinstance(module, nn.Module):
        raise CnnCostError(f"{name} is a {type(module).__name__}, not an nn.Module")
    module, notes = unwrap(module)
    inventory = Inventory.of(module)
    module, lazy_notes = _initialise_lazy(module, input, batch, inventory)
    if lazy_notes:  # a copy, now initialised
        inventory = Inventory.of(module)
    notes += lazy_notes
    if batch != 1 and _holds_tensors(input):
        raise CnnCostError(
            f"{name}: a tensor is used as it is, batch included: give batch=1 (or a size, which "
            f"batch={batch} would be put in front of)"
        )
    try:
        recording = _record(module, input, batch, inventory, allow_real_forward, notes, training)
    except CnnCostError as error:
        hint, fixes = _likely_fix(input, str(error))
        raise worded(
            CnnCostError,
            f"{name} failed on input {describe(input)} (batch {batch}) {error}".replace("{", "{{").replace("}", "}}")
            + hint,
            *fixes,
        ) from None
    except Exception as error:  # noqa: BLE001  never a traceback, even for cnncost's own mistake
        raise CnnCostError(
            f"{name}: cnncost could not record its forward pass ({type(error).__name__}: "
            f"{first_line(error)}); please report this model"
        ) from None
    nodes, expected, lowering_notes = lower_recording(recording, module)
    first = recording.inputs[0][1]
    graph_batch = batch if not _holds_tensors(input) else (first[0] if len(first) > 1 else 1)
    graph = Graph.build(name, nodes, first, f"{name}, {METHODS[recording.device]}", batch=graph_batch)
    graph = dataclasses.replace(
        graph, dtype=dtype_name(module_dtype(module, inventory)), input_dtype=recording.inputs[0][2]
    )
    mixed = mixed_dtypes(module, inventory)
    if mixed:
        notes.append(f"its parameters are held in several dtypes, each costed in its own: {mixed}")
    params = sum(p.numel() for p in inventory.parameters())
    buffers = sum(b.numel() for b in inventory.buffers())
    said = tuple(notes + lowering_notes)
    return TraceResult(graph, METHODS[recording.device], expected, params, buffers, said, module_info(module))


def _holds_tensors(spec: Any) -> bool:
    if isinstance(spec, torch.Tensor):
        return True
    if isinstance(spec, dict):
        return any(_holds_tensors(v) for v in spec.values())
    return isinstance(spec, (list, tuple)) and any(_holds_tensors(v) for v in spec)


def describe(spec: Any) -> str:
    """'3x224x224' for a size; 'a tensor of 2x3x64x64', or the structure for several inputs."""
    if _is_shape(spec):
        return str(Shape.of(spec)) if not isinstance(spec, str) else spec
    if isinstance(spec, torch.Tensor):
        return "a tensor of " + "x".join(map(str, spec.shape))
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{key}: {describe(value)}" for key, value in spec.items()) + "}"
    if isinstance(spec, (list, tuple)):
        return "(" + ", ".join(describe(value) for value in spec) + ")"
    return repr(spec)


def _likely_fix(spec: Any, failure: str) -> tuple[str, tuple[Fix, ...]]:
    """The likely fix of an input size that failed, as words with a {} for each fix: its batch given in the size
    ((8, 3, 64, 64), channels first or last), or, where a convolution refused it, its channels last ((64, 64, 3))."""
    dims = Shape.of(spec).dims if _is_shape(spec) else ()
    if len(dims) == 4 and (dims[1] in (1, 3, 4) or looks_channels_last(dims[1:], dims[-1])):
        sample = dims[1:] if dims[1] in (1, 3, 4) else (dims[-1], *dims[1:-1])
        if dims[0] == 1:
            return (
                " (an input size is one sample, without the batch: did you mean {}? the batch size goes in {})",
                (size_fix(sample), batch_fix()),
            )
        return " (an input size is one sample, without the batch: did you mean {} with {}?)", (
            size_fix(sample),
            batch_fix(dims[0]),
        )
    if len(dims) == 3 and looks_channels_last(dims, dims[-1]) and " at conv" in failure:
        return " (sizes are channels first: did you mean {}?)", (size_fix((dims[-1], *dims[:-1])),)
    return "", ()
