"""The architecture registry: a registered function per network, each a configuration of its family's builder.

Two kinds are registered: networks (whole classifiers, what list_models() returns) and blocks (a part of a
network, such as an Inception module or a ResNet block, profiled on its own; list_blocks() returns them).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import UnknownNameError, close_matches
from ..graph import Graph
from ..registries import Registry

KINDS = ("network", "block")


@dataclass(frozen=True)
class Architecture:
    """A registered network or block: how to build its graph, its family and where its definition comes from."""

    name: str
    build: Callable[[], Graph]
    family: str
    reference: str
    kind: str = "network"


ARCHITECTURES: Registry[Architecture] = Registry("architecture")


def register_model(
    family: str, reference: str, *, kind: str = "network", name: str | None = None
) -> Callable[[Callable[[], Graph]], Callable[[], Graph]]:
    """Register a zero-argument graph function under name, else its own ('_' kept, '-' for a trailing '_paper')."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")

    def decorate(build: Callable[[], Graph]) -> Callable[[], Graph]:
        key = name or registered_name(build.__name__)
        ARCHITECTURES.add(key, Architecture(key, build, family, reference, kind))
        return build

    return decorate


def register_block(name: str, family: str, reference: str) -> Callable[[Callable[[], Graph]], Callable[[], Graph]]:
    """Register a block (a part of a network, profiled on its own) under name."""
    return register_model(family, reference, kind="block", name=name)


def registered_name(function_name: str) -> str:
    """alexnet_paper -> alexnet-paper, vgg16_bn -> vgg16_bn: variants of a family take a dash."""
    for suffix in ("_paper", "_aux"):
        if function_name.endswith(suffix):
            return function_name[: -len(suffix)] + "-" + suffix[1:]
    return function_name


def architecture(name: str) -> Architecture:
    """The registered architecture; an unknown name suggests close matches."""
    key = name.strip().lower()
    if key not in ARCHITECTURES:
        raise UnknownNameError(
            f"unknown architecture {name!r}{close_matches(key, ARCHITECTURES)}; 'cnncost list' shows them all"
        )
    return ARCHITECTURES[key]


def create(name: str) -> Graph:
    """The graph of a registered architecture, built once: a Graph is immutable, so it is shared."""
    return _built(architecture(name).name, ARCHITECTURES.generation)


@functools.cache
def _built(name: str, generation: int) -> Graph:
    return ARCHITECTURES[name].build()


def list_models(pattern: str = "*", kind: str | None = "network") -> list[str]:
    """Registered names of a kind (networks by default; None for every kind) matching a shell pattern, in order."""
    return [
        name
        for name, entry in ARCHITECTURES.items()
        if (kind is None or entry.kind == kind) and fnmatch.fnmatch(name, pattern)
    ]


def list_blocks(pattern: str = "*") -> list[str]:
    """Registered blocks matching a shell pattern, in registration order."""
    return list_models(pattern, kind="block")
