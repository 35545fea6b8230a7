"""Record one forward pass of any nn.Module: every torch function it calls, the module whose forward called it,
and which tensors flowed where, without changing the module.

A torch function mode sees every function call (F.conv2d, x + y, torch.cat, x.view, ...) at the level the model's
code wrote it; the calls inside a function (the ops F.multi_head_attention_forward is made of) run with the mode
off, so each call is one op. Global module hooks, removed afterwards, say which module's forward is running. A
TorchScript module runs its own interpreter, which the mode cannot see into: it is recorded as one op.

By default the pass runs on the meta device: tensors there have shapes but no data, so a pass costs no memory
and no arithmetic. The module's parameters are never copied: each one is seen through a meta tensor of its shape,
made when a call first uses it. Ops whose result has their input's shape (an activation, a norm) or a broadcast of
two (a sum) are not run at all once their arguments are checked: their result is an empty meta tensor of that shape,
since torch's meta kernels for them take a millisecond apiece. Code that reads tensor values (x.item(), a branch on
data) cannot run on the meta device; it is recorded on the CPU instead, on random data or the tensors given, with the
module's tensors copied as they are first used so that nothing the forward writes reaches them.

Whatever the forward does to its modules is undone afterwards: their modes (set without calling a module's own
train()), attributes and the dicts and lists they hold (a cache, a hook the forward registers), and every parameter's
requires_grad. The global random state is as before too.
"""

from __future__ import annotations

import collections
import inspect
import threading
import types
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache, partial
from math import prod
from typing import Any, cast

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors

from ..errors import STOPS, CnnCostError, first_line
from ..shapes import dtype_name, element_bytes
from .meta_shapes import shortcut


@dataclass(frozen=True, slots=True)
class Value:
    """A tensor the forward computed: the call that made it (-1 - i for input i), which of its outputs, its shape."""

    call: int
    index: int
    shape: tuple[int, ...]
    contiguous: bool = True
    strides: tuple[int, ...] | None = None  # None: contiguous (a network input)


@dataclass(frozen=True, slots=True)
class Weight:
    """A parameter or buffer of the module (or a tensor it holds as a plain attribute), as a call used it."""

    name: str
    tensor: torch.Tensor  # the module's own tensor: its identity tells a shared weight
    kind: str  # 'parameter', 'buffer' or 'tensor' (an attribute that is neither, counted as neither)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.tensor.shape)


@dataclass(slots=True)
class Call:
    """One torch function called by the forward, with tensors replaced by Values and Weights."""

    function: str  # canonical name: 'conv2d', 'add', 'getitem', 'view'
    scope: int  # index into Recording.scopes: the module invocation whose forward made the call
    args: tuple  # arguments given by keyword where the function takes them by position are in their place
    kwargs: dict
    outputs: tuple[tuple[int, ...], ...]  # the shape of each tensor it returned, in order
    in_place: bool = False  # it returned its first argument: wrote into it (add_, x += y, x[i] = v), or is it
    module: nn.Module | None = None  # the module whose forward made the call
    spelling: str = ""  # the function's own name, where the canonical one merges several (upsample_bilinear)
    dtypes: tuple[str, ...] = ()  # the dtype of each tensor it returned, as cnncost names them (fp32, int64)
    views: tuple[bool, ...] = ()  # whether each tensor it returned is a view of another's storage


@dataclass(slots=True)
class Scope:
    """One call of a module's forward: the module, its path (with '#2' for a second call), its parent scope."""

    module: nn.Module | None
    path: str
    parent: int | None
    calls: list[int] = field(default_factory=list)  # the Calls made directly in this forward
    children: int = 0  # module calls inside it
    inputs: tuple = ()  # what a TorchScript module was called with (recorded as one op when it returns)


@dataclass(frozen=True)
class Held:
    """One module of the tree, with what it holds itself: its path, its parameters and its buffers by name."""

    path: str
    module: nn.Module
    parameters: tuple[tuple[str, torch.Tensor], ...]
    buffers: tuple[tuple[str, torch.Tensor], ...]


