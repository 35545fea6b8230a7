"""Turn any nn.Module into a cnncost Graph: torch.fx where it traces, a function-mode recording where it does not.

Both paths record the same thing, an OpCall per module call or tensor function, and lower it with the same
rules to cnncost nodes. Leaf modules (Conv2d, Linear, BatchNorm2d, ...) are named by their module path;
functional calls (torch.cat, +, F.relu, torch.flatten, x.mean, matmul) become nodes too, named as fx names
them. An op with no rule becomes an `uncounted` node: its output shape and parameters are known, its cost is
not, and it is listed as such, never counted as zero.

Shapes are found on the meta device (a copy of the module whose tensors hold no data), so tracing costs no
real memory or compute.
"""

from __future__ import annotations

import contextlib
import copy
import io
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.fx as fx
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp
from torch.overrides import TorchFunctionMode

from ..errors import CnnCostError, first_line
from ..graph import INPUT, Graph, Node, layer
from ..layers.elementwise import ACTIVATIONS
from ..shapes import Shape


@dataclass(frozen=True)
class Act:
    """An activation argument: the name of the node that produced it and its shape (one sample)."""

    name: str
    shape: tuple[int, ...]


@dataclass
class OpCall:
    """One call seen while tracing: a leaf module or a tensor function, its arguments, its output shape(s)."""

    name: str
    target: str  # normalised function or method name ('add', 'cat', 'relu', 'mean'), or 'module'
    args: tuple
    kwargs: dict
    output: Any  # a sample shape (tuple), a tuple of them, or None for a non-tensor result
    module: nn.Module | None = None


@dataclass
class Lowering:
    """What the rules produced: nodes in order, aliases (names that stand for another node's output)."""

    nodes: list[Node] = field(default_factory=list)
    alias: dict[str, str] = field(default_factory=dict)
    pieces: dict[str, list[tuple[str, int, int, int]]] = field(default_factory=dict)  # chunk/split: (src, dim, a, b)
    seen_parameters: dict[int, str] = field(default_factory=dict)  # id(param) -> first node using it
    expected: dict[str, tuple[int, ...]] = field(default_factory=dict)  # node -> the shape torch gave it

    def resolve(self, name: str) -> str:
        while name in self.alias:
            name = self.alias[name]
        return name


def normalise(name: str) -> str:
    """'__iadd__' -> 'add', '__rmul__' -> 'mul', 'relu_' -> 'relu': the op, whatever the spelling."""
    name = name.strip("_")
    if name.startswith(("i", "r")) and name[1:] in {"add", "sub", "mul", "truediv", "matmul", "floordiv"}:
        name = name[1:]
    return {"truediv": "div", "concat": "cat", "concatenate": "cat", "multiply": "mul",
            "subtract": "sub", "divide": "div"}.get(name, name)


# --- rules -----------------------------------------------------------------------------------------------

def _acts(call: OpCall) -> list[Act]:
    found = []
    for value in (*call.args, *call.kwargs.values()):
        items = value if isinstance(value, (list, tuple)) else (value,)
        found += [item for item in items if isinstance(item, Act)]
    return found


def _arg(call: OpCall, index: int, key: str, default=None):
    if key in call.kwargs:
        return call.kwargs[key]
    return call.args[index] if len(call.args) > index else default


def _dim(value: int, rank: int) -> int:
    """A torch dim of a batched tensor (rank includes the batch) as a sample dim (0 = channels)."""
    return (value % rank) - 1


def _params(tensors, lowering: Lowering, name: str) -> tuple[int, str | None]:
    """The elements of the parameters not seen before, and the node that first used them if all were seen."""
    fresh = [t for t in tensors if t is not None and id(t) not in lowering.seen_parameters]
    first = [lowering.seen_parameters[id(t)] for t in tensors if t is not None and id(t) in lowering.seen_parameters]
    for tensor in fresh:
        lowering.seen_parameters[id(tensor)] = name
    return sum(t.numel() for t in fresh), (first[0] if first and not fresh else None)


