"""AlexNet: the lecture's (torchvision's) single-tower network and Krizhevsky et al.'s two-GPU original."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import classifier_head, conv, flatten, max_pool, relu
from .registry import register_model

FC_WIDTHS = (4096, 4096, 1000)
ALEXNET_CONVS = ((11, 4, 2), (5, 1, 2), (3, 1, 1), (3, 1, 1), (3, 1, 1))  # (kernel, stride, padding)


def alexnet_family(
    name: str,
    channels: tuple[int, ...],
    convs=ALEXNET_CONVS,
    *,
    groups=(1, 1, 1, 1, 1),
    lrn: str | None = None,
    ceil_pools: bool = False,
    adaptive_pool: bool = True,
    dropout_first: bool = True,
    input=(3, 227, 227),
    description: str = "",
) -> Graph:
    """Five convs with ReLU, max pools after conv1, conv2 and conv5, three FCs (AlexNet and ZFNet).

    lrn puts a local response norm after conv1 and conv2: "before_pool" as Krizhevsky et al. §3.3, "after_pool"
    as Zeiler & Fergus figure 3.
    """
    nodes: list[Node] = []
    for i, (out, (k, s, p), g) in enumerate(zip(channels, convs, groups, strict=True), start=1):
        nodes += [conv(f"conv{i}", out, k, s, p, groups=g), relu(f"relu{i}")]
        norm = (
            layer("local_response_norm", f"norm{i}", size=5, alpha=1e-4, beta=0.75, k=2.0) if lrn and i <= 2 else None
        )
        if norm and lrn == "before_pool":
            nodes.append(norm)
        if i in (1, 2, 5):
            nodes.append(max_pool(f"pool{i}", 3, 2, ceil_mode=ceil_pools))
        if norm and lrn == "after_pool":
            nodes.append(norm)
    if adaptive_pool:
        nodes.append(layer("adaptive_avg_pool2d", "avgpool", output_size=6))
    nodes.append(flatten())
    nodes += classifier_head(("fc6", "fc7", "fc8"), FC_WIDTHS, dropout_p=0.5, dropout_first=dropout_first)
    return Graph.build(name, nodes, input, description)


@register_model("AlexNet", "torchvision.models.alexnet; EECS 498-007 lecture 8")
def alexnet() -> Graph:
    """The lecture's AlexNet (64-192-384-256-256, as torchvision defines it), at 3x227x227."""
    return alexnet_family("alexnet", (64, 192, 384, 256, 256), description="AlexNet as in the lecture and torchvision")


@register_model("AlexNet", "Krizhevsky, Sutskever, Hinton 2012, §3.5 and figure 2")
def alexnet_paper() -> Graph:
    """The 2012 paper: 96-256-384-384-256, conv2/4/5 split over two GPUs (groups=2), LRN after conv1 and conv2."""
    return alexnet_family(
        "alexnet-paper",
        (96, 256, 384, 384, 256),
        ((11, 4, 0), *ALEXNET_CONVS[1:]),
        groups=(1, 2, 1, 2, 2),
        lrn="before_pool",
        adaptive_pool=False,
        dropout_first=False,
        description="AlexNet as Krizhevsky et al. 2012 define it",
    )


@register_model("ZFNet", "EECS 498-007 lecture 8: AlexNet with conv1 7x7 stride 2 and conv3-5 of 512, 1024, 512")
def zfnet() -> Graph:
    """ZFNet as the lecture describes it: the 2012 AlexNet (alexnet-paper) with two changes and nothing else.

    conv1 becomes 7x7 stride 2 and conv3, conv4, conv5 get 512, 1024 and 512 filters; ZFNet ran on one GPU, so
    the convs are not split in two groups. The lecture leaves conv2 at stride 1, so the maps after pool5 are
    13x13 instead of 6x6 and fc6 takes 512·13·13 = 86,528 inputs: the paper's conv2 has stride 2 (zfnet-paper).
    """
    return alexnet_family(
        "zfnet",
        (96, 256, 512, 1024, 512),
        ((7, 2, 0), *ALEXNET_CONVS[1:]),
        lrn="before_pool",
        adaptive_pool=False,
        dropout_first=False,
        description="ZFNet as the lecture describes it (AlexNet with two changes)",
    )


@register_model("ZFNet", "Zeiler & Fergus 2013, 'Visualizing and understanding convolutional networks', figure 3")
def zfnet_paper() -> Graph:
    """ZFNet as the paper's figure 3 gives it, at 224x224: conv1 96 7x7/2 (110x110), conv2 256 5x5/2 (26x26).

    Each of the first two layers: conv, ReLU, 3x3/2 max pool (ceil, as Caffe: 110 -> 55, 26 -> 13), then
    contrast normalisation; conv3-5 of 384, 384, 256 as AlexNet; FC 4096, 4096, 1000 with dropout.
    """
    convs = ((7, 2, 1), (5, 2, 0), (3, 1, 1), (3, 1, 1), (3, 1, 1))
    return alexnet_family(
        "zfnet-paper",
        (96, 256, 384, 384, 256),
        convs,
        lrn="after_pool",
        ceil_pools=True,
        adaptive_pool=False,
        dropout_first=False,
        input=(3, 224, 224),
        description="ZFNet as Zeiler & Fergus 2013 define it",
    )
