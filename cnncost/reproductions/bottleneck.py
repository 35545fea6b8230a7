"""The savings of 1x1 bottlenecks and small stacked kernels: the lectures' block comparisons against cnncost."""

from __future__ import annotations

from fractions import Fraction

from ..cuts import Operand
from ..profiler import profile as profile_of
from ..profiler import side
from ..report.comparison import summary_table
from ..report.document import Block, Document, Heading, Text, table
from ..results import Profile
from ..zoo.block_graphs import conv_chain, resnet_basic_graph, resnet_bottleneck_graph, stack_graph
from .checks import Check, check_layers, check_value
from .printed import Printed, number_text
from .published import (
    COURSE,
    CS231N,
    INCEPTION,
    LECTURE8,
    PAIR_PARAMS,
    PAIR_REDUCTION,
    RESNET_BLOCKS,
    RESNET_STAGES,
    SIMONYAN_23,
    STACK_FIELDS,
    STACK_MORE,
    STACK_SAVING,
    STACKS,
)
from .report import COUNTING, Report, checks_table, sources_block, summary, verdict_sections
from .search import bias_count
from .verdict import Candidate

PAIR, INCEPTION_SECTION, STACK, RESNET = (
    "a. 3x3 conv against 1x1 reduction + 3x3",
    "b. Inception module",
    "c. stacked 3x3 convs",
    "d. ResNet blocks",
)
PAIR_SIZES = (56, 28, 14)


def weights(profile: Profile) -> int:
    """Parameters without biases."""
    return profile.total.params - sum(bias_count(c) for c in profile.layers)


def saving(new: int, old: int) -> Fraction:
    """The fraction of old that new saves."""
    return 1 - Fraction(new, old)


def receptive_field(profile: Profile) -> int:
    """The receptive field of a chain of windows (convs, pools): 1 + sum of (k - 1)·dilation·(product of strides)."""
    field, jump = 1, 1
    for cost in profile.layers:
        attrs = cost.attributes
        if "kernel_size" in attrs:
            kernel, stride = attrs["kernel_size"], attrs.get("stride") or attrs["kernel_size"]
            field += (kernel - 1) * attrs.get("dilation", 1) * jump
            jump *= stride
    return field


def pair_section() -> tuple[list[Check], list[Block]]:
    """A 3x3 conv 256 -> 256 against a 1x1 conv 256 -> 64 then a 3x3 conv 64 -> 256."""
    profiles = {name: profile_of(name) for name, _ in PAIR_PARAMS}
    checks = [
        check_layers(PAIR, name, "params", printed, COURSE, name, profiles[name].layers)
        for name, printed in PAIR_PARAMS
    ]
    old, new = (profiles[name] for name, _ in PAIR_PARAMS)
    checks.append(
        check_value(
            PAIR,
            "reduce-conv3x3-256 against conv3x3-256",
            "saving",
            PAIR_REDUCTION,
            COURSE,
            "reduce-conv3x3-256",
            saving(new.total.params, old.total.params),
            [Candidate("biases left out", saving(weights(new), weights(old)))],
            f"1 - {new.total.params:,} / {old.total.params:,}",
            "biases left out",
        )
    )
    rows = []
    for size in PAIR_SIZES:
        one = profile_of(conv_chain("3x3", ((3, 256),), (256, size, size)))
        two = profile_of(conv_chain("1x1+3x3", ((1, 64), (3, 256)), (256, size, size)))
        rows.append(
            [
                f"{size}x{size}",
                f"{one.total.macs:,}",
                f"{two.total.macs:,}",
                f"{float(100 * saving(two.total.macs, one.total.macs)):.1f}%",
            ]
        )
    macs = table(
        ("input 256 x", "3x3 conv 256 -> 256, MACs", "1x1 256 -> 64 + 3x3 64 -> 256, MACs", "saving"),
        rows,
        (False, True, True, True),
        title="Multiply-adds at three sizes (computed; nothing published)",
    )
    return checks, [Heading(PAIR), checks_table(checks), macs]


def inception_section() -> tuple[list[Check], list[Block]]:
    """The naive Inception module against the one with 1x1 bottlenecks, at 28x28x256."""
    checks = []
    for name, quantity, printed in INCEPTION:
        profile = profile_of(name)
        if quantity == "channels":
            checks.append(
                check_value(INCEPTION_SECTION, name, quantity, printed, CS231N, name, profile.output_shape.channels)
            )
        else:
            checks.append(check_layers(INCEPTION_SECTION, name, quantity, printed, CS231N, name, profile.layers))
    sides = [side(Operand(name)) for name in ("inception-naive", "inception-bottleneck")]
    return checks, [Heading(INCEPTION_SECTION), checks_table(checks), summary_table(sides)]