def _module_rule(call: OpCall, lowering: Lowering) -> tuple[str, dict] | None:
    """The cnncost layer type and attributes of a leaf module, or None if there is no rule for it."""
    m = call.module
    if isinstance(m, nn.Conv2d) and m.padding_mode == "zeros":
        padding = m.padding
        if isinstance(padding, str):
            if padding == "valid":
                padding = 0
            elif all((d * (k - 1)) % 2 == 0 for d, k in zip(m.dilation, m.kernel_size)):
                padding = tuple(d * (k - 1) // 2 for d, k in zip(m.dilation, m.kernel_size))
            else:
                return None  # 'same' with an even kernel pads one side more: no symmetric formula
        return "conv2d", dict(out_channels=m.out_channels, kernel_size=tuple(m.kernel_size), stride=tuple(m.stride),
                              padding=padding if isinstance(padding, int) else tuple(padding),
                              dilation=tuple(m.dilation), groups=m.groups, bias=m.bias is not None)
    if isinstance(m, nn.Linear):
        return "linear", dict(out_features=m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.BatchNorm2d):
        return "batch_norm2d", dict(eps=m.eps, momentum=m.momentum if m.momentum is not None else 0.1,
                                    affine=m.affine, track_running_stats=m.track_running_stats)
    if isinstance(m, nn.MaxPool2d) and not m.return_indices:
        return "max_pool2d", dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding, dilation=m.dilation,
                                  ceil_mode=m.ceil_mode)
    if isinstance(m, nn.AvgPool2d) and m.divisor_override is None:
        return "avg_pool2d", dict(kernel_size=m.kernel_size, stride=m.stride, padding=m.padding,
                                  ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad)
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and not getattr(m, "return_indices", False):
        op = "adaptive_avg_pool2d" if isinstance(m, nn.AdaptiveAvgPool2d) else "adaptive_max_pool2d"
        return op, dict(output_size=tuple(call.output[-2:]))
    if isinstance(m, nn.Flatten):
        return ("flatten", {}) if m.start_dim == 1 and m.end_dim == -1 else ("reshape", dict(shape=call.output))
    if isinstance(m, (nn.Dropout, nn.Dropout2d, nn.AlphaDropout)):
        return "dropout", dict(p=m.p)
    if isinstance(m, nn.LocalResponseNorm):
        return "local_response_norm", dict(size=m.size, alpha=m.alpha, beta=m.beta, k=m.k)
    if isinstance(m, nn.Softmax) and m.dim is not None:
        return "softmax", dict(dim=_dim(m.dim, len(call.output) + 1))
    if isinstance(m, nn.ChannelShuffle):
        return "channel_shuffle", dict(groups=m.groups)
    activation = _MODULE_ACTIVATIONS.get(type(m))
    if activation:
        return activation, dict(inplace=bool(getattr(m, "inplace", False)))
    return None


_MODULE_ACTIVATIONS = {nn.ReLU: "relu", nn.ReLU6: "relu6", nn.GELU: "gelu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
                       nn.SiLU: "silu", nn.Hardswish: "hardswish", nn.Hardsigmoid: "hardsigmoid"}
_IDENTITY_MODULES = (nn.Identity,)
_IDENTITY_FUNCTIONS = {"contiguous", "clone", "detach", "to", "float", "type_as", "identity"}
_VIEWS = {"view", "reshape", "permute", "transpose", "t", "squeeze", "unsqueeze", "expand", "expand_as", "view_as",
          "flatten", "movedim"}


