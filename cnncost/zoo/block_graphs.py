"""Blocks the lectures compare, as standalone graphs: the GoogLeNet stem, Inception modules, conv stacks,
ResNet blocks and classifier heads.

Each builder takes the sizes it is evaluated at; the registered blocks fix them at the lecture's example
(profile another size with `cnncost table NAME --input CxHxW` where the block's widths allow it).
"""

from __future__ import annotations

from ..graph import INPUT, Graph, Node, layer
from .blocks import classifier_head, conv, dropout, flatten, linear, max_pool, relu
from .googlenet import inception, paper_unit
from .registry import register_block
from .resnet import basic_block, bottleneck

EECS498 = "EECS 498-007 lecture 8"
CS231N = "CS231n 2017 lecture 9"
STACKS = {"conv5x5": (5, 1), "conv3x3-x2": (3, 2), "conv7x7": (7, 1), "conv3x3-x3": (3, 3)}  # name: (kernel, depth)


def conv_chain(
    name: str, convs: tuple[tuple[int, int], ...], input: tuple[int, int, int], description: str = ""
) -> Graph:
    """Convs given as (kernel, out channels), each padded to keep the size and followed by a ReLU: conv1, conv2, ..."""
    nodes: list[Node] = []
    for i, (kernel, out) in enumerate(convs, start=1):
        nodes += [conv(f"conv{i}", out, kernel, 1, kernel // 2), relu(f"conv{i}.relu")]
    return Graph.build(name, nodes, input, description)


def same_width_stack(name: str, kernel: int, depth: int, channels: int, size: int) -> Graph:
    """depth convs kernel x kernel, C -> C, at size x size: one 5x5, two 3x3, one 7x7, three 3x3."""
    return conv_chain(
        name,
        ((kernel, channels),) * depth,
        (channels, size, size),
        f"{depth} x conv {kernel}x{kernel}, {channels} -> {channels}",
    )


def stack_graph(name: str, channels: int, size: int) -> Graph:
    """The stack of that name in STACKS, C -> C at size x size."""
    kernel, depth = STACKS[name]
    return same_width_stack(name, kernel, depth, channels, size)


def inception_naive_graph(name: str, input: tuple[int, int, int], widths=(128, 192, 96)) -> Graph:
    """Four parallel branches on the input (1x1, 3x3, 5x5 convs and a 3x3 max pool), concatenated on channels."""
    c1, c3, c5 = widths
    branches = [
        paper_unit("inception.branch1", c1, 1, src=INPUT),
        paper_unit("inception.branch2", c3, 3, padding=1, src=INPUT),
        paper_unit("inception.branch3", c5, 5, padding=2, src=INPUT),
        [max_pool("inception.branch4.pool", 3, 1, 1, src=INPUT, ceil_mode=True)],
    ]
    concat = layer("concat", "inception.concat", *(branch[-1].name for branch in branches), dim=0)
    return Graph.build(name, [*branches, concat], input, "naive Inception module: 1x1, 3x3, 5x5 convs and a max pool")


def inception_bottleneck_graph(name: str, input: tuple[int, int, int], widths=(128, 64, 192, 64, 96, 64)) -> Graph:
    """GoogLeNet's Inception module (1x1 reductions before the 3x3 and 5x5 convs and after the pool), with biases."""
    return Graph.build(
        name, inception("inception", INPUT, widths, paper_unit, five=5), input, "Inception module with 1x1 bottlenecks"
    )


def resnet_basic_graph(name: str, channels: int, size: int) -> Graph:
    """ResNet's basic block at C channels: two 3x3 convs C -> C with batch norm, the identity shortcut, ReLU."""
    nodes, _ = basic_block("block", INPUT, channels, channels, 1)
    return Graph.build(name, nodes, (channels, size, size), f"ResNet basic block, C = {channels}")


def resnet_bottleneck_graph(name: str, channels: int, size: int) -> Graph:
    """ResNet's bottleneck block at C: 1x1 4C -> C, 3x3 C -> C, 1x1 C -> 4C, batch norm, identity shortcut, ReLU."""
    nodes, _ = bottleneck("block", INPUT, 4 * channels, channels, 1)
    return Graph.build(name, nodes, (4 * channels, size, size), f"ResNet bottleneck block, C = {channels}")


def stem_graph(name: str = "googlenet-stem") -> Graph:
    """GoogLeNet's stem as the lecture tabulates it: conv 64 7x7/2, max pool 3x3/2, conv 64 1x1, conv 192 3x3,
    max pool 3x3/2; biased convs with ReLU, pools rounding up (112 -> 56 -> 28), no local response norm."""
    nodes = [
        *paper_unit("conv1", 64, 7, 2, 3),
        max_pool("maxpool1", 3, 2, ceil_mode=True),
        *paper_unit("conv2", 64, 1),
        *paper_unit("conv3", 192, 3, padding=1),
        max_pool("maxpool2", 3, 2, ceil_mode=True),
    ]
    return Graph.build(name, nodes, (3, 224, 224), "GoogLeNet's stem, 224x224 -> 28x28")


@register_block("googlenet-stem", "GoogLeNet", f"{EECS498}: GoogLeNet's stem, 224x224 -> 28x28")
def googlenet_stem() -> Graph:
    return stem_graph()


@register_block("inception-naive", "Inception", f"{CS231N}: naive Inception module at 28x28x256")
def inception_naive() -> Graph:
    return inception_naive_graph("inception-naive", (256, 28, 28))


@register_block("inception-bottleneck", "Inception", f"{CS231N}: Inception module with 1x1 bottlenecks at 28x28x256")
def inception_bottleneck() -> Graph:
    return inception_bottleneck_graph("inception-bottleneck", (256, 28, 28))


@register_block("conv3x3-256", "bottleneck", "a 3x3 conv 256 -> 256")
def conv3x3_256() -> Graph:
    return conv_chain("conv3x3-256", ((3, 256),), (256, 56, 56), "conv 3x3, 256 -> 256")


@register_block("reduce-conv3x3-256", "bottleneck", "a 1x1 conv 256 -> 64, then a 3x3 conv 64 -> 256")
def reduce_conv3x3_256() -> Graph:
    return conv_chain(
        "reduce-conv3x3-256", ((1, 64), (3, 256)), (256, 56, 56), "conv 1x1 256 -> 64, conv 3x3 64 -> 256"
    )


@register_block("conv5x5", "VGG", f"{EECS498}: one 5x5 conv C -> C (C = 64)")
def conv5x5() -> Graph:
    return stack_graph("conv5x5", 64, 56)


@register_block("conv3x3-x2", "VGG", f"{EECS498}: two 3x3 convs C -> C, the receptive field of one 5x5 (C = 64)")
def conv3x3_x2() -> Graph:
    return stack_graph("conv3x3-x2", 64, 56)


@register_block("conv7x7", "VGG", "Simonyan & Zisserman 2014, §2.3: one 7x7 conv C -> C (C = 64)")
def conv7x7() -> Graph:
    return stack_graph("conv7x7", 64, 56)


@register_block("conv3x3-x3", "VGG", "Simonyan & Zisserman 2014, §2.3: three 3x3 convs C -> C (C = 64)")
def conv3x3_x3() -> Graph:
    return stack_graph("conv3x3-x3", 64, 56)


@register_block("resnet-basic", "ResNet", f"{EECS498}; torchvision BasicBlock: two 3x3 convs, C = 64 at 56x56")
def resnet_basic() -> Graph:
    return resnet_basic_graph("resnet-basic", 64, 56)


@register_block("resnet-bottleneck", "ResNet", f"{EECS498}; torchvision Bottleneck: 1x1, 3x3, 1x1, C = 64 at 56x56")
def resnet_bottleneck() -> Graph:
    return resnet_bottleneck_graph("resnet-bottleneck", 64, 56)


@register_block("googlenet-head", "GoogLeNet", "torchvision.models.googlenet: global average pool, dropout, FC 1000")
def googlenet_head() -> Graph:
    nodes = [
        layer("adaptive_avg_pool2d", "avgpool", output_size=1),
        flatten(),
        dropout("dropout", 0.2),
        linear("fc", 1000),
    ]
    return Graph.build("googlenet-head", nodes, (1024, 7, 7), "GoogLeNet's head on its 1024x7x7 features")


@register_block("vgg16-head", "VGG", "torchvision.models.vgg16: flatten, FC 4096, FC 4096, FC 1000")
def vgg16_head() -> Graph:
    nodes = [flatten(), *classifier_head(("fc6", "fc7", "fc8"), (4096, 4096, 1000), dropout_p=0.5, dropout_first=False)]
    return Graph.build("vgg16-head", nodes, (512, 7, 7), "VGG-16's head on its 512x7x7 features")
