"""MobileNet v2 and v3 and EfficientNet-B0: one inverted-residual block, three configurations (torchvision's)."""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Graph, Node, layer
from .blocks import conv_bn_relu, dropout, flatten, linear, make_divisible, same_padding, squeeze_excitation
from .registry import register_model


@dataclass(frozen=True)
class SqueezeSpec:
    """Squeeze-and-excitation inside a block: squeeze width, its activation and its gate."""

    channels: int
    activation: str
    gate: str


def inverted_residual(
    name: str,
    src: str,
    in_channels: int,
    out: int,
    *,
    expanded: int,
    kernel: int,
    stride: int,
    activation: str,
    se: SqueezeSpec | None = None,
    eps: float = 1e-5,
) -> list[Node]:
    """1x1 expand (if wider) -> depthwise kxk -> [squeeze-excitation] -> 1x1 project (no activation) [+ input].

    The input is added back when the block keeps size and width (stride 1, in == out).
    """
    nodes: list[Node] = []
    if expanded != in_channels:
        nodes += conv_bn_relu(f"{name}.expand", expanded, 1, src=src, eps=eps, activation=activation)
    nodes += conv_bn_relu(
        f"{name}.depthwise",
        expanded,
        kernel,
        stride,
        same_padding(kernel),
        src=nodes[-1].name if nodes else src,
        groups=expanded,
        eps=eps,
        activation=activation,
    )
    if se:
        nodes += squeeze_excitation(
            f"{name}.se", nodes[-1].name, expanded, se.channels, activation=se.activation, gate=se.gate
        )
    nodes += conv_bn_relu(f"{name}.project", out, 1, eps=eps, activation=None)
    if stride == 1 and in_channels == out:
        nodes.append(layer("add", f"{name}.add", nodes[-1].name, src))
    return nodes


def head(name: str, src_channels: int, width: int, activation: str, eps: float) -> list[Node]:
    """The last 1x1 conv of the feature extractor, then global average pooling and flatten."""
    return [
        *conv_bn_relu(name, width, 1, eps=eps, activation=activation),
        layer("adaptive_avg_pool2d", "avgpool", output_size=1),
        flatten(),
    ]


# MobileNet v2 (Sandler et al. 2018, table 2): expansion t, width c, repeats n, first stride s
V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


@register_model("MobileNet", "torchvision.models.mobilenet_v2; Sandler et al. 2018, table 2")
def mobilenet_v2() -> Graph:
    """3x3/2 stem of 32, seven stages of inverted residuals with ReLU6, 1x1 conv to 1280, dropout, FC."""
    nodes: list[Node] = conv_bn_relu("stem", 32, 3, 2, 1, activation="relu6")
    channels = 32
    for stage, (t, c, n, s) in enumerate(V2_STAGES, start=1):
        out = make_divisible(c)
        for index in range(n):
            nodes += inverted_residual(
                f"stage{stage}.{index}",
                nodes[-1].name,
                channels,
                out,
                expanded=int(round(channels * t)),
                kernel=3,
                stride=s if index == 0 else 1,
                activation="relu6",
            )
            channels = out
    nodes += head("head", channels, 1280, "relu6", 1e-5)
    nodes += [dropout("dropout", 0.2), linear("fc", 1000)]
    return Graph.build("mobilenet_v2", nodes, (3, 224, 224), "MobileNet v2")


# MobileNet v3 large (Howard et al. 2019, table 1): kernel, expanded width, out, SE, activation, stride
V3_LARGE = (
    (3, 16, 16, False, "relu", 1),
    (3, 64, 24, False, "relu", 2),
    (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", 2),
    (5, 120, 40, True, "relu", 1),
    (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hardswish", 2),
    (3, 200, 80, False, "hardswish", 1),
    (3, 184, 80, False, "hardswish", 1),
    (3, 184, 80, False, "hardswish", 1),
    (3, 480, 112, True, "hardswish", 1),
    (3, 672, 112, True, "hardswish", 1),
    (5, 672, 160, True, "hardswish", 2),
    (5, 960, 160, True, "hardswish", 1),
    (5, 960, 160, True, "hardswish", 1),
)


@register_model("MobileNet", "torchvision.models.mobilenet_v3_large; Howard et al. 2019, table 1")
def mobilenet_v3_large() -> Graph:
    """3x3/2 stem of 16 with hard-swish, fifteen blocks (SE gated by hard-sigmoid), 1x1 to 960, FC 1280, FC."""
    eps = 0.001
    nodes: list[Node] = conv_bn_relu("stem", 16, 3, 2, 1, eps=eps, activation="hardswish")
    channels = 16
    for index, (kernel, expanded, out, use_se, activation, stride) in enumerate(V3_LARGE, start=1):
        se = SqueezeSpec(make_divisible(expanded // 4), "relu", "hardsigmoid") if use_se else None
        nodes += inverted_residual(
            f"block{index}",
            nodes[-1].name,
            channels,
            out,
            expanded=expanded,
            kernel=kernel,
            stride=stride,
            activation=activation,
            se=se,
            eps=eps,
        )
        channels = out
    nodes += head("head", channels, 960, "hardswish", eps)
    nodes += [
        linear("fc1", 1280),
        layer("hardswish", "fc1.hardswish", inplace=True),
        dropout("dropout", 0.2),
        linear("fc2", 1000),
    ]
    return Graph.build("mobilenet_v3_large", nodes, (3, 224, 224), "MobileNet v3 large")


# EfficientNet-B0 (Tan & Le 2019, table 1): expansion, kernel, stride, in, out, repeats
B0_STAGES = (
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
)


@register_model("EfficientNet", "torchvision.models.efficientnet_b0; Tan & Le 2019, table 1")
def efficientnet_b0() -> Graph:
    """3x3/2 stem of 32 with SiLU, seven stages of MBConv blocks (SE squeezing to a quarter of the block's input),
    1x1 conv to 1280, dropout, FC. Stochastic depth is the identity at inference and is left out."""
    nodes: list[Node] = conv_bn_relu("stem", 32, 3, 2, 1, activation="silu")
    channels = 32
    for stage, (t, kernel, stride, _, c, n) in enumerate(B0_STAGES, start=1):
        out = make_divisible(c)
        for index in range(n):
            se = SqueezeSpec(max(1, channels // 4), "silu", "sigmoid")
            nodes += inverted_residual(
                f"stage{stage}.{index}",
                nodes[-1].name,
                channels,
                out,
                expanded=make_divisible(channels * t),
                kernel=kernel,
                stride=stride if index == 0 else 1,
                activation="silu",
                se=se,
            )
            channels = out
    nodes += head("head", channels, 4 * 320, "silu", 1e-5)
    nodes += [dropout("dropout", 0.2), linear("fc", 1000)]
    return Graph.build("efficientnet_b0", nodes, (3, 224, 224), "EfficientNet-B0")
