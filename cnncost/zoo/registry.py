"""The architecture registry: a registered function per network, each a configuration of its family's builder."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable

from ..errors import UnknownNameError, close_matches
from ..graph import Graph


@dataclass(frozen=True)
class Architecture:
    """A registered network: how to build its graph, its family and where its definition comes from."""

    name: str
    build: Callable[[], Graph]
    family: str
    reference: str


_ARCHITECTURES: dict[str, Architecture] = {}


def register_model(family: str, reference: str) -> Callable[[Callable[[], Graph]], Callable[[], Graph]]:
    """Register a zero-argument graph function under its own name ('_' kept, '-' for a trailing '_paper')."""

    def decorate(build: Callable[[], Graph]) -> Callable[[], Graph]:
        name = registered_name(build.__name__)
        if name in _ARCHITECTURES:
            raise ValueError(f"architecture {name!r} is already registered")
        _ARCHITECTURES[name] = Architecture(name, build, family, reference)
        return build

    return decorate


def registered_name(function_name: str) -> str:
    """alexnet_paper -> alexnet-paper, vgg16_bn -> vgg16_bn: variants of a family take a dash."""
    for suffix in ("_paper", "_aux"):
        if function_name.endswith(suffix):
            return function_name[: -len(suffix)] + "-" + suffix[1:]
    return function_name


def architecture(name: str) -> Architecture:
    """The registered architecture; an unknown name suggests close matches."""
    key = name.strip().lower()
    if key not in _ARCHITECTURES:
        raise UnknownNameError(f"unknown architecture {name!r}{close_matches(key, _ARCHITECTURES)}; "
                               "'cnncost list' shows them all")
    return _ARCHITECTURES[key]


def create(name: str) -> Graph:
    """Build the graph of a registered architecture."""
    return architecture(name).build()


def list_models(pattern: str = "*") -> list[str]:
    """Registered names matching a shell pattern, in registration order."""
    return [name for name in _ARCHITECTURES if fnmatch.fnmatch(name, pattern)]