def _function_rule(call: OpCall, lowering: Lowering) -> tuple[str, dict] | None:
    """The cnncost layer type and attributes of a tensor function, or None if there is no rule for it."""
    t, acts, out = call.target, _acts(call), call.output
    rank = len(acts[0].shape) + 1 if acts else 0
    if t in ACTIVATIONS:
        return t, dict(inplace=bool(_arg(call, 1, "inplace", False)))
    if t == "cat":
        return "concat", dict(dim=_dim(_arg(call, 1, "dim", 0), rank))
    if t in {"add", "mul", "sub", "div"}:
        if len(acts) >= 2 and t in {"add", "mul"}:
            return ("add" if t == "add" else "multiply"), {}
        constant = next((a for a in call.args if isinstance(a, (int, float)) and not isinstance(a, bool)), None)
        return "elementwise", dict(operation=t, constant=float(constant) if constant is not None else None)
    if t == "flatten":
        start = _arg(call, 1, "start_dim", 0)
        return ("flatten", {}) if len(out) == 1 and start in (1, -rank + 1) else ("reshape", dict(shape=out))
    if t in _VIEWS:
        return ("flatten", {}) if len(out) == 1 and len(acts[0].shape) > 1 else ("reshape", dict(shape=out))
    if t in {"mean", "sum", "amax"}:
        dims = _arg(call, 1, "dim", None)
        if dims is None:
            return None
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        return t, dict(dim=tuple(sorted(_dim(d, rank) for d in dims)), keepdim=bool(_arg(call, 2, "keepdim", False)))
    if t in {"adaptive_avg_pool2d", "adaptive_max_pool2d"}:
        return t, dict(output_size=tuple(out[-2:]))
    if t in {"max_pool2d", "avg_pool2d"}:
        names = ("kernel_size", "stride", "padding") + (("dilation", "ceil_mode") if t == "max_pool2d" else
                                                        ("ceil_mode", "count_include_pad"))
        attrs = {key: _arg(call, i + 1, key) for i, key in enumerate(names) if _arg(call, i + 1, key) is not None}
        if attrs.get("stride") in ((), []):
            attrs["stride"] = None
        return t, attrs
    if t == "dropout":
        return "dropout", dict(p=float(_arg(call, 1, "p", 0.5)))
    if t == "softmax":
        return "softmax", dict(dim=_dim(_arg(call, 1, "dim"), rank))
    if t == "narrow":
        rank_dim = _dim(_arg(call, 1, "dim"), rank)
        start = _arg(call, 2, "start")
        return "slice", dict(start=start, end=start + _arg(call, 3, "length"), dim=rank_dim)
    if t in {"matmul", "mm", "bmm"} and len(acts) == 2:
        return "matmul", {}
    if t in {"matmul", "mm"} and len(acts) == 1:
        weight = next((a for a in call.args if isinstance(a, torch.Tensor)), None)
        if weight is not None and weight.dim() == 2 and call.args[0] is acts[0]:
            return "linear", dict(out_features=weight.shape[1], bias=False, _parameters=(weight,))
    if t == "linear":
        weight, bias = _arg(call, 1, "weight"), _arg(call, 2, "bias")
        return "linear", dict(out_features=weight.shape[0], bias=bias is not None, _parameters=(weight, bias))
    if t == "conv2d":
        weight, bias = _arg(call, 1, "weight"), _arg(call, 2, "bias")
        padding = _arg(call, 4, "padding", 0)
        if isinstance(padding, str):
            return None
        return "conv2d", dict(out_channels=weight.shape[0], kernel_size=tuple(weight.shape[2:]),
                              stride=_pair(_arg(call, 3, "stride", 1)), padding=_pair(padding),
                              dilation=_pair(_arg(call, 5, "dilation", 1)), groups=_arg(call, 6, "groups", 1),
                              bias=bias is not None, _parameters=(weight, bias))
    if t == "batch_norm":
        weight, bias = _arg(call, 3, "weight"), _arg(call, 4, "bias")
        mean, var = _arg(call, 1, "running_mean"), _arg(call, 2, "running_var")
        return "batch_norm2d", dict(affine=weight is not None, track_running_stats=mean is not None,
                                    _parameters=(weight, bias), _buffers=(mean, var))
    return None


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


# --- lowering --------------------------------------------------------------------------------------------

def lower(call: OpCall, lowering: Lowering) -> None:
    """Add the nodes (or alias) for one call."""
    count = len(lowering.nodes)
    _lower(call, lowering)
    if len(lowering.nodes) > count:
        lowering.expected[lowering.nodes[-1].name] = tuple(call.output)


