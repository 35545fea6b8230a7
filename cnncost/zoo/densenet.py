"""DenseNet (Huang et al. 2017), as torchvision defines it."""

from __future__ import annotations

from ..graph import Graph, Node, layer
from .blocks import bn, conv, flatten, linear, max_pool, relu
from .registry import register_model


def dense_layer(name: str, features: list[str], growth: int, bottleneck_width: int) -> list[Node]:
    """Concatenate every earlier feature map, then BN, ReLU, 1x1 conv, BN, ReLU, 3x3 conv to `growth` channels."""
    return [
        layer("concat", f"{name}.concat", *features),
        bn(f"{name}.norm1"),
        relu(f"{name}.relu1"),
        conv(f"{name}.conv1", bottleneck_width, 1, bias=False),
        bn(f"{name}.norm2"),
        relu(f"{name}.relu2"),
        conv(f"{name}.conv2", growth, 3, 1, 1, bias=False),
    ]


def densenet_family(
    name: str, blocks: tuple[int, ...], growth: int = 32, init_features: int = 64, bn_size: int = 4
) -> Graph:
    """7x7/2 stem and max pool, dense blocks joined by transitions (BN, ReLU, 1x1 conv halving, 2x2 avg pool)."""
    nodes: list[Node] = [
        conv("conv0", init_features, 7, 2, 3, bias=False),
        bn("norm0"),
        relu("relu0"),
        max_pool("pool0", 3, 2, 1),
    ]
    channels = init_features
    for b, depth in enumerate(blocks, start=1):
        features = [nodes[-1].name]
        for index in range(1, depth + 1):
            nodes += dense_layer(f"denseblock{b}.denselayer{index}", features, growth, bn_size * growth)
            features.append(nodes[-1].name)
        nodes.append(layer("concat", f"denseblock{b}.concat", *features))
        channels += depth * growth
        if b < len(blocks):
            channels //= 2
            nodes += [
                bn(f"transition{b}.norm"),
                relu(f"transition{b}.relu"),
                conv(f"transition{b}.conv", channels, 1, bias=False),
                layer("avg_pool2d", f"transition{b}.pool", kernel_size=2, stride=2),
            ]
    nodes += [
        bn("norm5"),
        relu("relu5"),
        layer("adaptive_avg_pool2d", "avgpool", output_size=1),
        flatten(),
        linear("classifier", 1000),
    ]
    return Graph.build(name, nodes, (3, 224, 224), f"DenseNet-{sum(blocks) * 2 + 5}")


@register_model("DenseNet", "torchvision.models.densenet121; Huang et al. 2017, table 1")
def densenet121() -> Graph:
    """Dense blocks of 6, 12, 24 and 16 layers, growth rate 32, bottleneck 4 x growth."""
    return densenet_family("densenet121", (6, 12, 24, 16))