@dataclass(frozen=True)
class Inventory:
    """A module's tree, walked once: every module as named_modules() gives them (each once, the first path), with the
    tensors named_parameters() and named_buffers() give for it alone. The recorder, the restoring afterwards, the
    lowering and the counts of the whole all read it."""

    held: tuple[Held, ...]

    @classmethod
    def of(cls, root: nn.Module) -> Inventory:
        return cls(
            tuple(
                Held(path, module, _own(module, "parameters"), _own(module, "buffers"))
                for path, module in root.named_modules()
            )
        )

    def parameters(self) -> list[torch.Tensor]:
        """The parameters of the whole tree, each once, in module.parameters()'s order."""
        return _unique(tensor for held in self.held for _, tensor in held.parameters)

    def buffers(self) -> list[torch.Tensor]:
        """The buffers of the whole tree, each once, in module.buffers()'s order."""
        return _unique(tensor for held in self.held for _, tensor in held.buffers)


_PLAIN_TABLES: dict[tuple[type, str], bool] = {}  # (module class, kind) -> it reads its tables as nn.Module does


def _own(module: nn.Module, kind: str) -> tuple[tuple[str, torch.Tensor], ...]:
    """module.named_parameters(recurse=False) or named_buffers(recurse=False): read from the module's own table, as
    nn.Module's methods read it (None left out, a tensor once), unless its class has methods of its own."""
    plain = _PLAIN_TABLES.get((type(module), kind))
    if plain is None:
        method = f"named_{kind}"
        plain = _PLAIN_TABLES[(type(module), kind)] = getattr(type(module), method) is getattr(nn.Module, method)
    table = module.__dict__.get("_parameters" if kind == "parameters" else "_buffers")
    if table is None or not plain:
        return tuple(getattr(module, f"named_{kind}")(recurse=False))
    if not table:
        return ()
    seen: set[int] = set()
    found = []
    for name, tensor in table.items():
        if tensor is not None and id(tensor) not in seen:
            seen.add(id(tensor))
            found.append((name, tensor))
    return tuple(found)


def _unique(tensors) -> list[torch.Tensor]:
    seen: set[int] = set()
    found = []
    for tensor in tensors:
        if id(tensor) not in seen:
            seen.add(id(tensor))
            found.append(tensor)
    return found


@dataclass
class Recording:
    """What one forward pass did."""

    calls: list[Call]
    scopes: list[Scope]
    inputs: list[tuple[str, tuple[int, ...], str]]  # (name, shape, dtype) of each input tensor, the first is 'input'
    device: str  # 'meta', or 'cpu' for a module that reads tensor values
    called: set[int]  # ids of the modules whose forward ran
    inventory: Inventory  # the module's tree, as it was before the pass and is again after it


NAMES = {
    "truediv": "div",
    "true_divide": "div",
    "divide": "div",
    "concat": "cat",
    "concatenate": "cat",
    "multiply": "mul",
    "subtract": "sub",
    "absolute": "abs",
    "clip": "clamp",
    "swapaxes": "transpose",
    "swapdims": "transpose",
    "moveaxis": "movedim",
    "greater": "gt",
    "less": "lt",
    "greater_equal": "ge",
    "less_equal": "le",
    "not_equal": "ne",
    "floordiv": "floor_divide",
    "rsub": "sub",
    "mod": "remainder",
    "linalg_vector_norm": "norm",
    "vector_norm": "norm",
}
PLAIN = frozenset({int, float, bool, str, type(None), torch.dtype, torch.device})  # arguments that hold no tensor
INPLACE_DUNDERS = set("iadd isub imul itruediv ifloordiv imatmul ipow iand ior ixor imod".split())
REFLECTED = set("radd rsub rmul rtruediv rmatmul rfloordiv rpow rand ror rxor rmod".split())
# Calls that return facts about a tensor rather than a tensor: run as they are, never recorded.
INFORMATIONAL = set(
    "size dim ndimension numel shape dtype device is_contiguous stride storage_offset element_size nelement "
    "is_floating_point is_complex data_ptr is_cuda is_meta layout names ndim len format repr grad_fn is_leaf "
    "output_nr has_names get_device is_sparse is_quantized is_nested _version item tolist hash is_inference "
    "is_set_to".split()
)


