"""cnncost spec NAME: write an architecture as a TOML or JSON spec file, which `cnncost table FILE` reads back."""

from __future__ import annotations

from pathlib import Path

from ..sources import is_module_path, load_source
from ..spec import write_spec_text
from .common import UsageError, write


def register(commands) -> None:
    parser = commands.add_parser("spec", help="write an architecture as a TOML or JSON spec file")
    parser.add_argument("name", help="a built-in architecture or block, or a spec file")
    parser.add_argument("--format", choices=("toml", "json"), help="default: from -o's suffix, else toml")
    parser.add_argument("-o", "--output", help="write to this file (atomically) instead of standard output")
    parser.set_defaults(run=run)


def run(args) -> int:
    if is_module_path(args.name):
        raise UsageError("spec writes built-in architectures and spec files; a torch module has no spec to write")
    graph = load_source(args.name).graph
    suffix = Path(args.output).suffix.lower() if args.output else ""
    if suffix and suffix not in (".toml", ".json"):
        raise UsageError(f"spec files are .toml or .json, not {suffix!r}: name the file net.toml or net.json")
    fmt = args.format or ("json" if suffix == ".json" else "toml")
    write(write_spec_text(graph, fmt), args.output)
    return 0
