"""GoogLeNet (Inception v1): torchvision's definition and Szegedy et al. 2014's."""

from __future__ import annotations

from collections.abc import Callable

from ..graph import Graph, Node, layer
from .blocks import conv, conv_bn_relu, dropout, flatten, linear, max_pool, relu
from .registry import register_model

Unit = Callable[..., list[Node]]  # (name, out, kernel, stride=1, padding=0, *, src=None) -> nodes

# (name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj): Szegedy et al. 2014, table 1
INCEPTIONS = {
    "inception3a": (64, 96, 128, 16, 32, 32),
    "inception3b": (128, 128, 192, 32, 96, 64),
    "inception4a": (192, 96, 208, 16, 48, 64),
    "inception4b": (160, 112, 224, 24, 64, 64),
    "inception4c": (128, 128, 256, 24, 64, 64),
    "inception4d": (112, 144, 288, 32, 64, 64),
    "inception4e": (256, 160, 320, 32, 128, 128),
    "inception5a": (256, 160, 320, 32, 128, 128),
    "inception5b": (384, 192, 384, 48, 128, 128),
}


def torchvision_unit(name: str, out: int, kernel, stride=1, padding=0, *, src: str | None = None) -> list[Node]:
    """torchvision's BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU."""
    return conv_bn_relu(name, out, kernel, stride, padding, src=src, eps=0.001)


def paper_unit(name: str, out: int, kernel, stride=1, padding=0, *, src: str | None = None) -> list[Node]:
    """The paper's conv: with bias, then ReLU."""
    return [conv(name, out, kernel, stride, padding, src=src), relu(f"{name}.relu")]


def inception(name: str, src: str, widths: tuple[int, ...], unit: Unit, *, five: int = 5) -> list[Node]:
    """Four parallel branches (1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max pool -> 1x1) concatenated on channels.

    five is the kernel of the third branch's second conv: torchvision uses 3, the paper 5.
    """
    c1, c3_reduce, c3, c5_reduce, c5, pool_proj = widths
    branches = [
        unit(f"{name}.branch1", c1, 1, src=src),
        unit(f"{name}.branch2.0", c3_reduce, 1, src=src) + unit(f"{name}.branch2.1", c3, 3, padding=1),
        unit(f"{name}.branch3.0", c5_reduce, 1, src=src) + unit(f"{name}.branch3.1", c5, five, padding=five // 2),
        [max_pool(f"{name}.branch4.pool", 3, 1, 1, src=src, ceil_mode=True)]
        + unit(f"{name}.branch4.proj", pool_proj, 1),
    ]
    concat = layer("concat", f"{name}.concat", *(branch[-1].name for branch in branches), dim=0)
    return [node for branch in branches for node in branch] + [concat]


def aux_classifier(name: str, src: str, unit: Unit, *, paper: bool) -> list[Node]:
    """Auxiliary head: pool to 4x4, 1x1 conv 128, FC 1024, dropout 0.7, FC 1000 (a side output)."""
    pool = (
        layer("avg_pool2d", f"{name}.pool", src, kernel_size=5, stride=3)
        if paper
        else layer("adaptive_avg_pool2d", f"{name}.pool", src, output_size=4)
    )
    return [
        pool,
        *unit(f"{name}.conv", 128, 1),
        flatten(f"{name}.flatten"),
        linear(f"{name}.fc1", 1024),
        relu(f"{name}.fc1.relu"),
        dropout(f"{name}.drop", 0.7),
        linear(f"{name}.fc2", 1000),
    ]


def googlenet_family(name: str, *, paper: bool, aux: bool, description: str) -> Graph:
    """Stem, nine Inception modules with max pools between stages, global average pool, dropout, FC."""
    unit: Unit = paper_unit if paper else torchvision_unit
    nodes: list[Node] = [*unit("conv1", 64, 7, 2, 3), max_pool("maxpool1", 3, 2, ceil_mode=True)]
    if paper:
        nodes.append(layer("local_response_norm", "norm1", size=5, alpha=1e-4, beta=0.75, k=1.0))
    nodes += [*unit("conv2", 64, 1), *unit("conv3", 192, 3, padding=1)]
    if paper:
        nodes.append(layer("local_response_norm", "norm2", size=5, alpha=1e-4, beta=0.75, k=1.0))
    nodes.append(max_pool("maxpool2", 3, 2, ceil_mode=True))
    previous = nodes[-1].name
    for module, widths in INCEPTIONS.items():
        nodes += inception(module, previous, widths, unit, five=5 if paper else 3)
        previous = nodes[-1].name
        if aux and module in ("inception4a", "inception4d"):
            nodes += aux_classifier(f"aux{1 if module == 'inception4a' else 2}", previous, unit, paper=paper)
        if module in ("inception3b", "inception4e"):
            pool = "maxpool3" if module == "inception3b" else "maxpool4"
            kernel = 3 if paper or pool == "maxpool3" else 2
            nodes.append(max_pool(pool, kernel, 2, src=previous, ceil_mode=True))
            previous = pool
    head = (
        layer("avg_pool2d", "avgpool", previous, kernel_size=7, stride=1)
        if paper
        else layer("adaptive_avg_pool2d", "avgpool", previous, output_size=1)
    )
    nodes += [head, flatten(), dropout("dropout", 0.4 if paper else 0.2), linear("fc", 1000)]
    return Graph.build(name, nodes, (3, 224, 224), description)


TORCHVISION = "torchvision.models.googlenet"
PAPER = "Szegedy et al. 2014, 'Going deeper with convolutions', §5 and table 1"


@register_model("GoogLeNet", TORCHVISION)
def googlenet() -> Graph:
    """torchvision's GoogLeNet: batch norm, convs without bias, a 3x3 where the paper has its 5x5; no aux heads."""
    return googlenet_family(
        "googlenet",
        paper=False,
        aux=False,
        description="GoogLeNet as torchvision defines it, at inference (no auxiliary heads)",
    )


@register_model("GoogLeNet", TORCHVISION)
def googlenet_aux() -> Graph:
    """torchvision's GoogLeNet with its two auxiliary classifiers, as in training."""
    return googlenet_family(
        "googlenet-aux",
        paper=False,
        aux=True,
        description="GoogLeNet as torchvision defines it, with the auxiliary heads",
    )


@register_model("GoogLeNet", PAPER)
def googlenet_paper() -> Graph:
    """The paper's GoogLeNet: biased convs, no batch norm, LRN in the stem, 5x5 convs, 7x7 average pool."""
    return googlenet_family(
        "googlenet-paper", paper=True, aux=False, description="GoogLeNet as Szegedy et al. 2014 define it, at inference"
    )