_CANONICAL: dict[Any, tuple[str, bool, bool]] = {}  # function -> canonical(function), as the calls come


def canonical(func) -> tuple[str, bool, bool]:
    """(the op's name, whether the call is in place, whether its operands come reflected): '__iadd__' is ('add', True,
    False), 'relu_' ('relu', True, False), '__rsub__' ('sub', False, True)."""
    try:
        return _CANONICAL[func]
    except KeyError:
        found = _CANONICAL[func] = _canonical(func)
        return found
    except TypeError:  # a function that cannot be a key
        return _canonical(func)


def _canonical(func) -> tuple[str, bool, bool]:
    name = getattr(func, "__name__", None) or type(func).__name__
    if name == "__get__":  # a property: x.T, x.shape
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    in_place = reflected = False
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name in INPLACE_DUNDERS:
            name, in_place = name[1:], True
        elif name in REFLECTED:
            name, reflected = name[1:], True
    elif name.endswith("_") and not name.startswith("_"):
        name, in_place = name[:-1], True
    name = name.lstrip("_") if name.startswith("_") and name != "_assert" else name
    return NAMES.get(name, name), in_place, reflected


@cache
def _overrides() -> dict:
    from torch.overrides import get_testing_overrides

    return get_testing_overrides()


_SIGNATURES: dict = {}


def _signature(func) -> inspect.Signature | None:
    """The signature torch documents for a function (torch.overrides' stand-ins), or None."""
    if func not in _SIGNATURES:
        try:
            _SIGNATURES[func] = inspect.signature(_overrides()[func])
        except (KeyError, TypeError, ValueError):
            _SIGNATURES[func] = None
    return _SIGNATURES[func]


@dataclass(frozen=True)
class _Slot:
    """Where an argument came from: its position in the call, or its keyword."""

    source: int | str


# (function, number of positional arguments, keywords) -> (the sources of the arguments by position, the keywords
# left), or None where the signature is unknown or refuses them: what binding gives depends on nothing else
_PLANS: dict[tuple, tuple[tuple, tuple] | None] = {}


