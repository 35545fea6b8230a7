"""AlexNet: the lecture's (torchvision's) single-tower network and Krizhevsky et al.'s two-GPU original."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import classifier_head, conv, flatten, max_pool, relu
from .registry import register_model

FC_WIDTHS = (4096, 4096, 1000)


def alexnet_family(name: str, channels: tuple[int, ...], conv1: tuple[int, int, int], *, groups=(1, 1, 1, 1, 1),
                   lrn: bool = False, adaptive_pool: bool = True, dropout_first: bool = True,
                   input=(3, 227, 227), description: str = "") -> Graph:
    """Five convs (conv1 given as kernel, stride, padding), max pools after conv1, conv2 and conv5, three FCs.

    lrn puts a local response norm after the ReLUs of conv1 and conv2, before their pools (Krizhevsky et al. §3.3).
    """
    kernel, stride, padding = conv1
    convs = [(kernel, stride, padding), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1)]
    nodes: list[Node] = []
    for i, (out, (k, s, p), g) in enumerate(zip(channels, convs, groups), start=1):
        nodes += [conv(f"conv{i}", out, k, s, p, groups=g), relu(f"relu{i}")]
        if lrn and i <= 2:
            nodes.append(layer("local_response_norm", f"norm{i}", size=5, alpha=1e-4, beta=0.75, k=2.0))
        if i in (1, 2, 5):
            nodes.append(max_pool(f"pool{i}", 3, 2))
    if adaptive_pool:
        nodes.append(layer("adaptive_avg_pool2d", "avgpool", output_size=6))
    nodes.append(flatten())
    nodes += classifier_head(("fc6", "fc7", "fc8"), FC_WIDTHS, dropout_p=0.5, dropout_first=dropout_first)
    return Graph.build(name, nodes, input, description)


@register_model("AlexNet", "torchvision.models.alexnet; EECS 498-007 lecture 8")
def alexnet() -> Graph:
    """The lecture's AlexNet (64-192-384-256-256, as torchvision defines it), at 3x227x227."""
    return alexnet_family("alexnet", (64, 192, 384, 256, 256), (11, 4, 2),
                          description="AlexNet as in the lecture and torchvision")


@register_model("AlexNet", "Krizhevsky, Sutskever, Hinton 2012, §3.5 and figure 2")
def alexnet_paper() -> Graph:
    """The 2012 paper: 96-256-384-384-256, conv2/4/5 split over two GPUs (groups=2), LRN after conv1 and conv2."""
    return alexnet_family("alexnet-paper", (96, 256, 384, 384, 256), (11, 4, 0), groups=(1, 2, 1, 2, 2), lrn=True,
                          adaptive_pool=False, dropout_first=False,
                          description="AlexNet as Krizhevsky et al. 2012 define it")
