"""cnncost explain NAME VALUE: which counting convention gives a printed figure, with its arithmetic, or none: cnncost's
own count and the conventions a published figure may follow, every other tool's total (where the tool's rule counts
every layer: a total that leaves some out is said as a lower bound, never matched), another common input size, and
the network's documented variants (resnet50 and resnet50-paper: ResNet v1.5 and v1)."""

from __future__ import annotations

import re

from ..conventions import CONVENTIONS
from ..errors import CnnCostError
from ..profiler import profile
from ..reproductions.checks import QUANTITY_NAMES, check_layers
from ..reproductions.printed import Printed, number_text
from ..reproductions.published import Publication
from ..reproductions.search import PRECISE, counts, default_count
from ..reproductions.verdict import EXACT, NO_CAUSE, NO_CONVENTION
from ..units import fixed
from ..zoo.registry import ARCHITECTURES, Architecture, list_models
from .common import MODEL_HELP, UsageError, add_profile_options, parse_batch

EXPLAINED = ("macs", "flops", "params", "memory")  # the figures explain searches
UNITS = {"": "", "K": "k", "M": "M", "G": "G", "KB": "KB", "MB": "MB"}
_VALUE = re.compile(r"^\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def register(commands) -> None:
    parser = commands.add_parser(
        "explain", help="which counting convention gives a printed figure (4.1G MACs, 138M params), with its arithmetic"
    )
    parser.add_argument("name", help=MODEL_HELP)
    parser.add_argument(
        "value",
        help="the figure as printed: 4.1G, 138M, 233MB, 61,100,840 (its digits say how "
        "precise it is: 4.1G stands for [4.05 G, 4.15 G))",
    )
    kind = parser.add_mutually_exclusive_group()
    for quantity in EXPLAINED:
        kind.add_argument(
            f"--{quantity}",
            dest="quantity",
            action="store_const",
            const=quantity,
            help=f"the figure is {quantity}" + (" (the default)" if quantity == "macs" else ""),
        )
    add_profile_options(parser)
    parser.set_defaults(run=run, quantity="macs")


def printed_figure(text: str):
    """A Printed of '4.1G' (digits 4.1, unit G); the digits say the rounding."""
    match = _VALUE.match(text)
    unit = UNITS.get(match.group(2).upper()) if match else None
    if match is None or unit is None:
        raise UsageError(f"malformed figure {text!r}: digits and a unit (k, M, G, KB, MB), such as 4.1G or 138M")
    return Printed(match.group(1), unit)


OTHER_SIZES = (224, 227, 299, 256)  # the input sizes papers and libraries print their figures at


def other_sizes(args, result):
    """(size, profile) of the network at the other common input sizes, for a figure printed at one of them."""
    shape = result.input_shape.dims
    if len(shape) != 3 or shape[1] != shape[2]:
        return
    for side in OTHER_SIZES:
        if side != shape[1]:
            size = f"{shape[0]}x{side}x{side}"
            try:
                yield size, profile(args.name, input=size, batch=result.batch, dtype=result.dtype)
            except CnnCostError:  # a size the network cannot take is not a candidate
                continue


def variants(name: str) -> list[Architecture]:
    """The built-in variants of a built-in network, itself left out: the names before their '-' the same (resnet50
    and resnet50-paper, ResNet v1.5 and v1; googlenet, googlenet-aux and googlenet-paper)."""
    key = name.strip().lower()
    if key not in ARCHITECTURES:
        return []
    family = key.split("-")[0]
    return [ARCHITECTURES[other] for other in list_models() if other != key and other.split("-")[0] == family]


def run(args) -> int:
    printed = printed_figure(args.value)
    if printed.value == 0:
        raise UsageError("a figure of 0: give the figure as printed, such as 4.1G")
    if args.quantity == "memory" and printed.unit in ("k", "M", "G"):
        printed = type(printed)(printed.text, {"k": "KB", "M": "MB", "G": "MB"}[printed.unit])
    batch = parse_batch(args.batch)
    result = profile(args.name, input=args.input, batch=batch, dtype=args.dtype)

    def judged(name, layers):
        return check_layers("explain", name, args.quantity, printed, Publication("the figure given", ""), name, layers)

    check = judged(result.name, result.layers)
    print(
        f"{result.name}, {QUANTITY_NAMES.get(args.quantity, args.quantity)}: printed {printed.shown()} "
        f"({printed.stands_for()}); cnncost counts {number_text(check.computed, 4)} at {result.input_shape}"
    )
    verdict = check.verdict
    if verdict.kind == NO_CONVENTION and args.quantity in ("macs", "flops"):
        tools = tool_matches(result, printed, args.quantity)
        if tools:
            print(f"verdict: convention: as {'; as '.join(tools)}")
            return 0
    low, high = printed.interval()
    precise = high - low <= PRECISE * printed.value  # a coarse figure ("5G") fits too many sizes to name one
    if verdict.kind == NO_CONVENTION and precise and args.input is None and not result.shapes_include_batch:
        for size, other in other_sizes(args, result):  # a figure printed for another input size
            found = judged(result.name, other.layers).verdict
            if found.kind != NO_CONVENTION:
                print(f"verdict: {found.kind} at input {size} (not {result.input_shape}): {found.text}")
                return 0
    others = []
    if verdict.kind == NO_CONVENTION:
        for variant in variants(args.name):  # a figure of the paper's network, or of torchvision's
            counted = profile(variant.name, input=args.input, batch=batch, dtype=args.dtype)
            found = judged(variant.name, counted.layers)
            if found.verdict.kind != NO_CONVENTION:
                kind, text = found.verdict.kind, found.verdict.text
                print(f"verdict: {kind} as {variant.name} counts it ({variant.reference}): {text}")
                return 0
            others.append((variant, found))
    print(
        "verdict: exact, cnncost's own count" if verdict.kind == EXACT else f"verdict: {verdict.kind}: {verdict.text}"
    )
    for other in verdict.also:
        print(f"also: {other}")
    if verdict.kind == NO_CONVENTION:
        print(nearest_text(result.layers, args.quantity, printed))
        for variant, found in others:
            if found.verdict.cause != NO_CAUSE:
                print(
                    f"also: {variant.name} ({variant.reference}) counts {number_text(found.computed, 4)}: "
                    f"{found.verdict.cause}"
                )
        if args.quantity in ("macs", "flops"):
            for line in partial_tools(result, printed, args.quantity):
                print(f"also: {line}")
    return 0


def _tools(quantity: str):
    """The other tools' conventions in the unit of the figure: FLOPs, or multiply-adds."""
    wanted = ("FLOPs",) if quantity == "flops" else ("MACs", "mult-adds")
    return [c for c in CONVENTIONS.values() if c.name not in ("cnncost", "paper") and c.unit in wanted]


def tool_matches(result, printed, quantity: str) -> list[str]:
    """The tools (cnncost.conventions) whose total on the network the printed figure stands for, with the total,
    where the tool's rule counts every layer: a FLOPs figure against the tools that count FLOPs, a MACs figure
    against those that count multiply-adds."""
    return [
        f"{convention.tool} counts it ({convention.unit}): {number_text(total)} is in {printed.stands_for()}"
        for convention in _tools(quantity)
        if not convention.unknown(result)
        for total in [convention.total(result)]
        if printed.contains(total)
    ]


def partial_tools(result, printed, quantity: str) -> list[str]:
    """The tools whose rule cannot count some layers of the network and whose total, a lower bound, is not above the
    figure: the figure may be theirs, which cnncost cannot say."""
    low, high = printed.interval()
    found = []
    for convention in _tools(quantity):
        unknown = convention.unknown(result)
        total = convention.total(result)
        if unknown and total < high:
            found.append(
                f"{convention.tool} counts at least {number_text(total)} ({convention.unit}) and {len(unknown)} "
                f"layer(s) more that cnncost cannot count as it does: `cnncost conventions` names them"
            )
    return found


def nearest_text(layers, quantity: str, printed) -> str:
    """'nearest: <convention>, <value>, -18.2% from the printed value'."""
    options = [default_count(layers, quantity)] + counts(layers, quantity, printed_unit=printed.unit)
    nearest = min(options, key=lambda count: abs(count.value - printed.value))

    gap = float(100 * (nearest.value - printed.value) / printed.value)
    sign = "+" if gap > 0 else "-" if gap < 0 else ""
    return (
        f"nearest: {nearest.name or 'cnncost' + chr(39) + 's own count'}, {number_text(nearest.value, 4)}, "
        f"{sign}{fixed(abs(gap))}% from the printed value"
    )