def positional(func, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments with those given by keyword, where the function takes them by position, moved to their place:
    torch.matmul(x, other=w) as torch.matmul(x, w)."""
    if not kwargs:
        return args, kwargs
    key = (func, len(args), tuple(kwargs))
    try:
        plan = _PLANS[key] if key in _PLANS else _PLANS.setdefault(key, _plan(func, len(args), tuple(kwargs)))
    except TypeError:  # a function that cannot be a key
        plan = _plan(func, len(args), tuple(kwargs))
    if plan is None:
        return args, kwargs
    by_position, keywords = plan
    return tuple(args[s] if type(s) is int else kwargs[s] for s in by_position), {k: kwargs[k] for k in keywords}


def _plan(func, count: int, keywords: tuple[str, ...]) -> tuple[tuple, tuple] | None:
    """How the signature binds count positional arguments and these keywords (positional() applies it)."""
    signature = _signature(func)
    if signature is None:
        return None
    try:
        bound = signature.bind(*(_Slot(i) for i in range(count)), **{k: _Slot(k) for k in keywords})
    except TypeError:
        return None
    return tuple(slot.source for slot in bound.args), tuple(slot.source for slot in bound.kwargs.values())


class RecordError(Exception):
    """A failure inside the forward, with the module and the function where it happened."""

    def __init__(self, where: str, error: BaseException, made_bytes: int = 0) -> None:
        super().__init__(f"{where}: {type(error).__name__}: {first_line(error)}")
        self.error = error
        self.made_bytes = made_bytes  # of the tensors the forward made before it failed


class Recorder(TorchFunctionMode):
    """The function mode: converts the module's tensors as they are used, runs or shortcuts each call, records it."""

    def __init__(self, root: nn.Module, device: str, inventory: Inventory | None = None) -> None:
        super().__init__()
        self.device = device
        self.calls: list[Call] = []
        self.scopes: list[Scope] = [Scope(None, "", None)]
        self.stack: list[int] = [0]
        self.values: dict[int, Value] = {}  # id(tensor seen by the forward) -> the Value it holds
        self.weights: dict[int, Weight] = {}  # id(converted tensor) -> the module's tensor it stands for
        self.converted: dict[int, torch.Tensor] = {}  # id(module tensor) -> its meta tensor (or CPU copy)
        self.keep: list[Any] = []  # every tensor recorded stays alive, so that no id is reused
        self.names: dict[int, tuple[str, str]] = {}  # id(module tensor) -> (qualified name, kind)
        self.paths: dict[int, str] = {}
        self.uses: dict[str, int] = {}
        self.called: set[int] = set()
        self.opaque = 0  # inside a TorchScript module: its own calls are not ours to record
        self.failure: tuple[int, str] | None = None  # (id of the error, where) of the last call that raised
        self.raised_in: str | None = None  # the module whose forward raised last, unless the forward went on
        for held in (inventory or Inventory.of(root)).held:
            path = held.path
            self.paths[id(held.module)] = path
            for name, tensor in held.parameters:
                self.names.setdefault(id(tensor), (f"{path}.{name}" if path else name, "parameter"))
            for name, tensor in held.buffers:
                self.names.setdefault(id(tensor), (f"{path}.{name}" if path else name, "buffer"))
            for name, value in held.module.__dict__.items():  # a plain tensor it holds (anchors, strides): named
                if isinstance(value, torch.Tensor) and self.names.get(id(value), ("", "tensor"))[1] == "tensor":
                    self.names[id(value)] = (f"{path}.{name}" if path else name, "tensor")  # by its deepest holder
        self.constructors = _device_constructors()
        self.thread = threading.get_ident()  # the module hooks are global: another thread's modules are not ours

    # --- module hooks --------------------------------------------------------------------------------------

    def enter(self, module: nn.Module, inputs) -> None:
        if threading.get_ident() != self.thread:
            return
        self.called.add(id(module))
        if self.opaque:
            self.opaque += 1
            return
        path = self._call_site(module)
        uses = self.uses[path] = self.uses.get(path, 0) + 1
        self.scopes[self.stack[-1]].children += 1
        scope = Scope(module, path if uses == 1 else f"{path}#{uses}", self.stack[-1])
        if isinstance(module, torch.jit.ScriptModule):
            scope.inputs = self._arguments(tuple(inputs))[1]
            self.opaque = 1
        self.scopes.append(scope)
        self.stack.append(len(self.scopes) - 1)

    def _call_site(self, module: nn.Module) -> str:
        """The module's path as the call reaches it: under the calling module, by the name that module holds it by
        (one activation instance that every block holds as `act` is model.1.act when model.1 calls it, not
        model.0.act#2), else its own first path."""
        scope = self.scopes[self.stack[-1]]
        own = self.paths.get(id(module), type(module).__name__)
        if scope.module is None:
            return own
        base = self._scope_base()
        if own.rpartition(".")[0] == base:
            return own
        for name, child in scope.module._modules.items():
            if child is module:
                return f"{base}.{name}" if base else name
        return own

    def leave(self, module: nn.Module, inputs, output) -> None:
        if threading.get_ident() != self.thread:
            return
        if self.opaque > 1:
            self.opaque -= 1
            return
        for depth in range(len(self.stack) - 1, 0, -1):  # the module's scope, closing any a raised error left open
            if self.scopes[self.stack[depth]].module is module:
                del self.stack[depth + 1 :]
                if output is None and self.raised_in is None:  # always_call: the forward raised
                    self.raised_in = self._where()
                if self.opaque:
                    self.opaque = 0
                    if output is not None:  # None: the module raised (always_call runs this hook regardless)
                        self._record("torchscript", False, self.scopes[self.stack[-1]].inputs, {}, output, ())
                self.stack.pop()
                return

    # --- tensors -------------------------------------------------------------------------------------------

    def _convert(self, tensor: torch.Tensor) -> torch.Tensor:
        """The tensor the pass uses for a module's (or an outside) tensor: a meta tensor, or a CPU copy."""
        known = self.converted.get(id(tensor))
        if known is not None:
            return known
        with torch._C.DisableTorchFunction():
            if self.device == "meta":
                converted = torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype, device="meta")
            else:
                converted = tensor.detach().clone()
        name, kind = self.names.get(id(tensor), (None, "tensor"))
        self.converted[id(tensor)] = converted
        self.keep += [tensor, converted]
        self.weights[id(converted)] = Weight(name or self._tensor_name(), tensor, kind)
        return converted

    def _scope_base(self) -> str:
        """The running module's path without the '#2' of a repeated call: a block called again names what it calls,
        and the tensors it uses, as its first call does."""
        return self.scopes[self.stack[-1]].path.partition("#")[0]

    def _tensor_name(self) -> str:
        """A name for a tensor from outside the module's own: 'tensor7' under the module whose forward uses it."""
        base = self._scope_base()
        return f"{base}.tensor{len(self.weights)}" if base else f"tensor{len(self.weights)}"

    def _arguments(self, value):
        """(value to run with, value to record): module tensors converted, seen tensors as Values or Weights."""
        if isinstance(value, torch.Tensor):
            seen = self.values.get(id(value))  # first: a module tensor an in-place op has written is a new value
            if seen is not None:
                return value, seen
            weight = self.weights.get(id(value))
            if weight is not None:
                return value, weight
            if value.device.type != self.device or id(value) in self.names or self.device == "cpu":
                value = self._convert(value)
                seen = self.values.get(id(value))
                if seen is not None:
                    return value, seen
                weight = self.weights.get(id(value))
            return value, weight if weight is not None else self._outside(value)
        if type(value) in PLAIN:
            return value, value
        if (
            isinstance(value, (list, tuple))
            and value
            and any(isinstance(v, (torch.Tensor, list, tuple)) for v in value)
        ):
            pairs = [self._arguments(v) for v in value]
            kind = list if isinstance(value, list) else tuple
            return kind(p[0] for p in pairs), kind(p[1] for p in pairs)
        return value, value

    def _each(self, values: tuple) -> tuple[tuple, tuple]:
        """_arguments of each of a call's positional arguments: (to run with, to record)."""
        run, recorded = [], []
        for value in values:
            if type(value) in PLAIN:
                run.append(value)
                recorded.append(value)
            else:
                pair = self._arguments(value)
                run.append(pair[0])
                recorded.append(pair[1])
        return tuple(run), tuple(recorded)

    def _outside(self, tensor: torch.Tensor) -> Weight:
        """A tensor of the device the recorder did not make (one made before the pass): a constant tensor."""
        weight = Weight(self._tensor_name(), tensor, "tensor")
        self.weights[id(tensor)] = weight
        self.keep.append(tensor)
        return weight

    # --- calls ---------------------------------------------------------------------------------------------

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name, in_place, reflected = canonical(func)
        if name in INFORMATIONAL or self.opaque:
            return func(*args, **(kwargs or {}))
        run_args, recorded_args = self._each(args)
        run_kwargs: dict = {}
        recorded_kwargs: dict = {}
        if kwargs:
            for key, value in kwargs.items():
                run_kwargs[key], recorded_kwargs[key] = self._arguments(value)
        if func in self.constructors and self.device == "meta" and run_kwargs.get("device") is None:
            run_kwargs["device"] = "meta"
        try:
            result = None
            if self.device == "meta":
                if name in ("to", "cpu") and run_args and _on_meta(run_args[0]):
                    run_args, run_kwargs, result = _staying(name, run_args, run_kwargs)
                if result is None:
                    result = shortcut(name, in_place, run_args, run_kwargs, reflected)
            if result is None:
                result = func(*run_args, **run_kwargs)
        except Exception as error:  # noqa: BLE001  raised as it is (the model may catch it), and where, remembered
            self.failure = (id(error), self._where(name))
            raise
        if name == "setitem" or (run_args and isinstance(run_args[0], torch.Tensor) and result is run_args[0]):
            in_place = True
        recorded_args, recorded_kwargs = positional(func, recorded_args, recorded_kwargs)
        if reflected and len(recorded_args) >= 2:  # y.__rmatmul__(x) is x @ y
            recorded_args = (recorded_args[1], recorded_args[0], *recorded_args[2:])
        spelling = getattr(func, "__name__", "") or ""
        self._record(name, in_place, recorded_args, recorded_kwargs, result, run_args, spelling)
        return result

    def _where(self, function: str | None = None) -> str:
        """'layer1.0.conv1 (Conv2d) at conv2d': the module whose forward was running, and the function."""
        scope = self.scopes[self.stack[-1]]
        if scope.module is None:
            module = "the forward"
        else:
            module = f"{scope.path or 'the forward'} ({type(scope.module).__name__})"
        return f"{module} at {function}" if function else module

    def _record(self, name: str, in_place: bool, args, kwargs, result, run_args, spelling: str = "") -> None:
        if name == "setitem":  # x[i] = v returns nothing: what it writes is x
            outputs = [run_args[0]] if run_args and isinstance(run_args[0], torch.Tensor) else []
        else:
            outputs = [result] if isinstance(result, torch.Tensor) else _tensors(result)
        if not outputs:
            return
        index = len(self.calls)
        scope = self.stack[-1]
        self.raised_in = None  # the forward went on: an error before was caught
        shapes = tuple(tuple(t.shape) for t in outputs)
        self.calls.append(
            Call(
                name,
                scope,
                args,
                kwargs,
                shapes,
                in_place,
                self.scopes[scope].module,
                spelling,
                tuple(_dtype_name(t.dtype) for t in outputs),
                tuple(t._is_view() for t in outputs),
            )
        )
        self.scopes[scope].calls.append(index)
        for i, tensor in enumerate(outputs):
            self.values[id(tensor)] = Value(index, i, shapes[i], tensor.is_contiguous(), tuple(tensor.stride()))
        self.keep.append(result)

    def add_input(self, tensor: torch.Tensor, position: int) -> None:
        self.values[id(tensor)] = Value(-1 - position, 0, tuple(tensor.shape), True)
        self.keep.append(tensor)


