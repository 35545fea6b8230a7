"""Attention: scaled dot-product attention and torch's multi-head attention module.

MACs count the two products, Q·Kᵀ and the weights times V (and, for multi-head attention, the input and output
projections), as torch.utils.flop_counter counts them. FLOPs add, per attention score, 1 for the scaling,
3 for the softmax and 1 for each mask.
"""

from __future__ import annotations

from math import prod

from ..errors import InputMismatch, ShapeError
from ..shapes import Shape
from .common import require_positive
from .elementwise import broadcast
from .registry import Example, OpCost, register

SCORE_FLOPS = 4  # scale 1, softmax 3


@register(
    "scaled_dot_product_attention",
    category="attention",
    example=Example(((2, 5, 4), (2, 6, 4), (2, 6, 3))),
    keeps="attention",
    field="anywhere",
    torch_functions=("scaled_dot_product_attention",),
    backward="attention",
)
def scaled_dot_product_attention(
    query: Shape,
    key: Shape,
    value: Shape,
    *mask: Shape,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
    dropout_p: float = 0.0,
) -> OpCost:
    """softmax(Q·Kᵀ·scale)·V over (…, L, E) queries and (…, S, E) keys: MACs = (…)·L·S·(E + Ev);
    FLOPs = 2·MACs + 4 per score (+1 with a mask or is_causal)."""
    if len(mask) > 1:
        raise ShapeError(f"scaled_dot_product_attention takes at most one mask, got {len(mask)}")
    if min(len(query.dims), len(key.dims), len(value.dims)) < 2:
        raise ShapeError("scaled_dot_product_attention needs (…, L, E) queries, keys and values")
    (length, width), (source, key_width), (source_v, value_width) = query.dims[-2:], key.dims[-2:], value.dims[-2:]
    if width != key_width:
        raise InputMismatch(0, 1, f"queries have {width} features, keys {key_width}")
    if source != source_v:
        raise InputMismatch(1, 2, f"{source} keys and {source_v} values")
    lead = query.dims[:-2]
    if not enable_gqa:
        lead = broadcast((Shape(query.dims[:-2]), Shape(key.dims[:-2]), Shape(value.dims[:-2]))).dims
    scores = prod(lead) * length * source
    macs = scores * (width + value_width)
    masks = len(mask) + bool(is_causal)
    return OpCost(Shape((*lead, length, value_width)), macs=macs, flops=2 * macs + (SCORE_FLOPS + masks) * scores)


def _sequence(x: Shape, what: str, batch_first: bool) -> tuple[int, int, int]:
    """(batch, length, features) of L×E (unbatched), N×L×E (batch_first) or L×N×E."""
    if len(x.dims) == 2:
        return 1, x.dims[0], x.dims[1]
    if len(x.dims) == 3:
        n, length = (x.dims[0], x.dims[1]) if batch_first else (x.dims[1], x.dims[0])
        return n, length, x.dims[2]
    raise ShapeError(
        f"multihead_attention expects {what} of L×E or, with a batch, {'N×L×E' if batch_first else 'L×N×E'}, got {x}"
    )


def multihead_tensors(attrs: dict) -> int:
    """The packed input projection (or three apart where keys or values have other widths), the output projection,
    their two biases, and the key and value biases of add_bias_kv."""
    embed = attrs["embed_dim"]
    packed = attrs.get("kdim") in (None, embed) and attrs.get("vdim") in (None, embed)
    return (1 if packed else 3) + 1 + (2 if attrs.get("bias", True) else 0) + (2 if attrs.get("add_bias_kv") else 0)


@register(
    "multihead_attention",
    category="attention",
    example=Example(((5, 8), (6, 8), (6, 8)), {"embed_dim": 8, "num_heads": 2}),
    keeps="every_input",
    field="anywhere",
    torch_module="MultiheadAttention",
    torch_functions=("multi_head_attention_forward",),
    parameter_tensors=multihead_tensors,
)
def multihead_attention(
    query: Shape,
    key: Shape,
    value: Shape,
    *masks: Shape,
    embed_dim: int,
    num_heads: int,
    kdim: int | None = None,
    vdim: int | None = None,
    bias: bool = True,
    add_bias_kv: bool = False,
    add_zero_attn: bool = False,
    batch_first: bool = False,
    need_weights: bool = True,
    average_attn_weights: bool = True,
) -> OpCost:
    """torch.nn.MultiheadAttention: MACs = N·(L·E·E + S·kdim·E + S·vdim·E) for the input projections
    + N·L·S·E·2 for the heads' two products + N·L·E·E for the output projection; FLOPs = 2·MACs + 4 per score
    (+1 per mask); params = the projections' weights and biases."""
    require_positive("multihead_attention embed_dim", embed_dim)
    require_positive("multihead_attention num_heads", num_heads)
    if embed_dim % num_heads:
        raise ShapeError(f"multihead_attention num_heads={num_heads} must divide embed_dim={embed_dim}")
    kdim, vdim = kdim or embed_dim, vdim or embed_dim
    n, length, e = _sequence(query, "queries", batch_first)
    nk, source, k_features = _sequence(key, "keys", batch_first)
    nv, source_v, v_features = _sequence(value, "values", batch_first)
    if (e, k_features, v_features) != (embed_dim, kdim, vdim):
        raise ShapeError(
            f"multihead_attention expects {embed_dim}, {kdim} and {vdim} query, key and value features, "
            f"got {e}, {k_features} and {v_features}"
        )
    if (n, source) != (nk, source_v) or nv != n:
        raise InputMismatch(0, 1, "queries, keys and values differ in batch or keys and values in length")
    keys = source + add_bias_kv + add_zero_attn
    projections = n * (length * embed_dim * embed_dim + source * kdim * embed_dim + source * vdim * embed_dim)
    scores = n * num_heads * length * keys
    macs = projections + 2 * n * length * keys * embed_dim + n * length * embed_dim * embed_dim
    params = embed_dim * (embed_dim + kdim + vdim) + embed_dim * embed_dim
    params += (4 * embed_dim if bias else 0) + (2 * embed_dim if add_bias_kv else 0)
    out = Shape(query.dims)
    if need_weights:
        heads = () if average_attn_weights else (num_heads,)
        batch = () if len(query.dims) == 2 else (n,)
        out = Shape(query.dims, also=(Shape((*batch, *heads, length, keys)),))
    return OpCost(out, params=params, macs=macs, flops=2 * macs + (SCORE_FLOPS + len(masks)) * scores)
