"""cnncost snapshot: the profiles of the project's configured models, written as the baseline `check` compares with."""

from __future__ import annotations

from pathlib import Path

from ..baseline import read_baseline, write_baseline
from ..config import profile_model, read_config, select
from ..files import locked


def register(commands) -> None:
    parser = commands.add_parser(
        "snapshot", help="write the configured models' profiles as a baseline for cnncost check --baseline"
    )
    parser.add_argument("names", nargs="*", help="configured models (default: all of them)")
    parser.add_argument(
        "-o",
        "--output",
        default="cnncost-baseline.json",
        help="the baseline file (default cnncost-baseline.json), written atomically",
    )
    parser.add_argument("--config", help="the configuration file (default: the nearest one, as cnncost check)")
    parser.set_defaults(run=run)


def run(args) -> int:
    profiles = {config.name: profile_model(config) for config in select(read_config(args.config), args.names)}
    with locked(args.output):  # a parallel snapshot of other models into the same file keeps them
        if args.names and Path(args.output).is_file():  # the other models' profiles are kept
            profiles = {**read_baseline(args.output), **profiles}
        write_baseline(args.output, profiles)
    print(f"{args.output}: the profiles of {', '.join(profiles)}")
    return 0