def _on_meta(value) -> bool:
    return isinstance(value, torch.Tensor) and value.device.type == "meta"


def _staying(name: str, args: tuple, kwargs: dict) -> tuple[tuple, dict, torch.Tensor | None]:
    """x.to(device, ...) or x.cpu() of a tensor the pass made on the meta device, where the forward moves it to the
    device of the module's weights (`self.weight.device` is where the module really is): it stays on the meta device,
    as the weights it stands beside do. (args, kwargs) to run with, or the result itself for x.cpu()."""
    if name == "cpu":
        return args, kwargs, args[0] if len(args) == 1 and not kwargs else None
    args = tuple("meta" if isinstance(a, (torch.device, str)) else a for a in args)
    if kwargs.get("device") is not None:
        kwargs = {**kwargs, "device": "meta"}
    return args, kwargs, None


_DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    """dtype_name, remembered per dtype."""
    found = _DTYPE_NAMES.get(dtype)
    if found is None:
        found = _DTYPE_NAMES[dtype] = dtype_name(dtype)
    return found


def _tensors(result) -> list[torch.Tensor]:
    """The tensors a call returned, in order (a tuple, a named tuple, a list, a dict, nested ones)."""
    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, dict):
        result = list(result.values())
    if isinstance(result, (list, tuple)):
        found = []
        for item in result:
            found += _tensors(item)
        return found
    return []


