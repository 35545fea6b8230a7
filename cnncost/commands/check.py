"""cnncost check NAME --max-...: hold a network to its budgets; exit 0 within, 1 over, 2 on bad input.

Without a name, or with the name of a configured model and no limits, the budgets come from the project's
configuration (cnncost.config: [tool.cnncost.models.NAME] in pyproject.toml, or cnncost.toml)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..baseline import TOTALS, against_baseline, parse_tolerance, read_baseline, write_baseline
from ..budget import PARSERS, check_budget, parse_seconds
from ..config import check_model, find_config, read_config, select
from ..diff import profile_record, settings
from ..errors import CnnCostError, UnknownNameError
from ..files import locked
from ..profiler import profile
from ..quantities import PER_LAYER
from ..report.budgets import Outcome, budget_document, budget_records
from ..trace import require_torch
from .common import (
    MODEL_HELP,
    SHOWN_ALL,
    UsageError,
    add_convention_option,
    add_optimizer_option,
    add_output_options,
    add_profile_options,
    add_target_option,
    emit,
    exit_codes_lines,
    parse_batch,
    warn,
)


def register(commands) -> None:
    parser = commands.add_parser(
        "check",
        help="check a network against budgets (exit 1 when over)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=exit_codes_lines(),
    )
    parser.add_argument(
        "name",
        nargs="?",
        help=MODEL_HELP + "; or a model configured in pyproject.toml or "
        "cnncost.toml ([tool.cnncost.models.NAME]); none: every configured model",
    )
    parser.add_argument(
        "--config",
        help="the configuration file (default: the nearest cnncost.toml, or "
        "pyproject.toml with a [tool.cnncost] table, from this folder up)",
    )
    add_profile_options(parser)
    parser.add_argument("--max-params", help="e.g. 30M, 3e7 or 30_000_000")
    parser.add_argument("--max-macs", help="multiply-accumulates of conv and linear layers, e.g. 5G")
    parser.add_argument("--max-flops", help="FLOPs of all layers, e.g. 10G")
    parser.add_argument(
        "--max-activations", help="activation size, the sum of every layer's output, e.g. 120MB (MB = 1024 KB)"
    )
    parser.add_argument("--max-memory", help="the same as --max-activations (its older name)")
    parser.add_argument(
        "--max-peak-memory",
        help="activations live at once in an inference forward pass (input included, weights apart), e.g. 300MB",
    )
    parser.add_argument("--max-weights", help="bytes of parameters and buffers, e.g. 100MB")
    parser.add_argument(
        "--max-training-memory",
        help="one training step: weights, buffers, gradients, optimizer "
        "state and activations kept for backward, e.g. 3GB",
    )
    add_optimizer_option(parser, "adam", "the optimizer --max-training-memory counts the state of (default adam)")
    parser.add_argument(
        "--max-latency",
        help="forward time of the batch, e.g. 20ms: predicted on --target, else the median of torch's timing here",
    )
    parser.add_argument("--device", default="cpu", help="where --max-latency times the network: cpu or cuda")
    add_target_option(parser)
    parser.add_argument("--strict", action="store_true", help="an op without a cost formula is an error")
    add_convention_option(parser, "--max-macs as another tool counts MACs", SHOWN_ALL)
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="configured models: fail when a total has grown since "
        "this baseline (cnncost snapshot writes one), naming the layers that changed",
    )
    parser.add_argument(
        "--tolerance",
        action="append",
        metavar="TOTAL=AMOUNT",
        default=[],
        help="how much a total may grow over the baseline: macs=1%%, params=1000 (default 0); "
        f"totals: {', '.join(TOTALS)}",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --baseline: write the profiles of now as the baseline, after showing what changed",
    )
    add_output_options(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    limits = {key: getattr(args, key) for key in PARSERS}
    no_limits = all(value is None for value in limits.values())
    if args.update and not args.baseline:
        raise UsageError("--update rewrites the file of --baseline: give both")
    if args.name is None or args.baseline or (no_limits and (args.config or _has_config())):
        if not no_limits:
            raise UsageError(
                "limits on the command line are for one model checked alone (cnncost check NAME "
                "--max-params ...); configured models, and --baseline, take theirs from the configuration"
            )
        given = (
            ("--input", args.input),
            ("--batch", args.batch != "1"),
            ("--dtype", args.dtype is not None),
            ("--optimizer", args.optimizer != "adam"),
            ("--strict", args.strict),
            ("--device", args.device != "cpu"),
            ("--target", args.target is not None),
        )
        ignored = [flag for flag, set_ in given if set_]
        if ignored:
            raise UsageError(
                f"{', '.join(ignored)}: a configured model takes these from its table in the "
                "configuration (input, batch, dtype, optimizer, strict, device, target)"
            )
        return _check_configured(args)
    if args.tolerance:
        raise UsageError("--tolerance is how much a total may grow over --baseline: give the baseline too")
    if args.target and args.device != "cpu":
        raise UsageError(
            f"--device {args.device} times the network here, --target {args.target} predicts it on a device: give one"
        )
    if args.target and args.max_latency is None:
        raise UsageError("--target predicts the time --max-latency holds: give --max-latency too")
    if no_limits:
        raise UsageError(
            "give at least one budget: --max-params, --max-macs, --max-flops, --max-activations, "
            "--max-peak-memory, --max-weights, --max-training-memory, --max-latency (or configure "
            "the model in pyproject.toml: [tool.cnncost.models.NAME])"
        )
    try:
        result = profile(
            args.name,
            input=args.input,
            batch=parse_batch(args.batch),
            dtype=args.dtype,
            strict=args.strict,
            convention=args.convention,
            target=args.target,
            training_forward=args.max_training_memory is not None,
        )
    except UnknownNameError as error:
        if (args.config or _has_config()) and args.name in _configured_names(args.config):
            raise UsageError(
                f"{args.name} is a configured model: `cnncost check {args.name}` checks it against the "
                "limits of its table; limits on the command line are for a model given as cnncost "
                "table takes it"
            ) from None
        raise error
    warn(result)
    subject = result
    if args.max_latency is not None and args.target is None:
        parse_seconds(args.max_latency)  # a malformed limit fails before the timing
        subject = _timed(args, result)
    checks = check_budget(subject, **limits, optimizer=args.optimizer)
    outcomes = [Outcome(result.name, args.name, tuple(checks))]
    counted = [note + "\n" for note in result.notes if note.kind == "convention"]
    emit(
        args,
        lambda: budget_document(outcomes),
        lambda: budget_records(outcomes),
        text=lambda: "".join(counted) + "".join(f"{_verdict(check.ok)}{check.describe()}\n" for check in checks),
    )
    broken = [c for c in checks if not c.ok]
    if broken:
        print(f"cnncost: {result.name} is over budget: " + "; ".join(c.describe() for c in broken), file=sys.stderr)
        return 1
    return 0


def _verdict(ok: bool) -> str:
    return "within " if ok else "OVER   "


def _configured_names(path: str | None) -> list[str]:
    return [config.name for config in read_config(path)]


def _has_config() -> bool:
    """Whether this folder or one above holds a cnncost configuration."""
    return find_config() is not None


def _check_configured(args) -> int:
    """Every configured model (or the one named) against its limits: a block of lines per model."""
    chosen = select(read_config(args.config), [args.name] if args.name else None)
    results = [check_model(config, baseline=bool(args.baseline)) for config in chosen]
    baseline = _baseline_checks(args, results) if args.baseline else {}
    outcomes = [
        Outcome(result.config.name, result.config.source, result.checks, baseline.get(result.config.name))
        for result in results
    ]

    def text() -> str:
        lines = []
        for result in results:
            lines.append(f"{result.config.name} ({result.config.source})")
            lines += [f"  {_verdict(check.ok)}{check.describe()}" for check in result.checks]
            if result.config.name in baseline:
                lines += _baseline_lines(baseline[result.config.name])
        return "\n".join(lines) + "\n"

    emit(args, lambda: budget_document(outcomes), lambda: budget_records(outcomes), text=text)
    for result in results:
        warn(result.profile)
    broken = [result for result in results if result.broken]
    for result in broken:
        print(f"cnncost: {result.message()}", file=sys.stderr)
    if args.update:  # what changed was shown; the profiles of now become the baseline
        with locked(args.baseline):  # read again: a parallel run may have written other models since
            kept = _records_to_update(args.baseline, warn_broken=False)
            write_baseline(args.baseline, {**kept, **{result.config.name: result.profile for result in results}})
        print(f"baseline written: {args.baseline}")
        return 1 if broken else 0
    grown = [check for check in baseline.values() if check is not None and check.broken]
    for check in grown:
        print(
            f"cnncost: {check.model} has grown since the baseline: "
            + "; ".join(growth.describe() for growth in check.broken),
            file=sys.stderr,
        )
    missing = [name for name, check in baseline.items() if check is None]
    for name in missing:
        print(f"cnncost: {name} is not in the baseline {args.baseline}: --update adds it", file=sys.stderr)
    return 1 if broken or grown or missing else 0


def _tolerances(given: dict) -> dict:
    """{'macs': (1/100, True)} from {'macs': '1%'}, each checked."""
    return {
        quantity: (amount, relative)
        for quantity, amount, relative in (parse_tolerance(text, value) for text, value in given.items())
    }


def _records_to_update(path: str, warn_broken: bool = True) -> dict:
    """The baseline's records where --update rewrites it: none where it is missing, or broken (--update is how a
    broken baseline is repaired)."""
    if not Path(path).exists():
        return {}
    try:
        return read_baseline(path)
    except CnnCostError as error:
        if warn_broken:
            print(f"cnncost: warning: {error}; --update writes it anew", file=sys.stderr)
        return {}


def _baseline_checks(args, results) -> dict:
    """Each checked model against its baseline record (None for a model the baseline lacks, or,
    with --update, one taken at other settings)."""
    records = _records_to_update(args.baseline) if args.update else read_baseline(args.baseline)
    given = {}
    for text in args.tolerance:
        quantity, equals, amount = text.partition("=")
        if not equals:
            raise UsageError(f"--tolerance {text!r}: give TOTAL=AMOUNT, such as macs=1% or params=1000")
        given[quantity.strip()] = amount
    command_line = _tolerances(given)
    checks = {}
    for result in results:
        parsed = {**_tolerances(result.config.tolerances), **command_line}
        before = records.get(result.config.name)
        if before is not None and args.update and settings(before) != settings(profile_record(result.profile)):
            before = None  # taken again at the settings of now
        checks[result.config.name] = (
            None if before is None else against_baseline(result.config.name, before, result.profile, parsed)
        )
    return checks


def _baseline_lines(check) -> list[str]:
    """The totals that moved since the baseline, then the layers that changed, grown or shrunk."""
    if check is None:
        return ["  baseline: not in the baseline, or taken at other settings (--update takes it)"]
    lines = [] if check.changed or check.diff.layers else ["  baseline: unchanged"]
    for growth in check.changed:
        smaller = ": smaller, passes" if growth.after < growth.before else ""
        lines.append(f"  {_verdict(growth.ok)}baseline: {growth.describe()}{smaller}")
    for change in check.diff.layers:
        moved = [
            f"{label} {before:,} -> {after:,}" + (f" ({after / before:.3g}x)" if before and after else "")
            for quantity in PER_LAYER
            for label in [quantity.label + " bytes" * quantity.bytes]
            for before, after in [change.figures(quantity.key)]
            if before != after
        ]
        if change.before and change.after and change.before["output_shape"] != change.after["output_shape"]:
            moved.append(
                "output "
                + " -> ".join("x".join(map(str, side["output_shape"])) for side in (change.before, change.after))
            )
        if change.before and change.after and change.before["op"] != change.after["op"]:
            moved.append(f"type {change.before['op']} -> {change.after['op']}")
        if change.status == "renamed":
            moved.append(f"was {change.before['name']}")
        lines.append(f"    {change.name} ({change.status}): {', '.join(moved)}")
    return lines


def _timed(args, result):
    """The whole forward pass timed on the device, as a bench result without per-layer timings."""
    require_torch()
    from ..torch.forward import time_whole_forward

    return time_whole_forward(result, args.name, args.device)
