"""Inception v3 (Szegedy et al. 2015, 'Rethinking the Inception architecture'), as torchvision defines it."""

from __future__ import annotations

from collections.abc import Callable

from ..graph import Graph, Node, layer
from .blocks import conv_bn_relu, dropout, flatten, linear, max_pool
from .registry import register_model


def unit(name: str, out: int, kernel, stride=1, padding=0, *, src: str | None = None) -> list[Node]:
    """torchvision's BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU."""
    return conv_bn_relu(name, out, kernel, stride, padding, src=src, eps=0.001)


def chain(name: str, src: str, specs) -> list[Node]:
    """Units in sequence, specs of (suffix, out, kernel, stride, padding), the first reading src."""
    nodes: list[Node] = []
    for i, (suffix, out, kernel, stride, padding) in enumerate(specs):
        nodes += unit(f"{name}.{suffix}", out, kernel, stride, padding, src=src if i == 0 else None)
    return nodes


def avg_pool_branch(name: str, src: str, out: int) -> list[Node]:
    """3x3/1 average pool (pad 1) then a 1x1 unit."""
    return [
        layer("avg_pool2d", f"{name}.branch_pool.pool", src, kernel_size=3, stride=1, padding=1),
        *unit(f"{name}.branch_pool", out, 1),
    ]


def join(name: str, branches: list[list[Node]]) -> list[Node]:
    """The branches' nodes, then the concatenation of their last outputs."""
    return [n for b in branches for n in b] + [layer("concat", f"{name}.concat", *(b[-1].name for b in branches))]


ONE_BY_SEVEN, SEVEN_BY_ONE = ((1, 7), (0, 3)), ((7, 1), (3, 0))


def inception_a(name: str, src: str, pool_features: int) -> list[Node]:
    """1x1 64 | 1x1 48 -> 5x5 64 | 1x1 64 -> 3x3 96 -> 3x3 96 | pool -> 1x1."""
    return join(
        name,
        [
            unit(f"{name}.branch1x1", 64, 1, src=src),
            chain(name, src, [("branch5x5_1", 48, 1, 1, 0), ("branch5x5_2", 64, 5, 1, 2)]),
            chain(
                name,
                src,
                [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 1, 1)],
            ),
            avg_pool_branch(name, src, pool_features),
        ],
    )


def inception_b(name: str, src: str) -> list[Node]:
    """Grid reduction 35 -> 17: 3x3/2 384 | 1x1 64 -> 3x3 96 -> 3x3/2 96 | 3x3/2 max pool."""
    return join(
        name,
        [
            unit(f"{name}.branch3x3", 384, 3, 2, src=src),
            chain(
                name,
                src,
                [("branch3x3dbl_1", 64, 1, 1, 0), ("branch3x3dbl_2", 96, 3, 1, 1), ("branch3x3dbl_3", 96, 3, 2, 0)],
            ),
            [max_pool(f"{name}.branch_pool", 3, 2, src=src)],
        ],
    )


def inception_c(name: str, src: str, c7: int) -> list[Node]:
    """Factorised 7x7: 1x1 192 | 1x1 -> 1x7 -> 7x1 192 | 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 192 | pool -> 1x1 192."""
    (k17, p17), (k71, p71) = ONE_BY_SEVEN, SEVEN_BY_ONE
    return join(
        name,
        [
            unit(f"{name}.branch1x1", 192, 1, src=src),
            chain(
                name,
                src,
                [("branch7x7_1", c7, 1, 1, 0), ("branch7x7_2", c7, k17, 1, p17), ("branch7x7_3", 192, k71, 1, p71)],
            ),
            chain(
                name,
                src,
                [
                    ("branch7x7dbl_1", c7, 1, 1, 0),
                    ("branch7x7dbl_2", c7, k71, 1, p71),
                    ("branch7x7dbl_3", c7, k17, 1, p17),
                    ("branch7x7dbl_4", c7, k71, 1, p71),
                    ("branch7x7dbl_5", 192, k17, 1, p17),
                ],
            ),
            avg_pool_branch(name, src, 192),
        ],
    )


def inception_d(name: str, src: str) -> list[Node]:
    """Grid reduction 17 -> 8: 1x1 192 -> 3x3/2 320 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 192 | 3x3/2 max pool."""
    (k17, p17), (k71, p71) = ONE_BY_SEVEN, SEVEN_BY_ONE
    return join(
        name,
        [
            chain(name, src, [("branch3x3_1", 192, 1, 1, 0), ("branch3x3_2", 320, 3, 2, 0)]),
            chain(
                name,
                src,
                [
                    ("branch7x7x3_1", 192, 1, 1, 0),
                    ("branch7x7x3_2", 192, k17, 1, p17),
                    ("branch7x7x3_3", 192, k71, 1, p71),
                    ("branch7x7x3_4", 192, 3, 2, 0),
                ],
            ),
            [max_pool(f"{name}.branch_pool", 3, 2, src=src)],
        ],
    )


