"""A cnncost Graph as a real nn.Module: one submodule per node, run in the graph's order."""

from __future__ import annotations

import re

import torch
from torch import nn

from ..errors import GraphError
from ..graph import INPUT, Graph
from ..results import Profile
from .builders import torch_builder


def module_key(name: str) -> str:
    """A node name as a ModuleDict key ('layer1.0.conv1' -> 'layer1_0_conv1'): dots are not allowed there, nor a name
    an nn.Module has already ('float', 'train')."""
    key = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return f"{key}_" if hasattr(nn.Module, key) else key


class GraphModule(nn.Module):
    """Runs the nodes of a graph in order; forward returns the last node's output, or all with collect_all."""

    def __init__(self, graph: Graph, profile: Profile) -> None:
        super().__init__()
        self.graph = graph
        self.collect_all = False
        self.nodes = nn.ModuleDict()
        self.keys: dict[str, str] = {}
        self.extra_inputs = tuple(node.name for node in graph.nodes if node.op == "input")
        for node, cost in zip(graph.nodes, profile.layers, strict=True):
            key = module_key(node.name)
            if key in self.nodes:
                raise GraphError(f"{node.name}: its torch module name {key!r} is taken by another layer")
            if node.op == "input":  # fed by the caller, as the network's input is
                self.nodes[key] = nn.Identity()
            else:
                self.nodes[key] = torch_builder(node.op, one_sample=graph.batch is None)(
                    *cost.input_shapes, **node.attributes
                )
            if node.shares:  # a module called again: a module of its own (so each call is counted apart) on the
                _share_tensors(self.nodes[key], self.nodes[self.keys[node.shares]])  # earlier node's tensors
            self.keys[node.name] = key
        self.release = _release_points(graph)

    def _run(self, node, env: dict, extra: dict):
        if node.op == "input":
            return extra[node.name]
        return self.nodes[self.keys[node.name]](*(env[source] for source in node.inputs))

    def forward_all(self, x: torch.Tensor, *extra_inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every node's output, by node name; further inputs in the order of the graph's input nodes."""
        env, extra = {INPUT: x}, dict(zip(self.extra_inputs, extra_inputs, strict=True))
        for node in self.graph.nodes:
            env[node.name] = self._run(node, env, extra)
        return env

    def forward(self, x: torch.Tensor, *extra_inputs: torch.Tensor):
        if self.collect_all:
            return self.forward_all(x, *extra_inputs)
        env, extra = {INPUT: x}, dict(zip(self.extra_inputs, extra_inputs, strict=True))
        for node, done in zip(self.graph.nodes, self.release, strict=True):
            self._step(node, done, env, extra)
        return env[self.graph.output]

    def _step(self, node, done: tuple[str, ...], env: dict, extra: dict) -> None:
        """Run a node, then drop what no later node reads, as a model's own forward would (freeing is part of the
        step: bench times the step in context)."""
        env[node.name] = self._run(node, env, extra)
        for name in done:
            del env[name]

    def node_module(self, name: str) -> nn.Module:
        """The submodule of a node."""
        return self.nodes[self.keys[name]]


def _share_tensors(module: nn.Module, owner: nn.Module) -> None:
    """Make module use owner's parameters and buffers, the same tensor objects (counted once by parameters())."""
    for name, parameter in owner.named_parameters(recurse=False):
        setattr(module, name, parameter)
    for name, buffer in owner.named_buffers(recurse=False):
        setattr(module, name, buffer)


def _release_points(graph: Graph) -> list[tuple[str, ...]]:
    """For each node, the values (input included) whose last reader it is; the output is kept."""
    last: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for source in node.inputs:
            last[source] = index
    done: list[list[str]] = [[] for _ in graph.nodes]
    for name, index in last.items():
        if name != graph.output:
            done[index].append(name)
    return [tuple(names) for names in done]


def build_module(
    graph: Graph, profile: Profile, device: str = "cpu", dtype: torch.dtype = torch.float32
) -> GraphModule:
    """The graph as an nn.Module in eval mode, its tensors on device (meta: shapes only, nothing allocated)."""
    with torch.device(device):
        module = GraphModule(graph, profile)
    return module.to(dtype=dtype).eval()