# --- the pass, and everything it may change, put back ----------------------------------------------------------


MAX_STATE = 200_000  # containers and objects a module's state may reach: past that it cannot be snapshotted quickly
OPAQUE_TYPES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, partial)


def _reachable(attributes: dict, modules: set[int], seen: set[int]) -> list[tuple[Any, Any]]:
    """(container, a copy of its contents, or None where it is empty) of every dict, list and set reachable from a
    module's attributes, however deep (a cache of caches: self.state['past'].append(y)), and (obj.__dict__, its copy)
    of every plain object among them (a counter kept on an attribute object); the tree's own modules and tensors are
    not entered, and each thing is saved once (seen)."""
    found: list[tuple[Any, Any]] = []
    stack = list(attributes.values())
    while stack:
        value = stack.pop()
        if id(value) in seen or isinstance(value, torch.Tensor) or id(value) in modules:
            continue
        if isinstance(value, MUTABLE):
            found.append((value, _copy(value) if value else None))
            stack.extend(value.values() if isinstance(value, dict) else () if isinstance(value, bytearray) else value)
        elif isinstance(value, tuple):
            stack.extend(value)
        elif not isinstance(value, OPAQUE_TYPES) and (
            isinstance(getattr(value, "__dict__", None), dict) or _slots(type(value))
        ):
            if isinstance(getattr(value, "__dict__", None), dict):
                found.append((value.__dict__, dict(value.__dict__)))
                stack.extend(value.__dict__.values())
            held = {name: getattr(value, name) for name in _slots(type(value)) if hasattr(value, name)}
            if held:
                found.append((SlotState(value), held))
                stack.extend(held.values())
        else:
            continue
        seen.add(id(value))
        if len(seen) > MAX_STATE:
            raise CnnCostError(
                f"its modules hold more than {MAX_STATE:,} containers and objects a forward could change: too many "
                "to set back as they were afterwards, so it is not run"
            )
    return found


