"""Errors that cnncost reports to the user as one line (the CLI exits with code 2)."""

from __future__ import annotations


class CnnCostError(Exception):
    """Base class: a problem with the user's input, never a bug in cnncost."""


class UnknownNameError(CnnCostError, KeyError):
    """An architecture, layer type or dtype that cnncost does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class GraphError(CnnCostError):
    """A layer graph that is not well formed: duplicate names, dangling inputs, bad attributes."""


class ShapeError(CnnCostError):
    """A layer that cannot be applied to the shape it receives."""


class InputMismatch(ShapeError):
    """Two inputs of a merge layer do not fit; the engine names them with the layer's input names."""

    def __init__(self, first: int, second: int, reason: str) -> None:
        super().__init__(reason)
        self.first = first
        self.second = second
        self.reason = reason


def close_matches(word: str, choices, n: int = 3) -> str:
    """' (did you mean: a, b?)' for the choices close to word, or ''."""
    import difflib

    matches = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    return f" (did you mean: {', '.join(matches)}?)" if matches else ""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message, for a one-line report of a failure in someone else's code."""
    try:
        text = str(error).strip()
    except Exception:  # noqa: BLE001  an exception whose message itself fails
        return ""
    return text.splitlines()[0] if text else ""
