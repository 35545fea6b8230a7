"""What the subcommands share: the one-line usage error, output options, and writing the result."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..analysis.optimizers import optimizer_names
from ..conventions import CONVENTIONS
from ..errors import CnnCostError
from ..files import write_atomic
from ..report.document import Screen
from ..report.export import records_csv
from ..report.render import escaped, render
from ..shapes import parse_shape

FORMATS = ("table", "csv", "md", "json", "html")
SUFFIX_FORMATS = {
    ".txt": "table",
    ".csv": "csv",
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}


class UsageError(CnnCostError):
    """A malformed command line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem as one line instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """--format, -o and --wide."""
    parser.add_argument("--format", choices=FORMATS, help="output format (default: from -o's suffix, else table)")
    parser.add_argument(
        "-o",
        "--output",
        help="write to this file (atomically) instead of standard output; its "
        "suffix says the format: .txt, .csv, .md, .json or .html",
    )
    add_wide_option(parser)


def add_wide_option(parser: argparse.ArgumentParser) -> None:
    """--wide: every column on a terminal, however wide."""
    parser.add_argument(
        "--wide", action="store_true", help="on a terminal, show every column instead of hiding some to fit its width"
    )


SHOWN_ALL = "; `cnncost conventions NAME` shows them all"
MODEL_HELP = (
    "a built-in architecture (cnncost list), a spec file (net.toml, net.json) or a torch module "
    "(pkg.mod:Net, path/net.py:build_net: a class, a function or an instance; needs --input)"
)
INPUT_HELP = (
    "input size of one sample, CxHxW (default: the network's own); give it once per input for a torch "
    "module that takes several"
)


def add_convention_option(parser: argparse.ArgumentParser, what: str, more: str = "") -> None:
    """--convention TOOL, its help naming every convention cnncost.conventions holds."""
    others = ", ".join(name for name in CONVENTIONS if name != "cnncost")
    parser.add_argument(
        "--convention", default="cnncost", metavar="TOOL", help=f"{what}: {others} (default cnncost{more})"
    )


def add_optimizer_option(parser: argparse.ArgumentParser, default: str | None, what: str) -> None:
    """--optimizer, one of cnncost.analysis.optimizers."""
    parser.add_argument("--optimizer", default=default, choices=optimizer_names(), help=what)


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    """--input, --batch, --dtype."""
    parser.add_argument("--input", action="append", help=INPUT_HELP)
    parser.add_argument("--batch", default="1", help="batch size (default 1)")
    parser.add_argument(
        "--dtype", help="fp32, fp16, bf16 or int8 (default: a torch module's own dtypes, fp32 for any other network)"
    )
    parser.add_argument(
        "--allow-real-forward",
        action="store_true",
        help="record a torch module whose code reads tensor values by a real forward on the CPU even where that "
        "holds over 1 GB (refused otherwise)",
    )


def add_target_option(parser: argparse.ArgumentParser) -> None:
    """--target ID: a device of `cnncost targets` to predict each layer's time on."""
    parser.add_argument(
        "--target",
        metavar="ID",
        help="predict each layer's time on a device (cnncost targets lists them: rtx-4090, jetson-orin-nano, "
        "local for this machine); adds predicted ms, share and bound, and the predicted total and throughput",
    )


def input_sizes(values: list[str] | None):
    """--input as given: None, one size, or a list of sizes (a torch module's several inputs); each checked at once,
    before any model is imported."""
    if not values:
        return None
    for value in values:
        parse_shape(value)
    return values[0] if len(values) == 1 else list(values)


def output_format(args) -> str:
    """--format if given, else the suffix of -o, else the terminal table; a suffix cnncost does not write, or one
    that contradicts --format, is a usage error rather than a file of another format."""
    suffix = _suffix(args.output) if args.output else ""
    if suffix and suffix not in SUFFIX_FORMATS:
        raise UsageError(
            f"cnncost does not write {suffix} files ({args.output}): name the file .txt, .csv, .md, .json or .html"
        )
    implied = SUFFIX_FORMATS.get(suffix)
    if args.format and implied and implied != args.format:
        raise UsageError(
            f"--format {args.format} contradicts the file name {args.output}, which says "
            f"{implied}: name it {Path(args.output).stem}{_suffix_of(args.format)} or drop --format"
        )
    return args.format or implied or "table"


def _suffix(path: str) -> str:
    """The file name's suffix, lower case; a name that is only a suffix ('.csv') is one; a folder is refused."""
    if path.endswith(("/", os.sep)) or Path(path).is_dir():
        raise UsageError(f"-o {path} is a folder: name a file in it, such as {Path(path) / 'table.txt'}")
    name = Path(path).name
    return (name if name.startswith(".") and name.count(".") == 1 else Path(name).suffix).lower()


