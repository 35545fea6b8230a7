"""Check the engine against torch: every node's output shape, parameters, buffers and multiply-adds.

Multiply-adds come from torch.utils.flop_counter.FlopCounterMode, per module, divided by 2: it counts
convolutions and matrix products (without bias), which is exactly cnncost's MACs convention.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..engine import propagate
from ..errors import CnnCostError, first_line
from ..graph import Graph
from ..profiler import profile as profile_of
from ..shapes import Shape
from ..trace.module_graph import example_inputs, unwrap
from .counts import counted_run, unfused
from .network import build_module


@dataclass(frozen=True)
class LayerCheck:
    """One node: the engine's figures beside torch's."""

    name: str
    op: str
    engine_shape: tuple[tuple[int, ...], ...]  # each output's, batch included
    torch_shape: tuple[tuple[int, ...], ...]
    engine_params: int
    torch_params: int
    engine_buffers: int
    torch_buffers: int
    engine_macs: int
    torch_macs: int

    @property
    def mismatches(self) -> tuple[str, ...]:
        """The quantities that differ: 'shape', 'params', 'buffers', 'MACs'."""
        pairs = {
            "shape": (self.engine_shape, self.torch_shape),
            "params": (self.engine_params, self.torch_params),
            "buffers": (self.engine_buffers, self.torch_buffers),
            "MACs": (self.engine_macs, self.torch_macs),
        }
        return tuple(what for what, (ours, theirs) in pairs.items() if ours != theirs)

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class Verification:
    """A whole network checked: its layers, and the totals of the whole module against the engine's."""

    name: str
    input_shape: Shape
    batch: int
    device: str
    layers: tuple[LayerCheck, ...]
    engine_totals: tuple[int, int, int]  # params, buffers, MACs
    torch_totals: tuple[int, int, int]

    @property
    def failures(self) -> tuple[LayerCheck, ...]:
        return tuple(check for check in self.layers if not check.ok)

    @property
    def ok(self) -> bool:
        return not self.failures and self.engine_totals == self.torch_totals


def _sample(shape: tuple[int, ...], batch: int | None, device: str) -> torch.Tensor:
    """Random data of a shape, with the batch in front for a one-sample shape."""
    return torch.randn(((batch,) if batch is not None else ()) + tuple(shape), device=device)


def _shapes(output) -> tuple[tuple[int, ...], ...]:
    if isinstance(output, torch.Tensor):
        return (tuple(output.shape),)
    return tuple(shape for item in output for shape in _shapes(item))


def verify(graph: Graph, input=None, batch: int = 1, device: str = "meta") -> Verification:
    """Build graph in torch on device (meta: shapes and counts without computing), run it, compare every node."""
    profile = propagate(graph, input=input, batch=None if graph.batch is not None else batch)
    batch = profile.batch
    module = build_module(graph, profile, device)
    module.collect_all = True  # called as a module, so that FlopCounterMode names the submodules by their path
    per_sample = None if graph.batch is not None else batch
    extra = [_sample(profile.layer(name).output_shape.dims, per_sample, device) for name in module.extra_inputs]
    counter = FlopCounterMode(display=False)
    with unfused(), counter, torch.no_grad():
        outputs = module(_sample(profile.input_shape.dims, per_sample, device), *extra)
    grows = graph.depends_on_input
    counts = counter.get_flop_counts()
    prefix = f"{type(module).__name__}.nodes."
    checks = []
    seen: set[int] = set()  # a module called twice owns its tensors at its first call only

    def fresh(tensors) -> int:
        new = [t for t in tensors if id(t) not in seen]
        seen.update(id(t) for t in new)
        return sum(t.numel() for t in new)

    for cost in profile.layers:
        sub = module.node_module(cost.name)
        lead = (batch,) if per_sample is not None and grows[cost.name] else ()
        checks.append(
            LayerCheck(
                name=cost.name,
                op=cost.op,
                engine_shape=tuple((*lead, *shape.dims) for shape in cost.output_shape.outputs),
                torch_shape=_shapes(outputs[cost.name]),
                engine_params=cost.params,
                torch_params=fresh(sub.parameters()),
                engine_buffers=cost.buffers,
                torch_buffers=fresh(sub.buffers()),
                engine_macs=cost.macs,
                torch_macs=sum(counts.get(prefix + module.keys[cost.name], {}).values()) // 2,
            )
        )
    engine_totals = (profile.total.params, profile.total.buffers, profile.total.macs)
    torch_totals = (
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
        counter.get_total_flops() // 2,
    )
    return Verification(graph.name, profile.input_shape, batch, device, tuple(checks), engine_totals, torch_totals)


