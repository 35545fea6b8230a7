"""Lower a recorded forward pass to a cnncost Graph: each torch call becomes the node of its layer type (the
handlers of cnncost.torch.rules), named after the module whose forward made it.

Every node is checked against the call: the formula must give torch's output shape and count exactly the
parameters the call used; where it does not, the node is uncounted and the profile says so. A call with no layer type
is an `uncounted` node: its output shape and the parameters it uses are known, its cost is not.

Names follow the modules: a call in the forward of `layer1.0` is `layer1.0.add`; a module whose forward is one op
(a Conv2d's conv2d; an LSTM's lstm beside the zeros of its first state) is named by its path; a second call of a
module or function gets '#2'. Parameters used directly (a class token) are nodes of their own, named as the
parameter; those of modules the forward never called are counted in `unused` rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from math import prod

import torch
from torch import nn

from ..conventions import class_kind
from ..errors import CnnCostError
from ..graph import INPUT, Node
from ..layers import layer_type
from ..shapes import Shape, dtype_name
from .record import Call, Recording, Weight
from .rules import Alias, Lowered, constant_nodes, handler_of, output_shapes, tensors

# --- the graph -------------------------------------------------------------------------------------------


@dataclass
class Lowering:
    """Lowering state: the nodes so far, the names of values, which module tensors are counted where."""

    recording: Recording
    input_names: dict[int, str]
    nodes: list[Node] = field(default_factory=list)
    names: dict[tuple[int, int], str] = field(default_factory=dict)  # (call, output) -> the node that holds it
    multi: dict[int, str] = field(default_factory=dict)  # call -> its node, for a call of several outputs
    counted: dict[int, str] = field(default_factory=dict)  # id(module tensor) -> the node that counts it
    sources: dict[int, str] = field(default_factory=dict)  # id(module tensor) -> its parameter node
    expected: dict[str, tuple] = field(default_factory=dict)  # node -> torch's output shapes
    taken: set[str] = field(default_factory=lambda: {INPUT})
    disagreements: list[str] = field(default_factory=list)
    shapes: dict[str, Shape] = field(default_factory=dict)  # every node's output, and the network's inputs
    made: dict[int, list[str]] = field(default_factory=dict)  # call -> the nodes it made (none for an alias)
    position: dict[str, int] = field(default_factory=dict)  # node -> its index in nodes
    owners: dict[int, nn.Module] = field(default_factory=dict)  # call -> the module whose forward is that call alone

    def unique(self, base: str) -> str:
        """base, or base#2, base#3, ... the first not taken."""
        name, count = base, 1
        while name in self.taken:
            count += 1
            name = f"{base}#{count}"
        self.taken.add(name)
        return name

    def shape(self, name: str) -> Shape:
        """The shape of a node's output, or of a network input."""
        try:
            return self.shapes[name]
        except KeyError:
            raise CnnCostError(f"no shape for {name!r}") from None

    def add(self, node: Node, shape: Shape) -> str:
        self.position[node.name] = len(self.nodes)
        self.nodes.append(node)
        self.shapes[node.name] = shape
        return node.name

    def resolve(self, value) -> str:
        """The name of the node that holds a Value, or of the parameter node of a Weight used as an operand."""
        if isinstance(value, Weight):
            return self.parameter_node(value)
        if value.call < 0:
            return self.input_names[value.call]
        if value.call in self.multi:  # one output of several: an item node picks it
            key = (value.call, value.index)
            if key not in self.names:
                source = self.multi[value.call]
                shape = self.shapes[source].outputs[value.index]
                name = self.unique(f"{source}.{value.index}")
                self.add(Node(name, "item", (source,), (("index", value.index),)), shape)
                self.names[key] = name
            return self.names[key]
        return self.names[(value.call, value.index)]

    def parameter_node(self, weight: Weight) -> str:
        """The node that stands for a module tensor used directly (a class token): made at its first such use."""
        key = id(weight.tensor)
        if key in self.sources:
            return self.sources[key]
        name = self.unique(weight.name)
        if weight.kind == "tensor":  # a plain tensor the module holds: neither a parameter nor a buffer of torch's
            self.add(
                Node(name, "constant", (), (("shape", weight.shape),), dtype=dtype_name(weight.tensor.dtype)),
                Shape(weight.shape),
            )
        else:
            attrs = (("shape", weight.shape),) + ((("buffer", True),) if weight.kind == "buffer" else ())
            counts = None if key not in self.counted else (0, 0)
            frozen = (
                prod(weight.shape)
                if counts is None and weight.kind == "parameter" and not weight.tensor.requires_grad
                else 0
            )
            self.counted.setdefault(key, name)
            self.add(
                Node(
                    name,
                    "parameter",
                    (),
                    attrs,
                    counts=counts,
                    frozen=frozen,
                    dtype=dtype_name(weight.tensor.dtype),
                    tensor_bytes=(0, 0) if counts else _tensor_bytes([weight]),
                ),
                Shape(weight.shape),
            )
        self.sources[key] = name
        return name