def stage_stack_checks(channels: int, size: int) -> list[Check]:
    """The stacks' counts in C, H, W and the published savings, at one size."""
    checks: list[Check] = []
    profiles = {}
    for name, params, macs, source in STACKS:
        profile = profiles[name] = profile_of(stack_graph(name, channels, size))
        item, sizes = f"{name}, C={channels}, {size}x{size}", {"C": channels, "H": size, "W": size}
        checks.append(check_layers(STACK, item, "params", params.at(**sizes), source, name, profile.layers))
        if macs is not None:
            checks.append(check_layers(STACK, item, "macs", macs.at(**sizes), source, name, profile.layers))
    five, two, seven, three = (profiles[name] for name, *_ in STACKS)
    label = f"C={channels}, {size}x{size}"
    for quantity in ("params", "macs"):
        old, new = getattr(five.total, quantity), getattr(two.total, quantity)
        candidates = [Candidate("biases left out", saving(weights(two), weights(five)))] if quantity == "params" else []
        what = "params" if quantity == "params" else "MACs"
        checks.append(
            check_value(
                STACK,
                f"conv3x3-x2 against conv5x5, {label}, {what}",
                "saving",
                STACK_SAVING,
                COURSE,
                quantity,
                saving(new, old),
                candidates,
                f"1 - {new:,} / {old:,}",
                "biases left out" if candidates else "none applies",
            )
        )
    more = Fraction(seven.total.params, three.total.params) - 1
    checks.append(
        check_value(
            STACK,
            f"conv7x7 against conv3x3-x3, {label}, params",
            "extra",
            STACK_MORE,
            SIMONYAN_23,
            "params",
            more,
            [Candidate("biases left out", Fraction(weights(seven), weights(three)) - 1)],
            f"{seven.total.params:,} / {three.total.params:,} - 1",
            "biases left out",
        )
    )
    return checks


def stack_section() -> tuple[list[Check], list[Block]]:
    """One 5x5 against two 3x3 and one 7x7 against three 3x3, C -> C, at the ResNet stage sizes."""
    checks = [found for channels, size in RESNET_STAGES for found in stage_stack_checks(channels, size)]
    fields = [[name, str(receptive_field(profile_of(stack_graph(name, 64, 56))))] for name, *_ in STACKS]
    for name, printed in STACK_FIELDS:
        profile = profile_of(stack_graph(name, 64, 56))
        kernels = [c.attributes["kernel_size"] for c in profile.layers if c.op == "conv2d"]
        checks.append(
            check_value(
                STACK,
                name,
                "field",
                printed,
                SIMONYAN_23,
                name,
                receptive_field(profile),
                arithmetic=" + ".join(["1"] + [f"({k} - 1)" for k in kernels]) + f" = {receptive_field(profile)}",
            )
        )
    field_table = table(
        ("stack", "receptive field"),
        fields,
        (False, True),
        title="Receptive fields (computed: 1 + the sum of kernel - 1 over the stack)",
    )
    return checks, [Heading(STACK), checks_table(checks), field_table]


def resnet_section() -> tuple[list[Check], list[Block]]:
    """ResNet's basic block against its bottleneck block, per conv and in total, at the four stage sizes."""
    checks: list[Check] = []
    rows = []
    for channels, size in RESNET_STAGES:
        sizes = {"C": channels, "H": size, "W": size}
        profiles = {
            "resnet-basic": profile_of(resnet_basic_graph("resnet-basic", channels, size)),
            "resnet-bottleneck": profile_of(resnet_bottleneck_graph("resnet-bottleneck", channels, size)),
        }
        for name, convs, total in RESNET_BLOCKS:
            profile = profiles[name]
            item = f"{name}, C={channels}, {size}x{size}"
            for layer, formula in convs:
                checks.append(
                    check_layers(
                        RESNET,
                        f"{item}, {layer}",
                        "macs",
                        Printed(formula).at(**sizes),
                        LECTURE8,
                        name,
                        [profile.layer(layer)],
                        whole=False,
                    )
                )
            checks.append(
                check_layers(RESNET, item, "macs", Printed(total).at(**sizes), LECTURE8, name, profile.layers)
            )
        basic, bottleneck = profiles["resnet-basic"], profiles["resnet-bottleneck"]
        rows.append(
            [
                f"C={channels}, {size}x{size}",
                f"{basic.total.params:,}",
                f"{basic.total.macs:,}",
                f"{bottleneck.total.params:,}",
                f"{bottleneck.total.macs:,}",
                number_text(Fraction(bottleneck.total.macs, basic.total.macs), 4),
            ]
        )
    blocks_table = table(
        ("stage", "basic params", "basic MACs", "bottleneck params", "bottleneck MACs", "MACs ratio"),
        rows,
        (False,) + (True,) * 5,
        title="Both blocks at each stage (computed; the bottleneck block takes 4C channels in and out)",
    )
    return checks, [Heading(RESNET), checks_table(checks), blocks_table]


def heads_section() -> list[Block]:
    """GoogLeNet's global-average-pool head against VGG-16's fully connected head (nothing published)."""
    sides = [side(Operand(name)) for name in ("googlenet-head", "vgg16-head")]
    return [
        Heading("e. Classifier heads"),
        summary_table(sides),
        Text(
            "GoogLeNet's head (global average pool, dropout, one FC 1024 -> 1000) against VGG-16's (flatten, "
            "FC 25088 -> 4096 -> 4096 -> 1000), each on its network's last feature map; computed only."
        ),
    ]


def report() -> Report:
    """The bottleneck report."""
    checks: list[Check] = []
    blocks: list[Block] = []
    for section in (pair_section, inception_section, stack_section, resnet_section):
        found, shown = section()
        checks += found
        blocks += shown
    head = [
        Text(
            "Published: the lectures' comparisons of blocks. Computed: each block as a graph of its own "
            "(`cnncost list` shows them under Blocks; `cnncost table NAME --input CxHxW` profiles one). A count "
            "in C, H and W (25C²HW) is evaluated at ResNet's four stage sizes and compared exactly."
        ),
        summary(checks),
        Text(COUNTING),
    ]
    blocks = head + blocks + heads_section() + verdict_sections(checks) + [sources_block(checks)]
    return Report("bottleneck", Document("Bottlenecks and small kernels: what they save", tuple(blocks)), tuple(checks))
