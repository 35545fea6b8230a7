"""Two profiles layer by layer: what was added, removed or changed, and how the totals moved.

Profiles are compared as the plain records `Profile.to_dict()` and `--format json` give, so a profile exported
yesterday and one made now compare alike. Layers are matched by name; where the names left over on both sides run
the same types in the same order (a renamed stage), they are matched by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .errors import CnnCostError
from .quantities import KEYS, PER_LAYER

LAYER_KEYS = tuple(quantity.key for quantity in PER_LAYER)  # the figures compared layer by layer


@dataclass(frozen=True)
class LayerChange:
    """A layer that differs: added (only after), removed (only before), changed (both, some figure moved), or
    renamed (matched by position: a run of layers of the same types under new names)."""

    status: str
    before: dict | None
    after: dict | None

    @property
    def layer(self) -> dict:
        """The layer's record: the after side's, or the before side's for a removed layer."""
        layer = self.after or self.before
        assert layer is not None, "a change has the layer on at least one side"
        return layer

    @property
    def name(self) -> str:
        return self.layer["name"]

    def figures(self, quantity: str) -> tuple[int, int]:
        """(before, after) of a quantity; 0 on the side the layer is missing from."""
        return ((self.before or {}).get(quantity, 0), (self.after or {}).get(quantity, 0))


@dataclass(frozen=True)
class ProfileDiff:
    """The layers that differ, in the after side's order (removed ones where they stood), and the totals."""

    before: str
    after: str
    totals: dict[str, tuple[int, int]]
    layers: tuple[LayerChange, ...]
    settings: tuple[str, str] = ("", "")  # each side's input, batch and dtype: '3x64x64, batch 8, fp32'
    predicted: tuple[float, float] | None = None  # seconds predicted on each side's target, where both have one
    targets: tuple[str, str] = ("", "")  # each side's target
    errors: tuple[str, str] = ("", "")  # the error each side's prediction carries

    def groups(self, status: str) -> list[str]:
        """The blocks (name up to its second dot: 'layer3.6') of the layers with that status, in order."""
        found: list[str] = []
        for change in self.layers:
            if change.status == status:
                block = ".".join(change.name.split(".")[:2])
                if not found or found[-1] != block:
                    found.append(block)
        return found

    def grown(self, quantity: str) -> tuple[LayerChange, ...]:
        """The layers whose quantity is larger after (added ones included)."""
        return tuple(change for change in self.layers if change.figures(quantity)[1] > change.figures(quantity)[0])


def profile_record(profile: Any, where: str = "") -> dict:
    """The plain record of a Profile, or a record already (an exported profile read from JSON), checked: every total
    and every layer's name, type and figures present, as cnncost writes them."""
    if hasattr(profile, "to_dict"):
        return profile.to_dict()
    prefix = f"{where}: " if where else ""
    problem = _problem(profile)
    if problem:
        raise CnnCostError(f"{prefix}not a profile as cnncost writes one (cnncost table NAME --format json): {problem}")
    return profile


def _problem(data: Any) -> str:
    """What is missing or malformed in a profile record, or ''."""
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("layers"), list)
        or not isinstance(data.get("total"), dict)
    ):
        return "it needs 'total' (a table) and 'layers' (a list)"
    for key in KEYS:
        if type(data["total"].get(key)) is not int:
            return f"total.{key} must be a whole number, got {data['total'].get(key)!r}"
    if "input_shape" in data and not _is_shape(data["input_shape"]):
        return f"input_shape must be a list of sizes such as [3, 224, 224], got {data['input_shape']!r}"
    if "predicted_seconds" in data["total"] and not _is_seconds(data["total"]["predicted_seconds"]):
        seconds = data["total"]["predicted_seconds"]
        return f"total.predicted_seconds must be a number of seconds (0 or more), got {seconds!r}"
    if "batch" in data and not (type(data["batch"]) is int and data["batch"] >= 1):
        return f"batch must be a whole number of at least 1, got {data['batch']!r}"
    for index, layer in enumerate(data["layers"]):
        if (
            not isinstance(layer, dict)
            or not isinstance(layer.get("name"), str)
            or not isinstance(layer.get("op"), str)
        ):
            return f"layers[{index}] needs a name and an op"
        for key in LAYER_KEYS:
            if type(layer.get(key)) is not int:
                return f"layers[{index}] ({layer['name']}).{key} must be a whole number, got {layer.get(key)!r}"
        shape = layer.get("output_shape")
        if not _is_shape(shape):
            return f"layers[{index}] ({layer['name']}).output_shape must be a list of sizes, got {shape!r}"
    return ""


