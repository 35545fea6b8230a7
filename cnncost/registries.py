"""Registries: entries by name, each registered once, as timm registers its models and the flop counter its formulas.

cnncost keeps one per kind of fact (layer types, architectures, saved-tensor rules, receptive-field rules, backward
rules, torch handlers and builders). A second registration of a name is refused rather than silently overwriting the
first. `scratch()` gives a test registries of its own: whatever is registered inside is gone at its end, so a test
can add a layer type, its rules, its torch handler and builder, and leave the package as it found it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
_ALL: list[Registry] = []


class Registry(Generic[T]):
    """Entries by name, in the order they were registered; `generation` counts the changes, for caches of it."""

    def __init__(self, what: str) -> None:
        self.what = what  # 'layer type': what an entry is, for messages
        self._entries: dict[str, T] = {}
        self.generation = 0
        _ALL.append(self)

    def add(self, name: str, entry: T) -> T:
        """Register entry under name; a name already registered is refused."""
        if name in self._entries:
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._entries[name] = entry
        self.generation += 1
        return entry

    def replace(self, name: str, entry: T) -> T:
        """Put entry in place of the one registered under name: inside scratch(), a test's stand-in for it."""
        if name not in self._entries:
            raise KeyError(f"no {self.what} {name!r} to replace")
        self._entries[name] = entry
        self.generation += 1
        return entry

    def register(self, *names: str) -> Callable[[T], T]:
        """A decorator that registers what it decorates under each of the names."""

        def decorate(entry: T) -> T:
            for name in names:
                self.add(name, entry)
            return entry

        return decorate

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def get(self, name: str, default: T | None = None) -> T | None:
        return self._entries.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self):
        return self._entries.items()

    def as_dict(self) -> dict[str, T]:
        """A copy of the entries, by name."""
        return dict(self._entries)

    def _restore(self, entries: dict[str, T]) -> None:
        self._entries = entries
        self.generation += 1


@contextmanager
def scratch() -> Iterator[None]:
    """Every registry as it is now again at the end: what is registered inside stays inside (a test's own layer
    types, rules, handlers and builders)."""
    saved = [(registry, registry.as_dict()) for registry in _ALL]
    try:
        yield
    finally:
        for registry, entries in saved:
            registry._restore(entries)
