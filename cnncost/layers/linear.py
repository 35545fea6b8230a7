"""Fully connected layers, matrix products of any rank, einsum, and embeddings.

A product's MACs are its output elements times the size of the dimension it sums over; FLOPs are twice that.
einsum contracts its operands two at a time, as torch does (left to right, or along a given path), and counts a
pair's product only where torch runs it as a batched matrix product: a pair with nothing to sum over is an
elementwise product (FLOPs, no MACs), and a dimension that only one operand has is summed away first.
"""

from __future__ import annotations

from math import prod

from ..errors import InputMismatch, ShapeError
from ..shapes import Shape
from .common import require_positive
from .elementwise import broadcast
from .registry import Example, OpCost, register


@register(
    "linear",
    category="linear",
    example=Example(((10,),), {"out_features": 5}),
    keeps="input_for_weight",
    field="linear",
    torch_module="Linear",
    torch_functions=("linear",),
)
def linear(x: Shape, *, out_features: int, bias: bool = True) -> OpCost:
    """MACs = (elements / in)·in·out, applied to the last dimension as torch does; FLOPs = 2·MACs;
    params = in·out (+ out)."""
    require_positive("linear out_features", out_features)
    if not x.dims:
        raise ShapeError("linear needs at least one dimension, got a scalar")
    in_features = x.dims[-1]
    macs = x.numel * out_features
    return OpCost(
        Shape((*x.dims[:-1], out_features)),
        params=in_features * out_features + (out_features if bias else 0),
        macs=macs,
        flops=2 * macs,
    )


def product_shape(a: Shape, b: Shape, op: str) -> tuple[Shape, int]:
    """torch.matmul's output shape and the size it sums over: 1-D operands are a vector, the rest batched matrices."""
    if not a.dims or not b.dims:
        raise ShapeError(f"{op} needs operands of at least one dimension, got {a} and {b}")
    k, k2 = a.dims[-1], b.dims[-2] if len(b.dims) > 1 else b.dims[0]
    if k != k2:
        raise InputMismatch(0, 1, f"inner sizes differ: {k} and {k2}")
    rows = a.dims[-2:-1]  # (n,) for a matrix, () for a vector
    cols = b.dims[-1:] if len(b.dims) > 1 else ()
    lead_a, lead_b = a.dims[:-2], b.dims[:-2]
    lead = broadcast((Shape(lead_a), Shape(lead_b))).dims if lead_a or lead_b else ()
    return Shape((*lead, *rows, *cols)), k


@register(
    "matmul",
    category="linear",
    example=Example(((2, 3, 4), (2, 4, 5))),
    keeps="product",
    field="anywhere",
    torch_functions=("matmul", "mm", "bmm"),
)
def matmul(a: Shape, b: Shape, *, copied: tuple[int, ...] = ()) -> OpCost:
    """(…, n, k) @ (…, k, m), as torch.matmul (a 1-D operand is a vector): MACs = output elements · k;
    FLOPs = 2·MACs. copied: the operands torch copies to fold their batch dims (a view cannot), by index."""
    out, k = product_shape(a, b, "matmul")
    macs = out.numel * k
    return OpCost(out, macs=macs, flops=2 * macs)


@register(
    "addmm",
    category="linear",
    example=Example(((3, 5), (3, 4), (4, 5))),
    keeps="product",
    field="anywhere",
    torch_functions=("addmm", "baddbmm"),
)
def addmm(bias: Shape, a: Shape, b: Shape) -> OpCost:
    """bias + a @ b (torch.addmm, baddbmm): MACs = output elements · k; FLOPs = 2·MACs + one addition per output
    element."""
    out, k = product_shape(a, b, "addmm")
    broadcast((bias, out))
    macs = out.numel * k
    return OpCost(out, macs=macs, flops=2 * macs + out.numel)


ELLIPSIS = "..."
Subscript = str | tuple[str, int]  # a letter, or ('...', j): the j-th dimension the ellipsis covers


def _labels(term: str, op: str) -> list[str]:
    labels, text = [], term.replace(" ", "")
    while text:
        if text.startswith(ELLIPSIS):
            labels.append(ELLIPSIS)
            text = text[3:]
        elif text[0].isalpha() and text[0].isascii():
            labels.append(text[0])
            text = text[1:]
        else:
            raise ShapeError(f"{op}: subscripts must be letters or '...', got {term!r}")
    if labels.count(ELLIPSIS) > 1:
        raise ShapeError(f"{op}: one ellipsis per operand, got {term!r}")
    return labels


def _subscript_order(label: str) -> int:
    """torch orders implicit output labels A..Z, then a..z."""
    return ord(label) - ord("A") if label.isupper() else 26 + ord(label) - ord("a")


def _operand_sizes(labels: list[str], x: Shape, ell_rank: int, op: str, i: int) -> dict:
    """{label or ('...', j): size} of one operand; a repeated label is its diagonal."""
    named = len(labels) - (ELLIPSIS in labels)
    covered = len(x.dims) - named
    if covered < 0 or (ELLIPSIS not in labels and covered):
        raise ShapeError(f"{op}: operand {i} has {len(x.dims)} dimension(s) for subscripts {''.join(labels)!r}")
    sizes: dict = {}
    dims = iter(x.dims)
    for label in labels:
        keys = [(ELLIPSIS, j) for j in range(ell_rank - covered, ell_rank)] if label == ELLIPSIS else [label]
        for key in keys:
            size = next(dims)
            if key in sizes and sizes[key] != size:
                raise ShapeError(f"{op}: subscript {key} is repeated in operand {i} with sizes {sizes[key]} and {size}")
            sizes[key] = size
    return sizes