def _is_shape(value: Any) -> bool:
    """A shape as cnncost writes one: a list of whole numbers (none for a scalar)."""
    return isinstance(value, list) and all(type(size) is int and size >= 0 for size in value)


def _differs(a: dict, b: dict) -> bool:
    return (
        a.get("op") != b.get("op")
        or a.get("output_shape") != b.get("output_shape")
        or any(a.get(q, 0) != b.get(q, 0) for q in LAYER_KEYS)
    )


def diff_profiles(before: Any, after: Any) -> ProfileDiff:
    """What changed from before to after (Profiles or their records)."""
    a, b = profile_record(before), profile_record(after)
    old = {layer["name"]: layer for layer in a["layers"]}
    new_names = {layer["name"] for layer in b["layers"]}
    removed = [layer for layer in a["layers"] if layer["name"] not in new_names]
    added = [layer for layer in b["layers"] if layer["name"] not in old]
    renamed = {}
    if removed and len(removed) == len(added) and [x["op"] for x in removed] == [x["op"] for x in added]:
        renamed = {new["name"]: gone for new, gone in zip(added, removed, strict=True)}
        removed, added = [], []
    changes = []
    for layer in b["layers"]:
        previous = old.get(layer["name"]) or renamed.get(layer["name"])
        if previous is None:
            changes.append(LayerChange("added", None, layer))
        elif previous["name"] != layer["name"]:
            changes.append(LayerChange("renamed", previous, layer))
        elif _differs(previous, layer):
            changes.append(LayerChange("changed", previous, layer))
    for layer in removed:
        changes.append(LayerChange("removed", layer, None))
    order = _order(a, b)
    changes.sort(key=lambda change: order[change.name])
    totals = {q: (a["total"][q], b["total"][q]) for q in KEYS}
    seconds = (a["total"].get("predicted_seconds"), b["total"].get("predicted_seconds"))
    predicted = (float(seconds[0]), float(seconds[1])) if all(_is_seconds(s) for s in seconds) else None
    return ProfileDiff(
        a.get("name", "before"),
        b.get("name", "after"),
        totals,
        tuple(changes),
        (settings(a), settings(b)),
        predicted,
        (str(a.get("target") or ""), str(b.get("target") or "")),
        (_error_of(a), _error_of(b)),
    )


def _error_of(data: dict) -> str:
    """The error a record's prediction carries ('' without one)."""
    found = data.get("prediction")
    return str(found.get("error", "")) if isinstance(found, dict) else ""


MAX_SECONDS = 1e12  # a predicted time beyond it (30,000 years) was edited, not predicted


def _is_seconds(value: Any) -> bool:
    """A predicted time as a profile record holds it: a finite number, 0 (no kernel runs) or more."""
    return type(value) in (int, float) and 0 <= value < MAX_SECONDS


def settings(data: dict) -> str:
    """'3x64x64, batch 8, fp32': what a profile's figures were computed at."""
    shape = "x".join(map(str, data.get("input_shape") or [])) or "?"
    return f"{shape}, batch {data.get('batch', '?')}, {data.get('dtype', '?')}"


def _order(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Sort keys: the after side's order; a removed layer just after the last layer before it that is still there."""
    index = {layer["name"]: (i, 0) for i, layer in enumerate(after["layers"])}
    last, order = (-1, 0), dict(index)
    for layer in before["layers"]:
        if layer["name"] in index:
            last = index[layer["name"]]
        else:
            last = (last[0], last[1] + 1)
            order[layer["name"]] = last
    return order


def ratio(before: int, after: int) -> Fraction | None:
    """after / before, None where before is 0."""
    return Fraction(after, before) if before else None
