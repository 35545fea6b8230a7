"""VGG (Simonyan & Zisserman 2014), configurations A, B, D, E, as torchvision defines them."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import bn, classifier_head, conv, flatten, max_pool, relu
from .registry import register_model

# convs per stage for the five stages of 64, 128, 256, 512, 512 channels (the paper's table 1)
STAGE_DEPTHS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
STAGE_WIDTHS = (64, 128, 256, 512, 512)


def vgg_family(depth: int, batch_norm: bool = False) -> Graph:
    """3x3 convs (pad 1, with bias) in five stages, each closed by a 2x2 max pool; then 7x7 adaptive pool, 3 FCs."""
    nodes: list[Node] = []
    for stage, (n_convs, width) in enumerate(zip(STAGE_DEPTHS[depth], STAGE_WIDTHS, strict=True), start=1):
        for i in range(1, n_convs + 1):
            name = f"conv{stage}_{i}"
            nodes.append(conv(name, width, 3, 1, 1))
            if batch_norm:
                nodes.append(bn(f"{name}.bn"))
            nodes.append(relu(f"{name}.relu"))
        nodes.append(max_pool(f"pool{stage}", 2, 2))
    nodes += [layer("adaptive_avg_pool2d", "avgpool", output_size=7), flatten()]
    nodes += classifier_head(("fc6", "fc7", "fc8"), (4096, 4096, 1000), dropout_p=0.5, dropout_first=False)
    name = f"vgg{depth}" + ("_bn" if batch_norm else "")
    return Graph.build(name, nodes, (3, 224, 224), f"VGG-{depth}" + (" with batch norm" if batch_norm else ""))


REFERENCE = "torchvision.models.vgg; Simonyan & Zisserman 2014, table 1"


@register_model("VGG", REFERENCE)
def vgg11() -> Graph:
    return vgg_family(11)


@register_model("VGG", REFERENCE)
def vgg11_bn() -> Graph:
    return vgg_family(11, batch_norm=True)


@register_model("VGG", REFERENCE)
def vgg13() -> Graph:
    return vgg_family(13)


@register_model("VGG", REFERENCE)
def vgg13_bn() -> Graph:
    return vgg_family(13, batch_norm=True)


@register_model("VGG", REFERENCE)
def vgg16() -> Graph:
    return vgg_family(16)


@register_model("VGG", REFERENCE)
def vgg16_bn() -> Graph:
    return vgg_family(16, batch_norm=True)


@register_model("VGG", REFERENCE)
def vgg19() -> Graph:
    return vgg_family(19)


@register_model("VGG", REFERENCE)
def vgg19_bn() -> Graph:
    return vgg_family(19, batch_norm=True)