def split_1x3_3x1(name: str, src: str) -> list[Node]:
    """Parallel 1x3 and 3x1 units of 384 on src, concatenated (768)."""
    a = unit(f"{name}a", 384, (1, 3), 1, (0, 1), src=src)
    b = unit(f"{name}b", 384, (3, 1), 1, (1, 0), src=src)
    return a + b + [layer("concat", f"{name}.concat", a[-1].name, b[-1].name)]


def inception_e(name: str, src: str) -> list[Node]:
    """Expanded filter bank: 1x1 320 | 1x1 384 -> (1x3 | 3x1) | 1x1 448 -> 3x3 384 -> (1x3 | 3x1) | pool -> 1x1 192."""
    branch3x3_1 = unit(f"{name}.branch3x3_1", 384, 1, src=src)
    dbl = chain(name, src, [("branch3x3dbl_1", 448, 1, 1, 0), ("branch3x3dbl_2", 384, 3, 1, 1)])
    return join(
        name,
        [
            unit(f"{name}.branch1x1", 320, 1, src=src),
            branch3x3_1 + split_1x3_3x1(f"{name}.branch3x3_2", branch3x3_1[-1].name),
            dbl + split_1x3_3x1(f"{name}.branch3x3dbl_3", dbl[-1].name),
            avg_pool_branch(name, src, 192),
        ],
    )


def aux_logits(src: str) -> list[Node]:
    """Auxiliary head on Mixed_6e: 5x5/3 average pool, 1x1 128, 5x5 768, global pool, FC 1000."""
    return [
        layer("avg_pool2d", "AuxLogits.pool", src, kernel_size=5, stride=3),
        *unit("AuxLogits.conv0", 128, 1),
        *unit("AuxLogits.conv1", 768, 5),
        layer("adaptive_avg_pool2d", "AuxLogits.avgpool", output_size=1),
        flatten("AuxLogits.flatten"),
        linear("AuxLogits.fc", 1000),
    ]


def inception_v3_family(name: str, aux: bool) -> Graph:
    """Stem of five convs and two pools (299 -> 35), 3 x A, B, 4 x C, D, 2 x E, global pool, dropout, FC."""
    nodes: list[Node] = [
        *unit("Conv2d_1a_3x3", 32, 3, 2),
        *unit("Conv2d_2a_3x3", 32, 3),
        *unit("Conv2d_2b_3x3", 64, 3, 1, 1),
        max_pool("maxpool1", 3, 2),
        *unit("Conv2d_3b_1x1", 80, 1),
        *unit("Conv2d_4a_3x3", 192, 3),
        max_pool("maxpool2", 3, 2),
    ]
    modules: list[tuple[str, Callable[..., list[Node]], tuple[int, ...]]] = [
        ("Mixed_5b", inception_a, (32,)),
        ("Mixed_5c", inception_a, (64,)),
        ("Mixed_5d", inception_a, (64,)),
        ("Mixed_6a", inception_b, ()),
        ("Mixed_6b", inception_c, (128,)),
        ("Mixed_6c", inception_c, (160,)),
        ("Mixed_6d", inception_c, (160,)),
        ("Mixed_6e", inception_c, (192,)),
        ("Mixed_7a", inception_d, ()),
        ("Mixed_7b", inception_e, ()),
        ("Mixed_7c", inception_e, ()),
    ]
    previous = nodes[-1].name
    for module, build, args in modules:
        nodes += build(module, previous, *args)
        previous = f"{module}.concat"
        if aux and module == "Mixed_6e":
            nodes += aux_logits(previous)
    nodes += [
        layer("adaptive_avg_pool2d", "avgpool", previous, output_size=1),
        flatten(),
        dropout("dropout", 0.5),
        linear("fc", 1000),
    ]
    return Graph.build(name, nodes, (3, 299, 299), "Inception v3" + (" with its auxiliary head" if aux else ""))


REFERENCE = "torchvision.models.inception_v3; Szegedy et al. 2015, table 1"


@register_model("Inception v3", REFERENCE)
def inception_v3() -> Graph:
    """At inference, without the auxiliary head (torchvision's inception_v3(aux_logits=False))."""
    return inception_v3_family("inception_v3", aux=False)


@register_model("Inception v3", REFERENCE)
def inception_v3_aux() -> Graph:
    """With the auxiliary classifier on Mixed_6e (torchvision's default inception_v3(), as in training)."""
    return inception_v3_family("inception_v3-aux", aux=True)
