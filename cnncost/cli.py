"""The command line: main(argv) -> exit code.

0 on success, 1 where a command finds what it checks for (a mismatch, a broken budget),
2 on bad input: one line on stderr, never a traceback. Each subcommand lives in cnncost/commands/.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import commands as command_package
from .commands.common import PRINTED, Parser, input_sizes
from .errors import CnnCostError, CnnCostWarning
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
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", parser_class=Parser)
    for module in command_modules():
        importlib.import_module(f"cnncost.commands.{module}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    PRINTED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CnnCostWarning)
        code = _main(argv)
    for warning in caught:
        if not issubclass(warning.category, CnnCostWarning):  # the user's own code's warnings, as Python shows them
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
        elif code != 2 and str(warning.message) not in PRINTED:  # after bad input, the one error line alone
            PRINTED.add(str(warning.message))
            print(f"cnncost: warning: {warning.message}", file=sys.stderr)
    return code


def _main(argv: Sequence[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
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
            return args.run(args)
    except CnnCostError as error:
        print(f"cnncost: error: {error.for_command_line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cnncost: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
