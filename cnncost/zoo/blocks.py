"""Short constructors for the nodes and blocks the architectures are made of.

Each takes the node's name first and, through src, the name of its input (default: the node before).
"""

from __future__ import annotations

from ..graph import Node, layer


def _src(src: str | None) -> tuple[str, ...]:
    return () if src is None else (src,)


def conv(
    name: str, out: int, kernel, stride=1, padding=0, *, src: str | None = None, groups: int = 1, bias: bool = True
) -> Node:
    """A conv2d node."""
    return layer(
        "conv2d",
        name,
        *_src(src),
        out_channels=out,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        groups=groups,
        bias=bias,
    )


def bn(name: str, *, src: str | None = None, eps: float = 1e-5) -> Node:
    """A batch_norm2d node."""
    return layer("batch_norm2d", name, *_src(src), eps=eps)


def relu(name: str, *, src: str | None = None, inplace: bool = True) -> Node:
    """A ReLU node; in place by default, as torchvision builds it."""
    return layer("relu", name, *_src(src), inplace=inplace)


def max_pool(name: str, kernel, stride=None, padding=0, *, src: str | None = None, ceil_mode: bool = False) -> Node:
    """A max_pool2d node."""
    return layer(
        "max_pool2d", name, *_src(src), kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode
    )


def linear(name: str, out: int, *, src: str | None = None, bias: bool = True) -> Node:
    """A linear node."""
    return layer("linear", name, *_src(src), out_features=out, bias=bias)


def dropout(name: str, p: float = 0.5, *, src: str | None = None) -> Node:
    """A dropout node (the identity at inference)."""
    return layer("dropout", name, *_src(src), p=p)


def flatten(name: str = "flatten", *, src: str | None = None) -> Node:
    """A flatten node."""
    return layer("flatten", name, *_src(src))


def conv_bn_relu(
    name: str,
    out: int,
    kernel,
    stride=1,
    padding=0,
    *,
    src: str | None = None,
    groups: int = 1,
    eps: float = 1e-5,
    activation: str | None = "relu",
) -> list[Node]:
    """conv (no bias) -> batch norm -> activation (in place), named name.conv, name.bn, name.<activation>."""
    nodes = [
        conv(f"{name}.conv", out, kernel, stride, padding, src=src, groups=groups, bias=False),
        bn(f"{name}.bn", eps=eps),
    ]
    if activation:
        nodes.append(layer(activation, f"{name}.{activation}", inplace=True))
    return nodes


def same_padding(kernel) -> int | tuple[int, int]:
    """(k - 1) // 2 per side: the padding that keeps the size at stride 1 for an odd kernel."""
    if isinstance(kernel, int):
        return (kernel - 1) // 2
    return (kernel[0] - 1) // 2, (kernel[1] - 1) // 2


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's _make_divisible: round to a multiple of divisor, never more than 10% down."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def classifier_head(
    names: tuple[str, ...], widths: tuple[int, ...], *, dropout_p: float, dropout_first: bool
) -> list[Node]:
    """Fully connected layers with ReLU and dropout between them; the last one has neither.

    dropout_first puts the dropout before each hidden linear (torchvision), else after its ReLU (the papers, Caffe).
    """
    nodes: list[Node] = []
    for i, (name, width) in enumerate(zip(names, widths, strict=True)):
        hidden = i < len(widths) - 1
        if hidden and dropout_first:
            nodes.append(dropout(f"{name}.drop", dropout_p))
        nodes.append(linear(name, width))
        if hidden:
            nodes.append(relu(f"{name}.relu"))
            if not dropout_first:
                nodes.append(dropout(f"{name}.drop", dropout_p))
    return nodes


def squeeze_excitation(
    name: str, src: str, channels: int, squeeze: int, *, activation: str = "relu", gate: str = "sigmoid"
) -> list[Node]:
    """Squeeze-and-excitation: global average pool, 1x1 conv to squeeze, activation, 1x1 conv back, gate; scales src.

    1x1 convs on the pooled 1x1 map cost what the paper's fully connected layers cost (C·C/r weights and MACs).
    """
    return [
        layer("adaptive_avg_pool2d", f"{name}.avgpool", src, output_size=1),
        conv(f"{name}.fc1", squeeze, 1),
        layer(activation, f"{name}.act"),
        conv(f"{name}.fc2", channels, 1),
        layer(gate, f"{name}.gate"),
        layer("multiply", f"{name}.scale", src, f"{name}.gate"),
    ]