def _suffix_of(fmt: str) -> str:
    return next(suffix for suffix, found in SUFFIX_FORMATS.items() if found == fmt)


def screen(args):
    """The terminal the output goes to (rich, fitted to its width unless --wide), or a plain full-width Screen for
    a file or a pipe."""
    if getattr(args, "output", None):
        return Screen()
    return Screen.of(sys.stdout, wide=getattr(args, "wide", False))


RECORD_FORMATS = ("csv", "json")


def emit(
    args,
    document: Callable[[], Any],
    records: Callable[[], list[dict]],
    *,
    columns: Sequence[str] | None = None,
    data: Callable[[], Any] | None = None,
    text: Callable[[], str] | None = None,
) -> str:
    """A command's result in the format it is asked for (output_format), to standard output or atomically to -o; only
    what that format needs is made: CSV of records() (in columns' order), JSON of data() (default records()), the
    terminal table of text() where a command prints lines, else document() rendered for the terminal, Markdown or
    HTML. Returns the format."""
    fmt = output_format(args)
    if fmt == "csv":
        out = escaped(records_csv(records(), columns))  # no control character of a name reaches a terminal
    elif fmt == "json":
        out = json.dumps((data or records)(), indent=2) + "\n"
    elif fmt == "table" and text is not None:
        out = escaped(text())
    else:
        out = render(document(), fmt, screen(args))
    write(out, getattr(args, "output", None))
    return fmt


MAX_BATCH = 10**30  # a batch beyond it is no machine's, and its figures overflow a float's range in the units


def parse_batch(text: str) -> int:
    """A batch size of at least 1 and at most MAX_BATCH."""
    if not re.fullmatch(r"[0-9]+", text) or int(text[:40]) < 1:  # ASCII digits; int() of 5,000 digits refuses
        raise UsageError(f"--batch must be a whole number of at least 1, got {text[:20]!r}")
    if len(text) > 40 or int(text) > MAX_BATCH:
        raise UsageError(f"--batch {text[:20]}{'...' if len(text) > 20 else ''} is out of range (at most 10**30)")
    return int(text)


def write(text: str, path: str | None) -> None:
    """Write text to standard output, or atomically to path."""
    if path is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped reading: the command line ends quietly (141)
            raise
        except OSError as error:  # a full disk
            raise CnnCostError(f"cannot write to standard output: {error.strerror or error}") from None
        return
    write_atomic(path, text)


PRINTED: set[str] = set()  # the warnings printed in this run of the command line, each printed once


# Every exit code of the command line, stated once: `cnncost --help` lists them in a line, `cnncost check --help` one
# per line (cli.py's docstring says what each covers)
EXIT_CODES = (
    ("0", "done: every model profiled completely and every limit held"),
    ("1", "a budget broken: a limit exceeded, a total grown beyond its tolerance, or a mismatch found"),
    ("2", "bad input: arguments, a configuration, spec or baseline file, a number out of range; nothing to check"),
    ("3", "another failure: a model's code exits or raises what cnncost does not expect (--debug: the traceback)"),
    ("130", "interrupted (Ctrl-C)"),
    ("141", "the reader stopped reading (| head), quietly"),
    ("143", "terminated (SIGTERM): no file is left half-written"),
)


def exit_codes_line() -> str:
    """'exit codes: 0 done; 1 a budget broken; ...': each code with the words before its colon."""
    return "exit codes: " + "; ".join(f"{code} {meaning.split(':')[0].split(' (')[0]}" for code, meaning in EXIT_CODES)


def exit_codes_lines() -> str:
    """'exit codes:' then one line per code."""
    return "exit codes:\n" + "\n".join(f"  {code:<5}{meaning}" for code, meaning in EXIT_CODES)


WARNING_WIDTH = 199  # characters of a warning line on standard error; the whole text is in the profile's notes


def warn(result) -> None:
    """The profile's warnings, one line each on standard error (its other notes are said in the output itself)."""
    for note in result.notes:
        if note.kind == "warning" and note not in PRINTED:
            PRINTED.add(note)
            print(warning_line(str(note)), file=sys.stderr)


def warning_line(text: str) -> str:
    """'cnncost: warning: ...' on one line of at most WARNING_WIDTH characters, cut with '...' where longer (the
    table's notes, --format json and the profile's notes hold the whole text)."""
    line = "cnncost: warning: " + escaped(" ".join(text.split()))
    return line if len(line) <= WARNING_WIDTH else line[: WARNING_WIDTH - 3].rstrip() + "..."


def parse_positive(text: str, what: str, kind=float):
    """A positive number (kind int or float) from an option's text."""
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"{what} must be a positive number, got {text!r}")
    return value
