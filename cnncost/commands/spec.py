"""cnncost spec NAME: write an architecture (or a torch module's recording) as a TOML or JSON spec file, which
`cnncost table FILE` reads back."""

from __future__ import annotations

from pathlib import Path

from ..sources import is_module_path, load_source
from ..spec import write_spec_text
from .common import UsageError, parse_batch, write


def register(commands) -> None:
    parser = commands.add_parser("spec", help="write an architecture as a TOML or JSON spec file")
    parser.add_argument(
        "name",
        help="a built-in architecture or block, a spec file, or a torch module (pkg.mod:Net, net.py:Net; needs "
        "--input): its recording, whose input holds the batch in front",
    )
    parser.add_argument("--input", action="append", help="a torch module's input size, CxHxW (once per input)")
    parser.add_argument("--batch", default="1", help="a torch module's batch (default 1), recorded in the spec")
    parser.add_argument("--format", choices=("toml", "json"), help="default: from -o's suffix, else toml")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of standard output")
    parser.set_defaults(run=run)


def run(args) -> int:
    if (args.input or args.batch != "1") and not is_module_path(args.name):
        raise UsageError(
            "--input and --batch are for a torch module: a built-in network or spec file is written as it is"
        )
    graph = load_source(args.name, args.input, parse_batch(args.batch)).graph
    suffix = Path(args.output).suffix.lower() if args.output else ""
    if suffix and suffix not in (".toml", ".json"):
        raise UsageError(f"spec files are .toml or .json, not {suffix!r}: name the file net.toml or net.json")
    fmt = args.format or ("json" if suffix == ".json" else "toml")
    write(write_spec_text(graph, fmt), args.output)
    return 0
