"""Cutting a network: an operand (NAME or NAME:FIRST..LAST) profiled and cut at a spatial size or to a range of layers.

A cut keeps a contiguous run of layers in execution order:
- until H×W keeps the layers up to and including the first one whose output is a feature map no larger than
  H×W (height at most H and width at most W), and the in-place layers (ReLU, dropout) that directly follow it;
- FIRST..LAST keeps the layers from FIRST to LAST, both included (either may be left out: from the first layer,
  to the last layer).
The totals of a cut are the sums over its layers; its input is the input of its first layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import CnnCostError, close_matches
from .results import Profile, Totals
from .zoo.registry import ARCHITECTURES


@dataclass(frozen=True)
class Operand:
    """One side of a comparison as the user names it: an architecture or block, and optionally a layer range."""

    name: str
    first: str | None = None
    last: str | None = None

    @property
    def has_range(self) -> bool:
        """Whether the operand names a first or last layer."""
        return self.first is not None or self.last is not None


@dataclass(frozen=True)
class Side:
    """A cut profile: its layers, their totals, and the names of its first and last layers."""

    name: str
    profile: Profile

    @property
    def span(self) -> str:
        """'conv1..maxpool2': the first and last layers kept."""
        return f"{self.profile.layers[0].name}..{self.profile.layers[-1].name}"


# NAME[:FIRST..LAST]: the range is the part after the last colon, and only where it holds '..'; the name may be a
# module path with a colon of its own (pkg.mod:Net, ../nets.py:build, pkg.mod:Net:stem..stages.2)
_OPERAND = re.compile(r"^(?P<name>.+?)(?::(?P<first>[^:]*?)\.\.(?P<last>[^:]*))?$")


def parse_operand(text: str) -> Operand:
    """'vgg16', 'vgg16:conv1_1..pool3' (either end may be empty), 'pkg.mod:Net' or 'pkg.mod:Net:stem..stages.2'
    -> Operand."""
    match = _OPERAND.match(text.strip())
    if not match:
        raise CnnCostError(
            f"malformed operand {text!r}: expected NAME or NAME:FIRST..LAST, such as vgg16:conv1_1..pool3 or "
            "pkg.mod:Net:stem..stages.2"
        )
    name, colon, after = match["name"].rpartition(":")
    spec_file = name.strip().lower().endswith((".toml", ".json")) and Path(name.strip()).is_file()
    builtin_or_spec = name.strip().lower() in ARCHITECTURES or spec_file  # models.json:Net is a module path
    if colon and match["first"] is None and match["last"] is None and builtin_or_spec:
        raise CnnCostError(  # a built-in network's range without its '..', not a module path
            f"malformed operand {text!r}: a range is NAME:FIRST..LAST, such as {name}:{after}..; "
            "a module path names a Python module or file"
        )
    return Operand(match["name"], match["first"] or None, match["last"] or None)


def parse_size(text: str) -> tuple[int, int]:
    """'28x28' -> (28, 28); '28' -> (28, 28)."""
    cleaned = text.strip().lower().replace("×", "x")
    if not re.fullmatch(r"\d+(x\d+)?", cleaned):
        raise CnnCostError(f"malformed size {text!r}: expected HxW, such as 28x28")
    parts = [int(part) for part in cleaned.split("x")]
    h, w = (parts[0], parts[0]) if len(parts) == 1 else parts
    if h < 1 or w < 1:
        raise CnnCostError(f"malformed size {text!r}: every size must be at least 1")
    return h, w


def _index(profile: Profile, name: str) -> int:
    for i, cost in enumerate(profile.layers):
        if cost.name == name:
            return i
    raise CnnCostError(f"{profile.name} has no layer {name!r}{close_matches(name, [c.name for c in profile.layers])}")


def _with_followers(profile: Profile, last: int) -> int:
    """The index of the last in-place layer that directly follows layer last and reads its output (or last)."""
    while (
        last + 1 < len(profile.layers)
        and profile.layers[last + 1].in_place
        and profile.layers[last + 1].inputs == (profile.layers[last].name,)
    ):
        last += 1
    return last


def until_index(profile: Profile, size: tuple[int, int]) -> int:
    """The index of the first layer whose output is a feature map no larger than size, with its in-place followers."""
    h, w = size
    if len(profile.input_shape.dims) == 3 and profile.input_shape.dims[1] <= h and profile.input_shape.dims[2] <= w:
        raise CnnCostError(f"{profile.name}: its input {profile.input_shape} is already {h}x{w} or smaller")
    for i, cost in enumerate(profile.layers):
        dims = cost.output_shape.dims
        if len(dims) == 3 and dims[1] <= h and dims[2] <= w:
            return _with_followers(profile, i)
    maps = [c.output_shape for c in profile.layers if len(c.output_shape.dims) == 3]
    smallest = f"; its smallest feature map is {min(maps, key=lambda s: s.numel // s.channels)}" if maps else ""
    raise CnnCostError(f"{profile.name} has no layer whose output is {h}x{w} or smaller{smallest}")


def cut_profile(
    profile: Profile, first: str | None = None, last: str | None = None, until: tuple[int, int] | None = None
) -> Profile:
    """The layers first..last (names, both included) or up to the size until, as a Profile of their own."""
    start = _index(profile, first) if first else 0
    stop = _index(profile, last) if last else (until_index(profile, until) if until else len(profile.layers) - 1)
    if stop < start:
        raise CnnCostError(
            f"{profile.name}: {profile.layers[stop].name} comes before {profile.layers[start].name} "
            "(a range is FIRST..LAST in execution order)"
        )
    layers = profile.layers[start : stop + 1]
    shape = layers[0].input_shape
    input_bytes = shape.numel * profile.batch * profile.bytes_per_element
    return replace(profile, input_shape=shape, layers=layers, total=Totals.of(layers, input_bytes))