def _lower(call: OpCall, lowering: Lowering) -> None:
    acts = _acts(call)
    inputs = [lowering.resolve(a.name) for a in acts]
    if call.output is None:
        return
    if isinstance(call.output, list):  # chunk / split: remember the pieces, getitem makes the slices
        lowering.pieces[call.name] = _pieces(call, inputs[0])
        return
    if call.target == "getitem" and acts and acts[0].name in lowering.pieces:
        source, dim, start, end = lowering.pieces[acts[0].name][call.args[1]]
        lowering.nodes.append(layer("slice", call.name, source, start=start, end=end, dim=dim))
        return
    if call.target == "getitem":
        sliced = _channel_slice(call, inputs)
        if sliced is not None:
            lowering.nodes.append(sliced)
            return
    if (call.module is not None and isinstance(call.module, _IDENTITY_MODULES)) or \
            (call.module is None and call.target in _IDENTITY_FUNCTIONS and len(acts) == 1):
        lowering.alias[call.name] = inputs[0]
        return
    if not acts:
        return  # arithmetic on parameters or constants only: no activation flows through it
    rule = _module_rule(call, lowering) if call.module is not None else _function_rule(call, lowering)
    module_tensors = (list(call.module.parameters()), list(call.module.buffers())) if call.module is not None else None
    if rule is None:
        params, buffers = _counts(module_tensors, call, lowering)
        source = type(call.module).__name__ if call.module is not None else call.target
        lowering.nodes.append(layer("uncounted", call.name, *inputs, output_shape=tuple(call.output),
                                    source=source, params=params, buffers=buffers))
        return
    op, attrs = rule
    tensors = (list(attrs.pop("_parameters", ())), list(attrs.pop("_buffers", ()))) \
        if module_tensors is None else module_tensors
    shares = _shared(tensors, call.name, lowering)
    lowering.nodes.append(Node(call.name, op, tuple(inputs), tuple(attrs.items()), shares))


def _counts(tensors, call: OpCall, lowering: Lowering) -> tuple[int, int]:
    if tensors is None:
        return 0, 0
    params, _ = _params(tensors[0], lowering, call.name)
    buffers, _ = _params(tensors[1], lowering, call.name)
    return params, buffers


def _shared(tensors, name: str, lowering: Lowering) -> str | None:
    """The earlier node whose parameters these are, if all were seen before; marks new ones as this node's."""
    everything = [t for t in (*tensors[0], *tensors[1]) if t is not None]
    if not everything:
        return None
    _, first = _params(everything, lowering, name)
    return first


def _pieces(call: OpCall, source: str) -> list[tuple[str, int, int, int]]:
    rank = len(_acts(call)[0].shape) + 1
    dim = _dim(_arg(call, 2, "dim", 0), rank)
    pieces, start = [], 0
    for shape in call.output:
        pieces.append((source, dim, start, start + shape[dim]))
        start += shape[dim]
    return pieces


def _channel_slice(call: OpCall, inputs: list[str]) -> Node | None:
    """x[:, a:b] (a slice of the channels, step 1) as a slice node; other indexing has no rule."""
    index = call.args[1] if len(call.args) > 1 else None
    if not (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None) and isinstance(index[1], slice)
            and index[1].step in (None, 1)):
        return None
    size = _acts(call)[0].shape[0]
    start, end, _ = index[1].indices(size)
    return layer("slice", call.name, inputs[0], start=start, end=end, dim=0)


# --- fx path ---------------------------------------------------------------------------------------------

def _sample(shape) -> tuple[int, ...]:
    return tuple(int(d) for d in shape[1:])


