"""cnncost verify NAME | --all: every layer's shape, parameters, buffers and MACs checked against torch."""

from __future__ import annotations

from ..report.verification import verification_document, verification_records
from ..sources import import_module_object, is_module_path, load_source
from ..trace import require_torch
from ..zoo import create, list_blocks, list_models
from .common import INPUT_HELP, MODEL_HELP, UsageError, add_output_options, emit, parse_batch

DEVICES = ("meta", "cpu", "cuda")


def register(commands) -> None:
    parser = commands.add_parser("verify", help="check every layer against real torch modules (exit 1 on a mismatch)")
    parser.add_argument("name", nargs="?", help=MODEL_HELP)
    parser.add_argument("--all", action="store_true", help="every built-in architecture and block")
    parser.add_argument("--input", action="append", help=INPUT_HELP)
    parser.add_argument("--batch", default="1", help="batch size (default 1)")
    parser.add_argument(
        "--device",
        default="meta",
        choices=DEVICES,
        help="meta (default: shapes and counts, no arithmetic), cpu or cuda (a real forward pass)",
    )
    parser.add_argument("--all-layers", action="store_true", help="list every layer, not only those that differ")
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    if bool(args.name) == bool(args.all):
        raise UsageError("give an architecture name or --all, not both")
    torch = require_torch()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here")
    from ..torch.verify import verify, verify_module

    batch = parse_batch(args.batch)
    if args.name and is_module_path(args.name):  # a torch module is checked against itself, module by module
        if args.input is None:
            raise UsageError(f"{args.name}: a torch module needs an input size, such as --input 3x224x224")
        if args.device == "cuda":
            raise UsageError("--device cuda: a torch module is checked against itself on the CPU")
        results = [verify_module(import_module_object(args.name), args.input, batch, args.name)]
    else:
        names = list_models() + list_blocks() if args.all else [args.name]
        graphs = [create(name) if args.all else load_source(name, args.input).graph for name in names]  # fail early
        results = [verify(graph, input=args.input, batch=batch, device=args.device) for graph in graphs]
    emit(
        args,
        lambda: verification_document(results, args.all_layers),
        lambda: [record for result in results for record in verification_records(result)],
    )
    return 0 if all(result.ok for result in results) else 1