def _nontrivial(sizes: dict) -> dict:
    return {key: size for key, size in sizes.items() if size != 1}


def _pair(a: dict, b: dict, sum_keys: list, order: list) -> tuple[dict, int, int]:
    """(result, MACs, FLOPs) of torch's sumproduct_pair: a bmm over the kept and summed dimensions, or a product."""
    union = {key: max(a.get(key, 1), b.get(key, 1)) for key in order if key in a or key in b}
    if not sum_keys:
        return _nontrivial(union), 0, prod(union.values())
    summed = prod(a[key] for key in sum_keys)
    kept = {key: size for key, size in union.items() if key not in sum_keys}
    macs = prod(kept.values()) * summed
    return kept, macs, 2 * macs


@register(
    "einsum",
    category="linear",
    example=Example(((3, 4), (4, 5)), {"equation": "ij,jk->ik"}),
    keeps="product",
    field="anywhere",
    torch_functions=("einsum",),
)
def einsum(*xs: Shape, equation: str, path=None) -> OpCost:
    """Pairwise contractions as torch runs them: MACs = Σ over pairs of (kept sizes · summed sizes) where a pair sums
    over a shared dimension; FLOPs = 2·MACs + one per element of a pair's product with nothing to sum, and one per
    element of an operand reduced over a dimension no other operand has."""
    op = "einsum"
    if not isinstance(equation, str):
        raise ShapeError(f"{op} equation must be text such as 'ij,jk->ik', got {equation!r}")
    lhs, arrow, rhs = equation.partition("->")
    terms = [_labels(term, op) for term in lhs.split(",")]
    if len(terms) != len(xs):
        raise ShapeError(f"{op}: the equation has {len(terms)} operand(s), given {len(xs)}")
    ell_rank = max((len(x.dims) - len(t) + 1 for t, x in zip(terms, xs, strict=True) if ELLIPSIS in t), default=0)
    operands = [_operand_sizes(t, x, ell_rank, op, i) for i, (t, x) in enumerate(zip(terms, xs, strict=True))]
    letters = [label for t in terms for label in t if label != ELLIPSIS]
    ellipsis: list[Subscript] = [(ELLIPSIS, j) for j in range(ell_rank)]
    if arrow:
        output: list[Subscript] = []
        for label in _labels(rhs, op):
            if label == ELLIPSIS:
                output += ellipsis
            elif label not in letters or label in output:
                raise ShapeError(f"{op}: output subscript {label!r} is not in an operand or is repeated")
            else:
                output.append(label)
    else:
        output = [*ellipsis, *sorted({lb for lb in letters if letters.count(lb) == 1}, key=_subscript_order)]
    sizes: dict = {}
    for i, operand in enumerate(operands):
        for key, size in operand.items():
            if size != 1 and sizes.get(key, 1) not in (1, size):
                raise InputMismatch(0, i, f"subscript {key} has sizes {sizes[key]} and {size}")
            sizes[key] = size if size != 1 else sizes.get(key, 1)
    contracted = [key for key in ellipsis if key not in output] + sorted(
        {lb for lb in letters if lb not in output}, key=_subscript_order
    )
    order = output + contracted
    counts = {key: sum(operand.get(key, 1) != 1 for operand in operands) for key in contracted}
    ops = [_nontrivial(operand) for operand in operands]
    steps = list(path) if path is not None else None
    if steps is not None and (
        len(steps) != (1 if len(xs) == 1 else 2 * (len(xs) - 1)) or any(type(s) is not int for s in steps)
    ):
        raise ShapeError(f"{op} path must list {2 * (len(xs) - 1)} operand indices, got {path!r}")
    macs = flops = 0
    while len(ops) > 1:
        i, j = (0, 1) if steps is None else sorted((steps.pop(0), steps.pop(0)))
        if i == j or i < 0 or j >= len(ops):
            raise ShapeError(f"{op} path contracts ({i}, {j}), which are not two of the {len(ops)} operands left")
        a, b = ops[i], ops[j]
        del ops[j], ops[i]
        sum_keys = []
        for key in contracted:
            in_a, in_b = key in a, key in b
            if in_a and in_b:
                counts[key] -= 1
                if counts[key] == 1:
                    sum_keys.append(key)
                    counts[key] = 0
            elif counts[key] == 1 and (in_a or in_b):
                flops += prod(a.values()) if in_a else prod(b.values())  # summed away before the product
                (a if in_a else b).pop(key)
                counts[key] = 0
        result, pair_macs, pair_flops = _pair(a, b, sum_keys, order)
        macs, flops = macs + pair_macs, flops + pair_flops
        if steps is None:
            ops.insert(0, result)
        else:
            ops.append(result)
    left = ops[0]
    if any(key in left for key in contracted):
        flops += prod(left.values())  # one operand: its contracted dimensions are summed at the end
    return OpCost(Shape(tuple(sizes.get(key, 1) for key in output)), macs=macs, flops=flops)


@register(
    "embedding",
    category="linear",
    example=Example(((7,),), {"num_embeddings": 10, "embedding_dim": 4}),
    keeps="input_for_weight",
    field="anywhere",
    torch_module="Embedding",
    torch_functions=("embedding",),
)
def embedding(x: Shape, *, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None) -> OpCost:
    """A lookup of one row of a num_embeddings×embedding_dim table per index: output (…, embedding_dim);
    params = num_embeddings·embedding_dim; no FLOPs."""
    require_positive("embedding num_embeddings", num_embeddings)
    require_positive("embedding embedding_dim", embedding_dim)
    return OpCost(Shape((*x.dims, embedding_dim)), params=num_embeddings * embedding_dim)