def _module_of(name: str) -> list[str]:
    """Every module path a node's name lies under ('layer1.0.relu#2' -> '', 'layer1', 'layer1.0', 'layer1.0.relu'),
    without the '#2' of a second call, which torch counts under the module's one path."""
    parts = [part.split("#")[0] for part in name.split(".")]
    return [".".join(parts[:i]) for i in range(len(parts) + 1)]


def verify_module(module: torch.nn.Module, input, batch: int = 1, name: str | None = None) -> Verification:
    """A torch module against itself: cnncost's profile of it beside FlopCounterMode's count of each of its modules
    (on the CPU, with random data of the input's shape), and its parameters and buffers as torch counts them.

    Every layer's output shape was checked against torch's while the module was recorded."""
    module, _ = unwrap(module)
    name = name or type(module).__name__
    with torch.random.fork_rng(devices=[]):
        inputs = example_inputs(input, batch, "cpu")  # the same tensors for both: a module's cost may depend on them
    try:
        profile = dataclasses.replace(
            profile_of(module, input=inputs.args if inputs.args else inputs.kwargs), name=name
        )
    except CnnCostError:
        profile_of(module, input=input, batch=batch)  # the failure said of the input as given, with its likely fix
        raise
    try:
        counter = counted_run(module, *inputs.args, **inputs.kwargs)
    except Exception as error:  # noqa: BLE001  the module's own failure, in one line
        raise CnnCostError(
            f"{name} failed in torch on input {input}: {type(error).__name__}: {first_line(error)}"
        ) from None
    root = type(module).__name__
    theirs = {
        ("" if key == root else key[len(root) + 1 :]): sum(count.values()) // 2
        for key, count in counter.get_flop_counts().items()
        if key != "Global"
    }
    paths = {path: sub for path, sub in module.named_modules()}
    ours: dict[str, list[int]] = {}
    for cost in profile.layers:
        for path in _module_of(cost.name):
            if path in paths:
                totals = ours.setdefault(path, [0, 0, 0])
                totals[0], totals[1], totals[2] = (
                    totals[0] + cost.params,
                    totals[1] + cost.buffers,
                    totals[2] + cost.macs,
                )
    checks = []
    for path, sub in paths.items():
        if (path not in ours and path not in theirs) or isinstance(sub, (torch.nn.ModuleList, torch.nn.ModuleDict)):
            continue  # no layer of it, or a container torch never calls
        params, buffers, macs = ours.get(path, (0, 0, 0))
        checks.append(
            LayerCheck(
                name=path or name,
                op=type(sub).__name__,
                engine_shape=(),
                torch_shape=(),
                engine_params=params,
                torch_params=sum(p.numel() for p in sub.parameters()),
                engine_buffers=buffers,
                torch_buffers=sum(b.numel() for b in sub.buffers()),
                engine_macs=macs,
                torch_macs=theirs.get(path, 0),
            )
        )
    engine_totals = (profile.total.params, profile.total.buffers, profile.total.macs)
    torch_totals = (
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
        counter.get_total_flops() // 2,
    )
    return Verification(
        name, profile.sample_input_shape, profile.batch, "cpu", tuple(checks), engine_totals, torch_totals
    )