def _plumbing(call: Call) -> bool:
    """A call that only views, copies or makes a tensor (a transpose, torch.zeros for a state): not a module's op."""
    found = handler_of(call.function)
    return found is not None and (layer_type(found[0]).category in ("view", "source") or found[0] == "copy")


def _owners(recording: Recording) -> dict[int, nn.Module]:
    """Each call that is its module's forward alone (a Conv2d's conv2d; an LSTM's lstm beside the zeros of its first
    state), with that module; a call among others in a forward (a functional call) has none."""
    found = {}
    for scope in recording.scopes:
        if scope.module is not None and scope.path and not scope.children:
            ops = [i for i in scope.calls if not _plumbing(recording.calls[i])]
            if len(ops) == 1:
                found[ops[0]] = scope.module
    return found


def _scope_name(build: Lowering, call_index: int) -> str:
    """The module path for a call that is its module's one op, else path.function."""
    call = build.recording.calls[call_index]
    scope = build.recording.scopes[call.scope]
    if call_index in build.owners:
        return scope.path
    return f"{scope.path}.{call.function}" if scope.path else call.function


def _tensor_bytes(weights: list[Weight]) -> tuple[int, int]:
    """(parameters, buffers) in bytes, each tensor at its own dtype."""
    found = {"parameter": 0, "buffer": 0}
    for w in weights:
        if w.kind in found:
            found[w.kind] += w.tensor.numel() * w.tensor.element_size()
    return found["parameter"], found["buffer"]


def lower_recording(recording: Recording, module: nn.Module) -> tuple[list[Node], dict, list[str]]:
    """The nodes of a recorded forward pass, torch's shape of each, and notes on what could not be counted."""
    input_names = {-1 - i: (INPUT if i == 0 else name) for i, (name, *_) in enumerate(recording.inputs)}
    build = Lowering(recording, input_names, owners=_owners(recording))
    build.shapes[INPUT] = Shape(recording.inputs[0][1])
    for name, shape, dtype in recording.inputs[1:]:
        build.taken.add(name)
        build.add(Node(name, "input", (), (("shape", shape),), dtype=dtype), Shape(shape))
    for index, call in enumerate(recording.calls):
        _lower_call(build, index, call)
    _leftover_tensors(build, module, recording)
    notes = []
    if build.disagreements:
        notes.append(
            "cnncost's formula disagrees with torch for "
            + "; ".join(build.disagreements)
            + ": these are counted as unknown; please report them"
        )
    return build.nodes, build.expected, notes


def _lower_call(build: Lowering, index: int, call: Call) -> None:
    found = handler_of(call.function)
    result = None
    if found is not None:
        op, handler = found
        try:
            result = handler(call, op)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            result = None  # arguments the handler does not know: counted as unknown below
    base = _scope_name(build, index)
    if isinstance(result, Alias):
        build.names[(index, 0)] = build.resolve(result.value)
        return
    pieces = result if isinstance(result, list) else [result]
    for piece in pieces:
        if piece is None and not tensors(call.args) + tensors(call.kwargs.values()):
            for constant in constant_nodes(call):
                _add_node(build, index, call, constant, base + constant.suffix)
            continue
        if piece is None:
            piece = Lowered(
                "uncounted",
                {"output_shape": output_shapes(call.outputs), "source": call.function},
                tensors(call.args) + tensors(call.kwargs.values()),
            )
        _add_node(build, index, call, piece, base + piece.suffix)


