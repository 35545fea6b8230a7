"""Norms, activations, interpolation and reductions, by hand."""

import pytest

from cnncost.errors import ShapeError
from cnncost.layers import layer_type
from cnncost.shapes import Shape as S


def cost(op, *inputs, **attrs):
    return layer_type(op).formula(*(S(i) for i in inputs), **attrs)


def test_layer_norm_over_the_last_dimension():
    n = cost("layer_norm", (197, 768), normalized_shape=768)
    assert n.params == 2 * 768  # weight and bias
    assert n.flops == (5 + 2) * 197 * 768  # statistics 5 per element, scale and shift 2
    assert cost("layer_norm", (10, 4), normalized_shape=4, bias=False).params == 4
    assert cost("layer_norm", (10, 4), normalized_shape=4, elementwise_affine=False).flops == 5 * 40
    with pytest.raises(ShapeError, match="normalized_shape \\[5\\] is not the last dimensions of 10x4"):
        cost("layer_norm", (10, 4), normalized_shape=5)


def test_group_instance_and_rms_norm():
    g = cost("group_norm", (16, 8, 8), num_groups=4)
    assert g.params == 2 * 16 and g.flops == 7 * 16 * 64  # 5 + 2 affine per element
    assert cost("group_norm", (2, 16, 8, 8), num_groups=4, num_channels=16).params == 32  # a batch: N x C x H x W
    with pytest.raises(ShapeError, match="num_groups=3 must divide the channels \\(16\\)"):
        cost("group_norm", (16, 8, 8), num_groups=3)
    i = cost("instance_norm2d", (16, 8, 8))
    assert i.params == 0 and i.buffers == 0 and i.flops == 5 * 16 * 64  # no affine, no running statistics
    tracked = cost("instance_norm2d", (16, 8, 8), affine=True, track_running_stats=True)
    assert tracked.params == 32 and tracked.buffers == 33 and tracked.flops == 2 * 16 * 64  # as a batch norm
    r = cost("rms_norm", (5, 6), normalized_shape=6)
    assert r.params == 6 and r.flops == 4 * 30  # square, mean, scale, and the weight


def test_batch_norm_in_one_and_three_dimensions():
    b1 = cost("batch_norm1d", (256,))  # after a flatten: one value per channel
    assert b1.params == 512 and b1.buffers == 513 and b1.flops == 2 * 256
    assert cost("batch_norm1d", (8, 100)).params == 16  # one sample's C x L
    assert cost("batch_norm1d", (4, 8), num_features=8).params == 16  # a batch's N x C, told by num_features
    b3 = cost("batch_norm3d", (64, 16, 56, 56))
    assert b3.params == 128 and b3.flops == 2 * 64 * 16 * 56 * 56


def test_activations_and_their_attributes():
    assert cost("gelu", (197, 3072)).flops == 197 * 3072  # 1 per element, the erf counted as one
    assert cost("gelu", (4,), approximate="tanh").flops == 4
    assert cost("leaky_relu", (2, 3), negative_slope=0.2, inplace=True).in_place
    p = cost("prelu", (16, 8, 8), num_parameters=16)
    assert p.params == 16 and p.flops == 16 * 64
    with pytest.raises(ShapeError, match="num_parameters=5 is neither 1 nor the channel count"):
        cost("prelu", (16, 8, 8), num_parameters=5)
    glu = cost("glu", (4, 6), dim=1)
    assert glu.output == S((4, 3)) and glu.flops == 2 * 12  # a sigmoid and a product per output element
    assert cost("log_softmax", (2, 10), dim=-1).flops == 3 * 20


def test_interpolation_by_mode():
    up = cost("interpolate", (3, 4, 4), scale_factor=2, mode="bilinear")
    assert up.output == S((3, 8, 8)) and up.flops == 7 * 3 * 64  # 4 products and 3 sums per output element
    assert cost("interpolate", (3, 4, 4), scale_factor=2).flops == 0  # nearest: a copy
    assert cost("interpolate", (3, 10), size=20, mode="linear").flops == 3 * 3 * 20
    assert cost("interpolate", (2, 4, 4, 4), scale_factor=2, mode="trilinear").flops == 15 * 2 * 8 * 8 * 8
    assert cost("interpolate", (3, 4, 4), size=(6, 6), mode="bicubic").flops == 31 * 3 * 36
    # area from 8 to 4 is an adaptive average pool: windows of 2, 8 additions per axis, 3 channels x 8 x 8
    assert cost("interpolate", (3, 8, 8), size=(4, 4), mode="area").flops == 3 * 8 * 8
    assert cost("interpolate", (3, 5, 5), scale_factor=1.5).output == S((3, 7, 7))  # floor(5 x 1.5)
    # a batch, N x C x H x W, as a traced network gives it: the scale names the dims it resizes
    assert cost("interpolate", (2, 3, 5, 5), scale_factor=(1.5, 2)).output == S((2, 3, 7, 10))
    with pytest.raises(ShapeError, match="exactly one of size and scale_factor"):
        cost("interpolate", (3, 4, 4))


def test_reductions_sorting_and_normalize():
    assert cost("mean", (2, 3, 4)).output == S(()) and cost("mean", (2, 3, 4)).flops == 24  # every dimension
    assert cost("var", (8, 10), dim=1).flops == 4 * 80  # mean, difference, square, sum
    m = cost("max", (3, 5), dim=1)
    assert [s.dims for s in m.output.outputs] == [(3,), (3,)]  # values and indices
    s = cost("sort", (4, 8), dim=1)
    assert s.flops == 3 * 32  # ceil(log2 8) = 3 comparisons per element
    t = cost("topk", (4, 8), k=3, dim=1)
    assert t.output.dims == (4, 3) and t.flops == 2 * 32  # a heap of 3: ceil(log2 3) = 2
    assert cost("normalize", (4, 5), dim=1).flops == 3 * 20
