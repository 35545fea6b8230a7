"""The command line: main(argv) -> exit code.

0 on success; 1 where a command finds what it checks for (a broken budget, growth beyond a tolerance, a mismatch);
2 on bad input of any kind (arguments, files, numbers out of range, an output that cannot be written): one line on
stderr, never a traceback; 3 for any other failure (a model whose code exits or raises what cnncost does not expect,
an error in cnncost itself): one line, and the traceback with --debug; 130 when interrupted, 143 when terminated,
141 (quietly) when the reader of its output stops reading.
Each subcommand lives in cnncost/commands/.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import commands as command_package
from .commands.common import PRINTED, Parser, exit_codes_line, input_sizes, warning_line
from .errors import CnnCostError, CnnCostWarning, Terminated, first_line
from .report.render import one_line
from .sources import real_forward_allowed
from .version import __version__


def command_modules() -> list[str]:
    """Every module of cnncost.commands that defines a subcommand (all but common)."""
    return [info.name for info in pkgutil.iter_modules(command_package.__path__) if info.name != "common"]


def build_parser() -> Parser:
    parser = Parser(
        prog="cnncost",
        description="Layer-by-layer cost of convolutional networks: output sizes, "
        "activation memory, parameters, MACs and FLOPs.",
        epilog=exit_codes_line(),
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="on a failure that is not bad input, print the traceback")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    for module in command_modules():
        importlib.import_module(f"cnncost.commands.{module}").register(commands)
    for command in commands.choices.values():  # after the command too; set only where given, not to False
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


EXIT_FAILURE = 3  # neither a finding (1) nor bad input (2)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    PRINTED.clear()
    with warnings.catch_warnings(record=True) as caught, _terminable():
        warnings.simplefilter("always", CnnCostWarning)
        code = _main(argv)
    for warning in caught:
        if not issubclass(warning.category, CnnCostWarning):  # the user's own code's warnings, as Python shows them
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
        elif code != 2 and str(warning.message) not in PRINTED:  # after bad input, the one error line alone
            PRINTED.add(str(warning.message))
            print(warning_line(str(warning.message)), file=sys.stderr)
    return code


class _terminable:
    """Within: SIGTERM raises Terminated (in the main thread; elsewhere signals are not Python's to handle)."""

    def __enter__(self) -> None:
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _terminate)

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _terminate(signum, frame) -> None:
    raise Terminated


def _main(argv: Sequence[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except CnnCostError as error:
        return _bad_input(error)
    try:
        return _run(parser, args)
    except CnnCostError as error:
        return _bad_input(error)
    except KeyboardInterrupt:
        print("cnncost: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("cnncost: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # a reader that stopped reading (| head): quiet, as a pipe's writer is
        _silence_stdout()
        return 141
    except OSError as error:  # a file or output that cannot be read or written: the disk, a folder, a device
        where = f" ({error.filename})" if error.filename else ""
        print(f"cnncost: error: cannot read or write{where}: {error.strerror or error}", file=sys.stderr)
        return 2
    except SystemExit as exit:  # argparse is done: this is a model's own code leaving the process
        return _failure(args, f"the model's code called sys.exit({exit.code!r}) while cnncost ran it")
    except RecursionError:
        return _failure(args, "Python's recursion limit was reached (a model or file nested too deep)")
    except Exception as error:  # noqa: BLE001  said in one line, with the traceback on --debug
        return _failure(args, f"{type(error).__name__}: {first_line(error) or 'no message'}")


def _run(parser: Parser, args) -> int:
    if args.version:
        print(f"cnncost {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    if isinstance(getattr(args, "input", None), list):
        args.input = input_sizes(args.input)
    if any(Path(name).is_file() for name in ("pyproject.toml", "cnncost.toml")):
        from .config import formulas_here  # the project's own formulas: [tool.cnncost.formulas]

        formulas_here()
    with real_forward_allowed(getattr(args, "allow_real_forward", False)):
        code = args.run(args)
    try:
        sys.stdout.flush()  # a full disk or a closed pipe, said here rather than when Python exits
    except BrokenPipeError:
        raise
    except OSError as error:
        raise CnnCostError(f"cannot write to standard output: {error.strerror or error}") from None
    return code


def _silence_stdout() -> None:
    """Standard output pointed at /dev/null, so that Python's last flush at exit does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _bad_input(error: CnnCostError) -> int:
    """One line for bad input (a name from a file quoted in it printable); the exit code."""
    print(f"cnncost: error: {one_line(error.for_command_line())}", file=sys.stderr)
    return 2


def _failure(args, what: str) -> int:
    """One line for a failure that is not bad input, the traceback too with --debug; the exit code."""
    if getattr(args, "debug", False):
        traceback.print_exc()
    else:
        what += " (--debug shows the traceback)"
    print(f"cnncost: failed: {one_line(what)}", file=sys.stderr)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