MUTABLE = (dict, list, set, collections.deque, bytearray)  # containers a forward may change in place


def _copy(container):
    """Its contents in a plain container of the kind (a subclass's constructor may take other arguments)."""
    if isinstance(container, dict):
        return dict(container)
    if isinstance(container, set):
        return set(container)
    return bytes(container) if isinstance(container, bytearray) else list(container)


def _slots(cls: type) -> tuple[str, ...]:
    """The __slots__ names of a class and its bases (not __dict__ or __weakref__)."""
    return _class_slots(cast(Hashable, cls))


@cache
def _class_slots(cls: Any) -> tuple[str, ...]:
    """The __slots__ names of a class and its bases (not __dict__ or __weakref__)."""
    names = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names += [slots] if isinstance(slots, str) else [n for n in slots if n not in ("__dict__", "__weakref__")]
    return tuple(names)


@dataclass(frozen=True)
class SlotState:
    """An object whose __slots__ restore sets back (its values saved beside it)."""

    obj: Any


def snapshot(module: nn.Module, inventory: Inventory | None = None) -> list:
    """What a forward could change in each module: its attributes, the contents of every dict, list, set and plain
    object they reach, however deep, its parameters' requires_grad; a TorchScript module's buffers and mode."""
    saved: list[tuple[Any, ...]] = []
    held_modules = (inventory or Inventory.of(module)).held
    modules = {id(held.module) for held in held_modules}
    seen: set[int] = set()
    for held in held_modules:
        m = held.module
        if isinstance(m, torch.jit.ScriptModule):
            buffers: list[tuple[Any, Any]] = [(b, b.detach().clone()) for _, b in held.buffers]
            saved.append((m, None, [], [(m, m.training), *buffers]))
            continue
        attributes = m.__dict__.copy()
        flags = [(p, p.requires_grad) for _, p in held.parameters]
        saved.append((m, attributes, _reachable(attributes, modules, seen), flags))
    return saved