def _add_node(build: Lowering, index: int, call: Call, piece: Lowered, base: str) -> None:
    resolve = build.resolve
    inputs = tuple([resolve(v) for v in piece.inputs if v is not None])
    outputs = call.outputs if piece.output is None else (call.outputs[piece.output],)
    attrs = dict(piece.attrs)
    weights: list[Weight] = []
    derived: list = []  # computed tensors: counted where made
    unique: list[Weight] = []
    fresh: list[Weight] = []
    params = frozen = buffers = 0
    if piece.weights:
        weights = [w for w in piece.weights if isinstance(w, Weight)]
        derived = [w for w in piece.weights if not isinstance(w, Weight)]
        unique = list({id(w.tensor): w for w in weights}.values())  # a tensor passed twice is one tensor
        fresh = [w for w in unique if id(w.tensor) not in build.counted]
        params = sum(w.tensor.numel() for w in fresh if w.kind == "parameter")
        frozen = sum(w.tensor.numel() for w in fresh if w.kind == "parameter" and not w.tensor.requires_grad)
        buffers = sum(w.tensor.numel() for w in fresh if w.kind == "buffer")
    op = piece.op
    shape, problem = _check(build, op, attrs, inputs, outputs, weights, derived)
    if shape is None:
        build.disagreements.append(f"{base} ({op}: {problem})")
        op, attrs = "uncounted", {"output_shape": output_shapes(outputs), "source": call.function}
        shape = Shape(tuple(outputs[0]), also=tuple(Shape(tuple(o)) for o in outputs[1:]))
    name = build.unique(base)
    for w in fresh:
        build.counted[id(w.tensor)] = name
    shares = build.counted[id(unique[0].tensor)] if unique and not fresh else None
    counts = (params, buffers) if piece.weights or op == "uncounted" else None
    if op == "uncounted" and not inputs:  # made from no tensor of the forward: a constant of torch's shape
        op, attrs = "constant", {"shape": tuple(outputs[0])}
    if op == "uncounted":
        attrs["params"], attrs["buffers"], counts = params, buffers, None
    own = build.owners.get(index)
    output = piece.output if piece.output is not None else 0
    node = Node(
        name,
        op,
        inputs,
        tuple(attrs.items()),
        shares,
        counts,
        frozen,
        dtype=call.dtypes[output] if call.dtypes else None,
        module=class_kind(type(own)) if own is not None else None,
        tensor_bytes=_tensor_bytes(fresh) if fresh else None,
    )
    build.add(node, shape)
    build.made.setdefault(index, []).append(name)
    build.expected[name] = outputs
    if piece.output is not None:
        build.names[(index, piece.output)] = name
    elif len(outputs) == 1:
        build.names[(index, 0)] = name
    else:
        build.multi[index] = name


def _check(
    build: Lowering, op: str, attrs: dict, inputs: tuple[str, ...], outputs, weights, derived
) -> tuple[Shape | None, str | None]:
    """The formula's output for the recorded input shapes; a problem where it differs from torch's, or where the
    tensors the call uses are not the parameters (and at most the buffers) the formula counts."""
    spec = layer_type(op)
    try:
        spec.check(op, len(inputs), attrs)
        cost = spec.formula(*[build.shape(name) for name in inputs], **attrs)
    except (CnnCostError, TypeError, ValueError, ArithmeticError) as error:
        return None, str(error) or type(error).__name__
    got = tuple([s.dims for s in cost.output.outputs])
    if got != tuple([tuple(o) for o in outputs]):
        return (
            None,
            f"output {' and '.join('x'.join(map(str, g)) or 'scalar' for g in got)} where torch gives "
            + " and ".join("x".join(map(str, o)) or "scalar" for o in outputs),
        )
    used = sum(w.tensor.numel() for w in weights)  # a weight may be a buffer or a plain tensor, as a fixed blur is
    if weights and not derived and not cost.params <= used <= cost.params + cost.buffers:
        # NB: a batch norm's batch counter is a buffer its function never reads: it joins the node afterwards
        return None, f"{cost.params:,} parameters and {cost.buffers:,} buffers where the call uses {used:,} elements"
    return cost.output, None


def _first_nodes(build: Lowering, recording: Recording) -> dict[str, str]:
    """Each called module's path -> the first node made inside it (its own calls or its submodules')."""
    paths = {id(held.module): held.path for held in recording.inventory.held}
    first: dict[str, str] = {}
    for scope in recording.scopes:
        made = next((build.made[call][0] for call in scope.calls if build.made.get(call)), None)
        path = paths.get(id(scope.module)) if scope.module is not None else None
        if made is None or path is None:
            continue
        for above in _up_from(path):
            first.setdefault(above, made)
    return first


