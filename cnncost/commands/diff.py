"""cnncost diff A B: two networks (two versions of one, or two exported profiles) layer by layer, and their totals."""

from __future__ import annotations

import json
from pathlib import Path

from ..diff import LAYER_KEYS, diff_profiles
from ..errors import CnnCostError
from ..profiler import profile
from ..report.diff import diff_document
from ..targets.predict import find_target
from .common import MODEL_HELP, add_output_options, add_profile_options, add_target_option, emit, parse_batch, warn


def register(commands) -> None:
    parser = commands.add_parser(
        "diff", help="two networks layer by layer: added, removed and changed layers, and the totals' ratios"
    )
    parser.add_argument("before", help=MODEL_HELP + "; or a profile exported with --format json")
    parser.add_argument("after", help="the same kinds, compared with the first")
    add_profile_options(parser)
    add_target_option(parser)
    add_output_options(parser)
    parser.set_defaults(run=run)


def side(text: str, args):
    """A profile record: an exported JSON profile as it is, anything else profiled now."""
    path = Path(text)
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and "total" in data and "layers" in data:
            if args.target and str(data.get("target", "")).lower() != args.target.strip().lower():
                made = f"on {data['target']}" if data.get("target") else "without a target"
                raise CnnCostError(
                    f"{text} holds a profile exported {made}; --target {args.target} applies to networks profiled "
                    "now: export it again with --target"
                )
            return data
        if isinstance(data, dict) and isinstance(data.get("models"), dict):
            raise CnnCostError(
                f"{text} is a baseline of {len(data['models'])} model(s) ({', '.join(data['models'])});"
                " diff takes one profile: cnncost table NAME --format json -o NAME.json writes one"
            )
    result = profile(text, input=args.input, batch=parse_batch(args.batch), dtype=args.dtype, target=args.target)
    warn(result)
    return result


def run(args) -> int:
    if args.target:
        find_target(args.target)  # an unknown device is named (with the close ones) before any file is read
    result = diff_profiles(side(args.before, args), side(args.after, args))
    emit(args, lambda: diff_document(result), lambda: records(result))
    return 0


def records(result) -> list[dict]:
    """One record per changed layer, then one per total (layer 'total'), raw integers."""
    rows = []
    for change in result.layers:
        row = {"layer": change.name, "status": change.status, "op": (change.after or change.before)["op"]}
        for key in LAYER_KEYS:
            row[f"{key}_before"], row[f"{key}_after"] = change.figures(key)
        rows.append(row)
    total = {"layer": "total", "status": "", "op": ""}
    for key in LAYER_KEYS:
        total[f"{key}_before"], total[f"{key}_after"] = result.totals[key]
    if result.predicted is not None:
        total["predicted_seconds_before"], total["predicted_seconds_after"] = result.predicted
        total["target_before"], total["target_after"] = result.targets
    return rows + [total]