def fx_calls(module: nn.Module, example: torch.Tensor) -> list[OpCall]:
    """The calls of a symbolically traced module, with the output shapes ShapeProp finds on the meta device."""
    traced = fx.symbolic_trace(module)
    meta = _on_meta(traced)
    with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints a traceback before it raises
        ShapeProp(meta).propagate(example.to("meta"))
    shapes = {node.name: node.meta.get("tensor_meta") for node in meta.graph.nodes}
    modules = dict(traced.named_modules())
    calls, placeholders = [], 0
    module_uses: dict[str, int] = {}

    def convert(value):
        if isinstance(value, fx.Node):
            if value.op == "get_attr":
                return _fetch_attr(traced, value.target)
            info = shapes.get(value.name)
            if value.op == "placeholder":
                return Act(INPUT, _sample(info.shape))
            if hasattr(info, "shape") and len(info.shape) > 1:
                return Act(value.name, _sample(info.shape))
            if isinstance(info, (list, tuple)) and info:  # a tuple of tensors (chunk, split): getitem takes a piece
                return Act(value.name, ())
            return value.name
        if isinstance(value, (list, tuple)):
            return type(value)(convert(v) for v in value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    for node in traced.graph.nodes:
        if node.op == "placeholder":
            placeholders += 1
            if placeholders > 1:
                raise CnnCostError("cnncost profiles modules that take one input tensor")
            continue
        if node.op in ("output", "get_attr"):
            continue
        info = shapes.get(node.name)
        output = _output_of(info)
        name, target, owner = node.name, "module", None
        if node.op == "call_module":
            owner = modules[node.target]
            uses = module_uses[node.target] = module_uses.get(node.target, 0) + 1
            name = node.target if uses == 1 else f"{node.target}#{uses}"
        elif node.op == "call_function":
            target = normalise(getattr(node.target, "__name__", str(node.target)))
        else:
            target = normalise(node.target)
        calls.append(OpCall(name, target, convert(node.args), convert(node.kwargs), output, owner))
        if node.op == "call_module" and name != node.name:
            calls.append(OpCall(node.name, "identity", (Act(name, output or ()),), {}, output))
    return calls


def _output_of(info):
    if hasattr(info, "shape"):
        return _sample(info.shape) if len(info.shape) > 1 else None  # no batch dimension: a value, not a sample
    if isinstance(info, (list, tuple)) and info and all(hasattr(i, "shape") for i in info):
        return [_sample(i.shape) for i in info]
    return None


def _fetch_attr(module: nn.Module, target: str):
    value = module
    for part in target.split("."):
        value = getattr(value, part)
    return value


def _on_meta(module: nn.Module) -> nn.Module:
    """A copy of the module whose parameters and buffers live on the meta device (no data)."""
    try:
        return copy.deepcopy(module).to("meta")
    except Exception as error:  # noqa: BLE001
        raise CnnCostError(f"cannot copy {type(module).__name__} to the meta device: {error}") from None


# --- function-mode path ----------------------------------------------------------------------------------

class _Recorder(TorchFunctionMode):
    """Records tensor functions called outside leaf modules; module hooks record the leaf modules."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[OpCall] = []
        self.names: dict[int, str] = {}
        self.keep: list[torch.Tensor] = []  # keeps recorded tensors alive so that their ids stay theirs
        self.depth = 0
        self.counter: dict[str, int] = {}

    def act(self, value):
        if isinstance(value, torch.Tensor) and id(value) in self.names:
            return Act(self.names[id(value)], _sample(value.shape))
        if isinstance(value, (list, tuple)):
            return type(value)(self.act(v) for v in value)
        return value

    def record(self, name: str, target: str, args, kwargs, output, module=None) -> None:
        if isinstance(output, torch.Tensor) and output.dim() < 2:
            return  # no batch dimension (a reduction to a value, for a branch): not a sample's activation
        shape = _sample(output.shape) if isinstance(output, torch.Tensor) else None
        if isinstance(output, (list, tuple)) and output and all(isinstance(o, torch.Tensor) for o in output):
            shape = [_sample(o.shape) for o in output]
            for i, piece in enumerate(output):
                self.keep.append(piece)
                self.names[id(piece)] = f"{name}[{i}]"
        self.calls.append(OpCall(name, target, self.act(tuple(args)), {k: self.act(v) for k, v in kwargs.items()},
                                 shape, module))
        if isinstance(output, list) or isinstance(output, tuple):
            for i, piece in enumerate(output):
                if isinstance(piece, torch.Tensor):
                    self.calls.append(OpCall(f"{name}[{i}]", "getitem", (Act(name, ()), i), {},
                                             _sample(piece.shape)))
        elif isinstance(output, torch.Tensor):
            self.keep.append(output)
            self.names[id(output)] = name

    def fresh(self, base: str) -> str:
        count = self.counter[base] = self.counter.get(base, 0) + 1
        return base if count == 1 else f"{base}_{count - 1}"

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self.depth == 0:
            target = normalise(getattr(func, "__name__", str(func)))
            tensors_in = [a for a in _flat(args) + _flat(list(kwargs.values()))
                          if isinstance(a, torch.Tensor) and id(a) in self.names]
            produces = isinstance(result, torch.Tensor) or (
                isinstance(result, (list, tuple)) and result and all(isinstance(r, torch.Tensor) for r in result))
            if tensors_in and produces and target not in {"size", "dim", "get", "shape"}:
                self.record(self.fresh(target), target, args, kwargs, result)
        return result


def _flat(values) -> list:
    out = []
    for value in values:
        out += _flat(value) if isinstance(value, (list, tuple)) else [value]
    return out


def recorded_calls(module: nn.Module, example: torch.Tensor, on_meta: bool = True) -> list[OpCall]:
    """The calls of one forward pass, on the meta device or (for data-dependent code) on the CPU with random data:
    leaf modules through hooks, the rest through a torch function mode."""
    meta = _on_meta(module) if on_meta else module
    originals = {id(m): n for n, m in module.named_modules()}
    meta_names = {id(m): originals.get(id(o), n) for (n, m), (_, o) in zip(meta.named_modules(), module.named_modules())}
    recorder = _Recorder()
    x = example.to("meta") if on_meta else torch.randn(example.shape)
    recorder.names[id(x)] = INPUT
    uses: dict[str, int] = {}
    handles = []

    def before(m, inputs):
        recorder.depth += 1

    def after(m, inputs, output):
        recorder.depth -= 1
        if recorder.depth == 0:
            path = meta_names[id(m)]
            uses[path] = uses.get(path, 0) + 1
            name = path if uses[path] == 1 else f"{path}#{uses[path]}"
            recorder.record(name, "module", inputs, {}, output, module=_original(module, path))

    for m in meta.modules():
        if not list(m.children()) and m is not meta:
            handles += [m.register_forward_pre_hook(before), m.register_forward_hook(after)]
    try:
        with recorder, torch.no_grad():
            meta(x)
    finally:
        for handle in handles:
            handle.remove()
    return recorder.calls


def _original(root: nn.Module, path: str) -> nn.Module:
    return root.get_submodule(path) if path else root


# --- entry point -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TraceResult:
    """The graph, how it was found (torch.fx, or function mode with the reason fx failed), and torch's shapes."""

    graph: Graph
    method: str
    expected_shapes: dict
    module_params: int
    module_buffers: int


def graph_from_module(module: nn.Module, input_shape: Shape, name: str) -> TraceResult:
    """Trace module at one sample of input_shape into a validated cnncost Graph."""
    example = torch.empty(1, *input_shape.dims)
    module = module.eval()
    try:
        calls, method = fx_calls(module, example), "torch.fx"
    except CnnCostError:
        raise
    except Exception as fx_error:  # noqa: BLE001  fx refuses data-dependent control flow and more
        calls, where = _record(module, example, name, input_shape)
        method = f"function mode {where} (torch.fx: {type(fx_error).__name__}: {first_line(fx_error)})"
    lowering = Lowering()
    for call in calls:
        lower(call, lowering)
    if not lowering.nodes:
        raise CnnCostError(f"{name}: no layer was found in its forward pass")
    graph = Graph.build(name, lowering.nodes, input_shape, f"{name}, traced with {method}")
    return TraceResult(graph, method, lowering.expected, *module_parameters(module))


def _record(module: nn.Module, example: torch.Tensor, name: str, input_shape: Shape) -> tuple[list[OpCall], str]:
    """Record on the meta device; where the code needs real values (x.item(), a branch on data), on the CPU."""
    try:
        return recorded_calls(module, example), "on the meta device"
    except CnnCostError:
        raise
    except Exception:  # noqa: BLE001  meta tensors hold no data: code that reads values fails there
        pass
    try:
        return recorded_calls(module, example, on_meta=False), "on the CPU (the module reads tensor values)"
    except CnnCostError:
        raise
    except Exception as error:  # noqa: BLE001
        raise CnnCostError(f"{name} failed on input {input_shape} (batch 1): "
                           f"{type(error).__name__}: {first_line(error)}") from None


def module_parameters(module: nn.Module) -> tuple[int, int]:
    """(parameters, buffers) of a module, each tensor counted once."""
    return (sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers()))

