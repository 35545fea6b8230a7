"""ResNet (He et al. 2015) as torchvision defines it, and the paper's variant with the stride in the first 1x1."""

from __future__ import annotations

from collections.abc import Callable

from ..graph import Graph, Node, layer
from .blocks import bn, conv, flatten, linear, max_pool, relu, squeeze_excitation
from .registry import register_model

STAGE_PLANES = (64, 128, 256, 512)


def basic_block(name: str, src: str, in_channels: int, planes: int, stride: int) -> tuple[list[Node], int]:
    """3x3 conv -> BN -> ReLU -> 3x3 conv -> BN, plus the shortcut, then ReLU; returns (nodes, out channels)."""
    body = [
        conv(f"{name}.conv1", planes, 3, stride, 1, src=src, bias=False),
        bn(f"{name}.bn1"),
        relu(f"{name}.relu1"),
        conv(f"{name}.conv2", planes, 3, 1, 1, bias=False),
        bn(f"{name}.bn2"),
    ]
    return body + shortcut(name, src, body[-1].name, in_channels, planes, stride), planes


def bottleneck(
    name: str,
    src: str,
    in_channels: int,
    planes: int,
    stride: int,
    *,
    groups: int = 1,
    width_per_group: int = 64,
    stride_in_1x1: bool = False,
    se_reduction: int | None = None,
) -> tuple[list[Node], int]:
    """1x1 reduce -> 3x3 (grouped) -> 1x1 expand to 4·planes, BN after each, shortcut, ReLU.

    The 3x3 has width planes·width_per_group/64·groups: ResNeXt's cardinality and Wide ResNet's width.
    torchvision (v1.5) strides the 3x3 conv; the paper (stride_in_1x1) strides the first 1x1.
    se_reduction adds squeeze-and-excitation (ratio r) before the addition, as Hu et al. 2017, figure 3.
    """
    width = planes * width_per_group // 64 * groups
    out = planes * 4
    s1, s3 = (stride, 1) if stride_in_1x1 else (1, stride)
    body = [
        conv(f"{name}.conv1", width, 1, s1, src=src, bias=False),
        bn(f"{name}.bn1"),
        relu(f"{name}.relu1"),
        conv(f"{name}.conv2", width, 3, s3, 1, groups=groups, bias=False),
        bn(f"{name}.bn2"),
        relu(f"{name}.relu2"),
        conv(f"{name}.conv3", out, 1, bias=False),
        bn(f"{name}.bn3"),
    ]
    if se_reduction:
        body += squeeze_excitation(f"{name}.se", f"{name}.bn3", out, out // se_reduction)
    return body + shortcut(name, src, body[-1].name, in_channels, out, stride), out


def shortcut(name: str, src: str, body_end: str, in_channels: int, out: int, stride: int) -> list[Node]:
    """Add the block's input, projected by a strided 1x1 conv + BN when its size changes; then ReLU."""
    residual = src
    nodes: list[Node] = []
    if stride != 1 or in_channels != out:
        nodes = [conv(f"{name}.downsample.0", out, 1, stride, src=src, bias=False), bn(f"{name}.downsample.1")]
        residual = f"{name}.downsample.1"
    return nodes + [layer("add", f"{name}.add", body_end, residual), relu(f"{name}.relu")]


Block = Callable[..., tuple[list[Node], int]]


def resnet_family(
    name: str, block: Block, depths: tuple[int, int, int, int], description: str, **block_options
) -> Graph:
    """7x7/2 stem with max pool, four stages of blocks (stride 2 from the second), global pool, FC 1000."""
    nodes: list[Node] = [conv("conv1", 64, 7, 2, 3, bias=False), bn("bn1"), relu("relu"), max_pool("maxpool", 3, 2, 1)]
    previous, channels = "maxpool", 64
    for stage, (depth, planes) in enumerate(zip(depths, STAGE_PLANES, strict=True), start=1):
        for index in range(depth):
            stride = 2 if stage > 1 and index == 0 else 1
            block_nodes, channels = block(f"layer{stage}.{index}", previous, channels, planes, stride, **block_options)
            nodes += block_nodes
            previous = block_nodes[-1].name
    nodes += [layer("adaptive_avg_pool2d", "avgpool", output_size=1), flatten(), linear("fc", 1000)]
    return Graph.build(name, nodes, (3, 224, 224), description)


TORCHVISION = "torchvision.models.resnet (v1.5: stride in the 3x3 conv)"
PAPER = "He et al. 2015, 'Deep residual learning', table 1 (stride in the first 1x1 conv)"


@register_model("ResNet", TORCHVISION)
def resnet18() -> Graph:
    return resnet_family("resnet18", basic_block, (2, 2, 2, 2), "ResNet-18")


@register_model("ResNet", TORCHVISION)
def resnet34() -> Graph:
    return resnet_family("resnet34", basic_block, (3, 4, 6, 3), "ResNet-34")


@register_model("ResNet", TORCHVISION)
def resnet50() -> Graph:
    return resnet_family("resnet50", bottleneck, (3, 4, 6, 3), "ResNet-50 (torchvision, v1.5)")


@register_model("ResNet", TORCHVISION)
def resnet101() -> Graph:
    return resnet_family("resnet101", bottleneck, (3, 4, 23, 3), "ResNet-101 (torchvision, v1.5)")


@register_model("ResNet", TORCHVISION)
def resnet152() -> Graph:
    return resnet_family("resnet152", bottleneck, (3, 8, 36, 3), "ResNet-152 (torchvision, v1.5)")


@register_model("ResNet", PAPER)
def resnet50_paper() -> Graph:
    return resnet_family(
        "resnet50-paper", bottleneck, (3, 4, 6, 3), "ResNet-50 as in He et al. 2015", stride_in_1x1=True
    )


@register_model("ResNet", PAPER)
def resnet101_paper() -> Graph:
    return resnet_family(
        "resnet101-paper", bottleneck, (3, 4, 23, 3), "ResNet-101 as in He et al. 2015", stride_in_1x1=True
    )


@register_model("ResNet", PAPER)
def resnet152_paper() -> Graph:
    return resnet_family(
        "resnet152-paper", bottleneck, (3, 8, 36, 3), "ResNet-152 as in He et al. 2015", stride_in_1x1=True
    )


@register_model("ResNeXt", "torchvision.models.resnext50_32x4d; Xie et al. 2017, table 1")
def resnext50_32x4d() -> Graph:
    """ResNet-50 with 32 groups of width 4 in the 3x3 convs (cardinality 32)."""
    return resnet_family(
        "resnext50_32x4d", bottleneck, (3, 4, 6, 3), "ResNeXt-50 (32x4d)", groups=32, width_per_group=4
    )


@register_model("ResNeXt", "torchvision.models.resnext101_32x8d; Xie et al. 2017")
def resnext101_32x8d() -> Graph:
    """ResNet-101 with 32 groups of width 8 in the 3x3 convs."""
    return resnet_family(
        "resnext101_32x8d", bottleneck, (3, 4, 23, 3), "ResNeXt-101 (32x8d)", groups=32, width_per_group=8
    )


@register_model("Wide ResNet", "torchvision.models.wide_resnet50_2; Zagoruyko & Komodakis 2016")
def wide_resnet50_2() -> Graph:
    """ResNet-50 with the 3x3 convs (and the 1x1s around them) twice as wide."""
    return resnet_family("wide_resnet50_2", bottleneck, (3, 4, 6, 3), "Wide ResNet-50-2", width_per_group=128)


@register_model("SENet", "Hu et al. 2017, 'Squeeze-and-excitation networks', §6.1, table 2 and figure 3")
def se_resnet50() -> Graph:
    """SE-ResNet-50: squeeze-and-excitation (r = 16) in every bottleneck of the paper's ResNet-50.

    The paper builds on the original ResNet-50, whose stride sits in the first 1x1 conv of a block: its 3.86
    GFLOPs for ResNet-50 are that variant's multiply-adds (resnet50-paper), and it reports 3.87 for SE-ResNet-50.
    """
    return resnet_family(
        "se_resnet50", bottleneck, (3, 4, 6, 3), "SE-ResNet-50 (r = 16)", stride_in_1x1=True, se_reduction=16
    )