def _up_from(path: str) -> list[str]:
    """'a.b.c', 'a.b', 'a', '': a module's path and those of the modules above it."""
    parts = path.split(".") if path else []
    return [".".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _leftover_tensors(build: Lowering, module: nn.Module, recording: Recording) -> None:
    """Parameters and buffers no node counted: a module's own leftovers join the one node its one call made (a batch
    norm's batch counter); buffers alone of a module that was called join the first node made inside it or the
    nearest module above it (timm's BatchNormAct2d, whose forward makes two, leaves its batch counter unread); the
    rest are `unused` rows, one per module: not called in this forward, or not used in it."""
    leftovers: dict[str, list[tuple[str, torch.Tensor]]] = {}
    paths = {}
    owned: dict[str, set[int]] = {}  # path -> ids of the module's own parameters
    for held in recording.inventory.held:
        paths[held.path] = held.module
        owned[held.path] = {id(tensor) for _, tensor in held.parameters}
        for name, tensor in held.parameters + held.buffers:
            if id(tensor) not in build.counted:
                build.counted[id(tensor)] = ""  # claimed below
                leftovers.setdefault(held.path, []).append((name, tensor))
    single: dict[int, int] = {}  # id(module) -> the one call its forward made
    for scope in recording.scopes:
        if scope.module is not None and len(scope.calls) == 1 and not scope.children:
            single.setdefault(id(scope.module), scope.calls[0])
    first = _first_nodes(build, recording)
    uncalled_roots: dict[str, list] = {}
    for path, items in leftovers.items():
        sub = paths[path]
        is_parameter = owned[path]
        params = sum(t.numel() for _, t in items if id(t) in is_parameter)
        frozen = sum(t.numel() for _, t in items if id(t) in is_parameter and not t.requires_grad)
        buffers = sum(t.numel() for _, t in items if id(t) not in is_parameter)
        nbytes = (
            sum(t.numel() * t.element_size() for _, t in items if id(t) in is_parameter),
            sum(t.numel() * t.element_size() for _, t in items if id(t) not in is_parameter),
        )
        made = build.made.get(single.get(id(sub), -1), [])
        if len(made) == 1:
            _add_counts(build, made[0], params, buffers, frozen, nbytes)
            continue
        if id(sub) not in recording.called:  # its buffers too stay in the unused row, with its parameters
            uncalled = uncalled_roots.setdefault(_uncalled_root(path, paths, recording.called), [])
            uncalled.append((params, buffers, *nbytes))
            continue
        host = next((first[p] for p in _up_from(path) if p in first), None) if not params else None
        if host is not None:  # buffers alone are state, not a layer: counted with the module's first node
            _add_counts(build, host, 0, buffers, 0, nbytes)
            continue
        name = build.unique(f"{path}.unused" if path else "unused")
        attrs = (("params", params), ("buffers", buffers), ("reason", "not used in this forward"))
        build.add(Node(name, "unused", (), attrs, tensor_bytes=nbytes), Shape(()))
    for root, counts in uncalled_roots.items():
        name = build.unique(root or "unused")
        attrs = (
            ("params", sum(c[0] for c in counts)),
            ("buffers", sum(c[1] for c in counts)),
            ("reason", "not called in this forward"),
        )
        nbytes = (sum(c[2] for c in counts), sum(c[3] for c in counts))
        build.add(Node(name, "unused", (), attrs, tensor_bytes=nbytes), Shape(()))


def _uncalled_root(path: str, paths: dict, called: set[int]) -> str:
    """The outermost module above path (or path itself) whose forward never ran."""
    parts = path.split(".") if path else []
    for i in range(1, len(parts) + 1):
        prefix = ".".join(parts[:i])
        if id(paths[prefix]) not in called:
            return prefix
    return path


def _add_counts(build: Lowering, name: str, params: int, buffers: int, frozen: int, nbytes: tuple[int, int]) -> None:
    """Add leftover parameters (frozen of them not trained) and buffers, and their bytes, to a node's counts."""
    i = build.position[name]
    node = build.nodes[i]
    held = node.tensor_bytes or (0, 0)
    tensor_bytes = (held[0] + nbytes[0], held[1] + nbytes[1])
    if node.op == "uncounted":
        attrs = dict(node.attrs)
        attrs["params"] += params
        attrs["buffers"] += buffers
        build.nodes[i] = dataclasses.replace(
            node, attrs=tuple(attrs.items()), frozen=node.frozen + frozen, tensor_bytes=tensor_bytes
        )
        return
    before = node.counts if node.counts is not None else _formula_counts(build, node)
    build.nodes[i] = dataclasses.replace(
        node, counts=(before[0] + params, before[1] + buffers), frozen=node.frozen + frozen, tensor_bytes=tensor_bytes
    )


def _formula_counts(build: Lowering, node: Node) -> tuple[int, int]:
    if node.shares:
        return 0, 0
    cost = layer_type(node.op).formula(*(build.shape(name) for name in node.inputs), **node.attributes)
    return cost.params, cost.buffers