def restore(saved: list) -> None:
    """Every module as snapshot() saw it."""
    for m, attributes, containers, flags in saved:
        if attributes is None:  # a TorchScript module: its mode, and its buffers' values
            (_, training), *buffers = flags
            m.train(training)
            with torch.no_grad():
                for buffer, value in buffers:
                    buffer.copy_(value)
            continue
        for container, contents in containers:
            if isinstance(container, SlotState):  # object.__setattr__: a frozen dataclass's slots too
                for name, value in contents.items():
                    if getattr(container.obj, name, None) is not value:
                        object.__setattr__(container.obj, name, value)
                continue
            if contents is None:  # it was empty
                if container:
                    container.clear()
                continue
            container.clear()
            if isinstance(container, (list, collections.deque, bytearray)):
                container.extend(contents)
            else:
                container.update(contents)
        m.__dict__.clear()
        m.__dict__.update(attributes)
        for parameter, requires_grad in flags:
            if parameter.requires_grad != requires_grad:
                parameter.requires_grad_(requires_grad)


def made_bytes(calls: list[Call]) -> int:
    """Bytes of every tensor the calls returned, each at its dtype: what a recording on the CPU holds of them."""
    return sum(
        prod(shape) * element_bytes(dtype)
        for call in calls
        for shape, dtype in zip(call.outputs, call.dtypes, strict=False)
    )


# torch.nn's norms with running statistics (batch norm, instance norm tracking them): in a training-mode recording they
# stay in eval mode, so that their statistics' update (an add to num_batches_tracked) is not taken for a layer; the
# training figures count a batch norm as training runs it whatever mode it is recorded in
STATISTICS = (nn.modules.batchnorm._NormBase,)


def record(
    module: nn.Module,
    args: tuple,
    kwargs: dict,
    input_names: list[str],
    device: str,
    inventory: Inventory | None = None,
    training: bool = False,
) -> Recording:
    """Run module(*args, **kwargs) once under the recorder, in eval mode (training: in training mode, the forward a
    training step runs) and without autograd; every module's mode, attributes and hooks are as before afterwards, and
    so is the global random state. inventory: the module's, where the caller has walked it already."""
    inventory = inventory or Inventory.of(module)
    recorder = Recorder(module, device, inventory)
    inputs: list[tuple[str, tuple[int, ...], str]] = []
    for position, (tensor, name) in enumerate(zip(_tensors((args, kwargs)), input_names, strict=False)):
        recorder.add_input(tensor, position)
        inputs.append((name, tuple(tensor.shape), dtype_name(tensor.dtype)))
    saved = snapshot(module, inventory)
    handles = [
        nn.modules.module.register_module_forward_pre_hook(recorder.enter),
        nn.modules.module.register_module_forward_hook(recorder.leave, always_call=True),
    ]
    try:
        for m, *_ in saved:
            mode = training and not isinstance(m, STATISTICS)  # a norm's running statistics: bookkeeping, not counted
            if m.training != mode:
                m.training = mode  # the mode, without a module's own train(), which may do more (freeze a stage)
        # the global random state as it was afterwards (a forward may draw on the CPU even on the meta device); a
        # draw another thread makes meanwhile is set back with it (README: thread safety)
        with recorder, torch.no_grad(), torch.random.fork_rng(devices=[]), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the model's own warnings are for its user's runs, not for this one
            module(*args, **kwargs)
    except STOPS:  # Ctrl-C, SIGTERM, sys.exit in the model's code: the process's, not a failure to record
        raise
    except BaseException as error:  # noqa: BLE001  the module's own code, anything but a stop: said in one line
        if recorder.failure and recorder.failure[0] == id(error):
            where = recorder.failure[1]
        else:
            where = recorder.raised_in or recorder._where()
        raise RecordError(where, error, made_bytes(recorder.calls)) from None
    finally:
        for handle in handles:
            handle.remove()
        restore(saved)
    if not recorder.calls:
        raise CnnCostError("its forward runs no torch function: there is nothing to count")
    return Recording(recorder.calls, recorder.scopes, inputs, device, recorder.called, inventory)
