"""ShuffleNet v2 (Ma et al. 2018) x1.0, as torchvision defines it."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import conv_bn_relu, flatten, linear, max_pool
from .registry import register_model


def shuffle_unit(name: str, src: str, in_channels: int, out: int, stride: int) -> list[Node]:
    """Split (stride 1) or duplicate (stride 2) the input, run the right branch, concatenate, shuffle 2 groups.

    Right branch: 1x1 conv, BN, ReLU, 3x3 depthwise (stride), BN, 1x1 conv, BN, ReLU. At stride 2 the left
    branch is 3x3 depthwise /2, BN, 1x1 conv, BN, ReLU; at stride 1 it is the first half of the channels, as is.
    """
    half = out // 2
    nodes: list[Node] = []
    if stride == 1:
        left = layer("slice", f"{name}.split.left", src, start=0, end=in_channels // 2)
        right_in = layer("slice", f"{name}.split.right", src, start=in_channels // 2, end=in_channels)
        nodes += [left, right_in]
        left_name, right_src = left.name, right_in.name
    else:
        nodes += conv_bn_relu(
            f"{name}.branch1.depthwise", in_channels, 3, stride, 1, src=src, groups=in_channels, activation=None
        )
        nodes += conv_bn_relu(f"{name}.branch1.pointwise", half, 1)
        left_name, right_src = nodes[-1].name, src
    nodes += conv_bn_relu(f"{name}.branch2.pointwise1", half, 1, src=right_src)
    nodes += conv_bn_relu(f"{name}.branch2.depthwise", half, 3, stride, 1, groups=half, activation=None)
    nodes += conv_bn_relu(f"{name}.branch2.pointwise2", half, 1)
    nodes += [
        layer("concat", f"{name}.concat", left_name, nodes[-1].name),
        layer("channel_shuffle", f"{name}.shuffle", groups=2),
    ]
    return nodes


def shufflenet_v2(name: str, repeats: tuple[int, int, int], widths: tuple[int, int, int, int, int]) -> Graph:
    """3x3/2 conv and 3x3/2 max pool, three stages (each opened at stride 2), 1x1 conv, global pool, FC."""
    nodes: list[Node] = [*conv_bn_relu("conv1", widths[0], 3, 2, 1), max_pool("maxpool", 3, 2, 1)]
    channels = widths[0]
    for stage, (n, out) in enumerate(zip(repeats, widths[1:4], strict=True), start=2):
        for index in range(n):
            nodes += shuffle_unit(f"stage{stage}.{index}", nodes[-1].name, channels, out, 2 if index == 0 else 1)
            channels = out
    nodes += [*conv_bn_relu("conv5", widths[4], 1), layer("global_avg_pool2d", "pool"), flatten(), linear("fc", 1000)]
    return Graph.build(name, nodes, (3, 224, 224), "ShuffleNet v2 x1.0")


@register_model("ShuffleNet", "torchvision.models.shufflenet_v2_x1_0; Ma et al. 2018, table 5")
def shufflenet_v2_x1_0() -> Graph:
    """Stages of 4, 8, 4 units; widths 24, 116, 232, 464, 1024."""
    return shufflenet_v2("shufflenet_v2_x1_0", (4, 8, 4), (24, 116, 232, 464, 1024))
