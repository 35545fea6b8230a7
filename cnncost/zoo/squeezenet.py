"""SqueezeNet (Iandola et al. 2016) 1.0 and 1.1, as torchvision defines them."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import conv, dropout, flatten, max_pool, relu
from .registry import register_model


def fire(name: str, squeeze: int, expand: int) -> list[Node]:
    """1x1 squeeze conv, then parallel 1x1 and 3x3 expand convs (each with ReLU), concatenated."""
    return [
        conv(f"{name}.squeeze", squeeze, 1),
        relu(f"{name}.squeeze.relu"),
        conv(f"{name}.expand1x1", expand, 1, src=f"{name}.squeeze"),
        relu(f"{name}.expand1x1.relu"),
        conv(f"{name}.expand3x3", expand, 3, 1, 1, src=f"{name}.squeeze"),
        relu(f"{name}.expand3x3.relu"),
        layer("concat", f"{name}.concat", f"{name}.expand1x1", f"{name}.expand3x3"),
    ]


def squeezenet_family(name: str, stem: tuple[int, int], fires: tuple, pools_after: tuple[str, ...]) -> Graph:
    """Stem conv, Fire modules with 3x3/2 max pools (ceil) after the named ones, then a 1x1 conv classifier."""
    out, kernel = stem
    nodes: list[Node] = [conv("conv1", out, kernel, 2), relu("conv1.relu"), max_pool("pool1", 3, 2, ceil_mode=True)]
    for index, (squeeze, expand) in enumerate(fires, start=2):
        nodes += fire(f"fire{index}", squeeze, expand)
        if f"fire{index}" in pools_after:
            nodes.append(max_pool(f"pool{index}", 3, 2, ceil_mode=True))
    nodes += [
        dropout("dropout", 0.5),
        conv("conv10", 1000, 1),
        relu("conv10.relu"),
        layer("adaptive_avg_pool2d", "avgpool", output_size=1),
        flatten(),
    ]
    return Graph.build(name, nodes, (3, 224, 224), f"SqueezeNet {name[-3:].replace('_', '.')}")


# (squeeze, expand) of fire2..fire9: Iandola et al. 2016, table 1
FIRES = ((16, 64), (16, 64), (32, 128), (32, 128), (48, 192), (48, 192), (64, 256), (64, 256))


@register_model("SqueezeNet", "torchvision.models.squeezenet1_0; Iandola et al. 2016, table 1")
def squeezenet1_0() -> Graph:
    """conv1 96 7x7/2; max pools after conv1, fire4 and fire8."""
    return squeezenet_family("squeezenet1_0", (96, 7), FIRES, ("fire4", "fire8"))


@register_model("SqueezeNet", "torchvision.models.squeezenet1_1 (SqueezeNet v1.1)")
def squeezenet1_1() -> Graph:
    """conv1 64 3x3/2; max pools after conv1, fire3 and fire5: 2.4x less computation than 1.0."""
    return squeezenet_family("squeezenet1_1", (64, 3), FIRES, ("fire3", "fire5"))
