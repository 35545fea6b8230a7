"""Matrix products of any rank, einsum, attention and recurrent layers, by hand."""

import pytest

from cnncost.errors import InputMismatch, ShapeError
from cnncost.layers import layer_type
from cnncost.shapes import Shape as S


def cost(op, *inputs, **attrs):
    return layer_type(op).formula(*(S(i) for i in inputs), **attrs)


def test_matmul_of_vectors_and_batches():
    assert cost("matmul", (5,), (5,)).output == S(()) and cost("matmul", (5,), (5,)).macs == 5  # a dot product
    mv = cost("matmul", (3, 5), (5,))
    assert mv.output == S((3,)) and mv.macs == 15
    vm = cost("matmul", (5,), (2, 5, 4))
    assert vm.output == S((2, 4)) and vm.macs == 2 * 5 * 4
    b = cost("matmul", (2, 1, 3, 4), (5, 4, 6))  # leading dims broadcast: 2 x 5 products of (3x4)(4x6)
    assert b.output == S((2, 5, 3, 6)) and b.macs == 2 * 5 * 3 * 4 * 6
    with pytest.raises(InputMismatch):
        cost("matmul", (3, 4), (5, 6))
    a = cost("addmm", (3, 5), (3, 4), (4, 5))
    assert a.macs == 3 * 4 * 5 and a.flops == 2 * 60 + 15  # and one addition per output element


def test_einsum_contracts_in_pairs_as_torch_does():
    chain = cost("einsum", (2, 3, 4), (2, 4, 5), (2, 5, 6), equation="bij,bjk,bkl->bil")
    # left to right: (bij,bjk) sums j: 2*3*5 kept x 4 = 120; then (bik,bkl) sums k: 2*3*6 kept x 5 = 180
    assert chain.output == S((2, 3, 6)) and chain.macs == 120 + 180
    outer = cost("einsum", (3,), (4,), equation="i,j->ij")
    assert outer.output == S((3, 4)) and outer.macs == 0 and outer.flops == 12  # nothing to sum: a product
    trace = cost("einsum", (4, 4), equation="ii")
    assert trace.output == S(()) and trace.macs == 0  # one operand: its diagonal summed
    implicit = cost("einsum", (2, 3), (3, 4), equation="ij,jk")  # the output: i and k, each seen once
    assert implicit.output == S((2, 4)) and implicit.macs == 24
    ellipsis = cost("einsum", (7, 2, 3), (3, 5), equation="...ij,jk->...ik")
    assert ellipsis.output == S((7, 2, 5)) and ellipsis.macs == 7 * 2 * 5 * 3
    # a path reorders the pairs: (1, 2) first sums k: 2*4*6 x 5 = 240; then (0, 1) sums j: 2*3*6 x 4 = 144
    path = cost("einsum", (2, 3, 4), (2, 4, 5), (2, 5, 6), equation="bij,bjk,bkl->bil", path=[1, 2, 0, 1])
    assert path.macs == 240 + 144
    with pytest.raises(ShapeError, match="the equation has 2 operand"):
        cost("einsum", (3,), equation="i,j->ij")


def test_scaled_dot_product_attention():
    a = cost("scaled_dot_product_attention", (2, 4, 10, 8), (2, 4, 12, 8), (2, 4, 12, 6))
    # 2 x 4 heads: Q.K^T 10 x 12 x 8 and weights.V 10 x 12 x 6
    assert a.output == S((2, 4, 10, 6)) and a.macs == 2 * 4 * 10 * 12 * (8 + 6) == 13_440
    assert a.flops == 2 * a.macs + 4 * (2 * 4 * 10 * 12)  # the scale and the softmax per score
    masked = cost("scaled_dot_product_attention", (4, 10, 8), (4, 12, 8), (4, 12, 6), (10, 12))
    assert masked.flops - 2 * masked.macs == 5 * 4 * 10 * 12


def test_multihead_attention_counts_its_projections():
    m = cost("multihead_attention", (10, 2, 16), (10, 2, 16), (10, 2, 16), embed_dim=16, num_heads=4)
    # per sample of 2: in-projection 10*16*48, the heads' products 2*10*10*16, out-projection 10*16*16
    assert m.macs == 2 * (10 * 16 * 48 + 2 * 10 * 10 * 16 + 10 * 16 * 16) == 26_880
    assert m.params == 16 * 48 + 48 + 16 * 16 + 16  # in_proj weight and bias, out_proj weight and bias: 1,088
    assert [s.dims for s in m.output.outputs] == [(10, 2, 16), (2, 10, 10)]  # the output, the averaged weights
    batch_first = cost(
        "multihead_attention",
        (2, 10, 16),
        (2, 10, 16),
        (2, 10, 16),
        embed_dim=16,
        num_heads=4,
        batch_first=True,
        need_weights=False,
    )
    assert batch_first.macs == m.macs and not batch_first.output.also
    cross = cost(
        "multihead_attention", (5, 16), (7, 8), (7, 12), embed_dim=16, num_heads=2, kdim=8, vdim=12, add_bias_kv=True
    )
    # q 5*16*16, k 7*8*16, v 7*12*16; 7 keys + 1 bias: 2*5*8*16; out 5*16*16
    assert cross.macs == 5 * 16 * 16 + 7 * 8 * 16 + 7 * 12 * 16 + 2 * 5 * 8 * 16 + 5 * 16 * 16
    assert cross.params == 16 * (16 + 8 + 12) + 16 * 16 + 4 * 16 + 2 * 16


def test_recurrent_layers():
    lstm = cost("lstm", (7, 2, 6), input_size=6, hidden_size=8, num_layers=2, bidirectional=True)
    # per step, sample and direction: 4*8*(6+8) in layer 1 and 4*8*(16+8) in layer 2; 7 steps, 2 samples
    assert lstm.macs == 7 * 2 * 2 * (4 * 8 * 14 + 4 * 8 * 24) == 34_048
    assert lstm.params == 2 * (4 * 8 * 14 + 8 * 8) + 2 * (4 * 8 * 24 + 8 * 8)  # and two biases of 4H each
    assert [s.dims for s in lstm.output.outputs] == [(7, 2, 16), (4, 2, 8), (4, 2, 8)]
    assert lstm.flops == 2 * lstm.macs + 2 * 2 * 2 * 7 * 8 * 13  # 13 per hidden unit, step, layer and direction
    gru = cost("gru", (7, 6), input_size=6, hidden_size=5)  # one sample: T x I
    assert gru.macs == 7 * 3 * 5 * (6 + 5) and [s.dims for s in gru.output.outputs] == [(7, 5), (1, 5)]
    projected = cost("lstm", (3, 4), input_size=4, hidden_size=6, proj_size=2)
    assert projected.macs == 3 * (4 * 6 * (4 + 2) + 6 * 2)  # the state is 2 wide, and projected from 6
    cell = cost("lstm_cell", (2, 3), input_size=3, hidden_size=4)
    assert cell.macs == 2 * 4 * 4 * (3 + 4) and cell.params == 4 * 4 * 7 + 8 * 4
