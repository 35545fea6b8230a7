"""Errors that cnncost reports to the user as one line (the CLI exits with code 2)."""

from __future__ import annotations

import copy
from dataclasses import dataclass


class CnnCostError(Exception):
    """Base class: a problem with the user's input, never a bug in cnncost.

    command_line is the same message worded for the command line, where its fix differs from Python's
    (`--input 3x224x224` where Python says `input=(3, 224, 224)`); str(error) is Python's wording.
    """

    def __init__(self, *args, command_line: str | None = None) -> None:
        super().__init__(*args)
        self.command_line = command_line

    def for_command_line(self) -> str:
        return self.command_line or str(self)

    def prefixed(self, prefix: str) -> CnnCostError:
        """The same error with prefix before its message, in both wordings: 'conv1: ' + message."""
        error = copy.copy(self)
        error.args = (prefix + str(self),)
        error.command_line = prefix + self.command_line if self.command_line else None
        return error


class Terminated(BaseException):
    """SIGTERM, raised where the process is (cnncost.cli installs it), so that every write in progress cleans up."""


# What passes through cnncost's handling of a user's code untouched: the process is being stopped, or asked to exit
STOPS = (KeyboardInterrupt, SystemExit, Terminated)


class CnnCostWarning(UserWarning):
    """Something the user should look at that does not stop the profile (a spec layer whose output nothing reads);
    the command line prints it as a 'cnncost: warning:' line instead."""


@dataclass(frozen=True)
class Fix:
    """One fix, as Python and the command line spell it."""

    python: str
    command_line: str


def size_fix(dims) -> Fix:
    """input=(3, 224, 224) / --input 3x224x224."""
    dims = tuple(dims)
    return Fix(f"input={dims}", "--input " + "x".join(map(str, dims)))


def batch_fix(batch: int | None = None) -> Fix:
    """batch=8 / --batch 8; without a size, batch= / --batch."""
    return Fix(f"batch={batch}", f"--batch {batch}") if batch is not None else Fix("batch=", "--batch")


def worded(kind: type, template: str, *fixes: Fix) -> CnnCostError:
    """An error of that kind whose message names each fix in the caller's words: template holds one {} per fix."""
    return kind(
        template.format(*(fix.python for fix in fixes)),
        command_line=template.format(*(fix.command_line for fix in fixes)),
    )


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
