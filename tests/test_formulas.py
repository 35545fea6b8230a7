"""Each formula on small cases worked by hand, and invariants over every registered layer type."""

import pytest

from cnncost.errors import InputMismatch, ShapeError
from cnncost.layers import layer_type, layer_types
from cnncost.shapes import Shape

S = Shape


def cost(op, *inputs, **attrs):
    return layer_type(op).formula(*(S(i) for i in inputs), **attrs)


@pytest.mark.parametrize("op", sorted(layer_types()))
def test_every_type_gives_whole_non_negative_counts(op):
    spec = layer_type(op)
    result = cost(op, *spec.example.inputs, **spec.example.attributes)
    for value in (result.params, result.buffers, result.macs, result.flops):
        assert type(value) is int and value >= 0
    assert result.flops >= 2 * result.macs
    assert spec.doc, f"{op} needs a docstring giving its formula"


def test_conv_lecture_conv1():
    c = cost("conv2d", (3, 227, 227), out_channels=64, kernel_size=11, stride=4, padding=2)
    assert c.output == S((64, 56, 56))  # (227 + 2*2 - 11) // 4 + 1 = 56
    assert c.params == 23_296  # 64*3*11*11 + 64
    assert c.macs == 72_855_552  # (64*56*56) * (3*11*11) = 200704 * 363
    assert c.flops == 145_711_104


def test_conv_groups_dilation_rectangular_no_bias():
    c = cost(
        "conv2d",
        (4, 10, 12),
        out_channels=6,
        kernel_size=(3, 1),
        stride=(2, 1),
        padding=(1, 0),
        dilation=2,
        groups=2,
        bias=False,
    )
    # H: (10 + 2 - 2*(3-1) - 1) // 2 + 1 = 7 // 2 + 1 = 4; W: (12 + 0 - 0 - 1) // 1 + 1 = 12
    assert c.output == S((6, 4, 12))
    assert c.params == 6 * 2 * 3 * 1  # C_out * C_in/groups * kh * kw = 36
    assert c.macs == 6 * 4 * 12 * 2 * 3  # 288 outputs * 6 weights each = 1728


def test_conv_depthwise():
    c = cost("conv2d", (8, 5, 5), out_channels=8, kernel_size=3, padding=1, groups=8)
    assert c.params == 8 * 1 * 9 + 8  # 80
    assert c.macs == 8 * 5 * 5 * 9  # 1800


def test_conv_errors_name_the_sizes():
    with pytest.raises(ShapeError, match="output would be 0x0 from 3x8x8"):
        cost("conv2d", (3, 8, 8), out_channels=4, kernel_size=11)
    with pytest.raises(ShapeError, match="groups=4 must divide both the input channels \\(6\\)"):
        cost("conv2d", (6, 8, 8), out_channels=8, kernel_size=1, groups=4)
    with pytest.raises(ShapeError, match="expects a CxHxW input \\(or NxCxHxW with a batch\\), got 10"):
        cost("conv2d", (10,), out_channels=4, kernel_size=1)
    with pytest.raises(ShapeError, match="stride must be at least 1"):
        cost("conv2d", (3, 8, 8), out_channels=4, kernel_size=1, stride=0)


def test_max_pool_floor_and_ceil():
    floor = cost("max_pool2d", (64, 56, 56), kernel_size=3, stride=2)
    assert floor.output == S((64, 27, 27))  # (56 - 3) // 2 + 1 = 27
    assert floor.flops == 64 * 27 * 27 * 9  # 419,904 comparisons
    ceil = cost("max_pool2d", (64, 112, 112), kernel_size=3, stride=2, ceil_mode=True)
    assert ceil.output == S((64, 56, 56))  # ceil((112 - 3) / 2) + 1 = 55 + 1 = 56
    # ceil_mode drops a window that would start in the right padding: 4 -> ceil(3/2)+1 = 3, but (3-1)*2 >= 4
    assert cost("max_pool2d", (1, 4, 4), kernel_size=2, stride=2, ceil_mode=True).output == S((1, 2, 2))
    assert cost("max_pool2d", (1, 5, 5), kernel_size=2, stride=2, ceil_mode=True).output == S((1, 3, 3))


def test_pool_padding_and_default_stride():
    p = cost("max_pool2d", (8, 56, 56), kernel_size=3, stride=1, padding=1)
    assert p.output == S((8, 56, 56))
    assert cost("avg_pool2d", (3, 6, 6), kernel_size=2).output == S((3, 3, 3))  # stride defaults to 2
    with pytest.raises(ShapeError, match="more than half the kernel"):
        cost("max_pool2d", (3, 6, 6), kernel_size=2, padding=2)


def test_adaptive_pool_windows():
    # 7 -> 3: windows [0,3) [2,5) [4,7): lengths 3, 3, 3, so 9 per axis; 4 channels * 9 * 9 = 324
    a = cost("adaptive_avg_pool2d", (4, 7, 7), output_size=3)
    assert a.output == S((4, 3, 3)) and a.flops == 324
    # 6 -> 6 is the identity: window length 1 each, 256 * 6 * 6 = 9216
    assert cost("adaptive_avg_pool2d", (256, 6, 6), output_size=6).flops == 9216
    # 7 -> 1 reads everything once: 2048 * 49
    assert cost("adaptive_avg_pool2d", (2048, 7, 7), output_size=1).flops == 100_352
    assert cost("global_avg_pool2d", (2048, 7, 7)).flops == 100_352


def test_linear_and_flatten():
    f = cost("flatten", (256, 6, 6))
    assert f.output == S((9216,)) and f.flops == 0
    fc = cost("linear", (9216,), out_features=4096)
    assert fc.params == 37_752_832  # 9216*4096 + 4096
    assert fc.macs == 37_748_736  # 9216*4096
    assert cost("linear", (10,), out_features=5, bias=False).params == 50
    # as in torch, a linear acts on the last dimension: 256*6 rows of 6 features each
    wide = cost("linear", (256, 6, 6), out_features=10)
    assert wide.output == S((256, 6, 10)) and wide.params == 6 * 10 + 10 and wide.macs == 256 * 6 * 6 * 10


def test_reshape_mean_matmul():
    assert cost("reshape", (256, 6, 6), shape=(9216,)).output == S((9216,))
    with pytest.raises(ShapeError, match="cannot reshape 256x6x6 \\(9216 elements\\) to 9000"):
        cost("reshape", (256, 6, 6), shape=(9000,))
    m = cost("mean", (2048, 7, 7), dim=(1, 2))
    assert m.output == S((2048,)) and m.flops == 2048 * 49
    assert cost("mean", (2048, 7, 7), dim=(1, 2), keepdim=True).output == S((2048, 1, 1))
    s = cost("sum", (3, 4, 5), dim=0, keepdim=True)  # a sum over channels: 60 additions
    assert s.output == S((1, 4, 5)) and s.flops == 60
    assert cost("amax", (3, 4, 5), dim=(0, 2)).output == S((4,))
    mm = cost("matmul", (8, 16, 32), (8, 32, 4))  # 8 heads of (16x32)(32x4)
    assert mm.output == S((8, 16, 4)) and mm.macs == 8 * 16 * 32 * 4
    assert cost("matmul", (16, 32), (32, 4)).output == S((16, 4))
    with pytest.raises(InputMismatch):
        cost("matmul", (16, 32), (16, 4))


def test_uncounted_is_flagged_not_zero():
    u = cost("uncounted", (2, 3, 4), output_shape=(7,), source="torch.erf")
    assert u.output == S((7,)) and not u.counted


def test_batch_norm_params_and_buffers():
    b = cost("batch_norm2d", (64, 112, 112))
    assert b.params == 128  # gamma, beta: 2 * 64
    assert b.buffers == 129  # running mean, running var: 2 * 64, plus num_batches_tracked
    assert b.flops == 2 * 64 * 112 * 112


def test_elementwise_costs():
    r = cost("relu", (64, 56, 56), inplace=True)
    assert r.flops == 200_704 and r.in_place  # 64 * 56 * 56
    assert not cost("relu", (2, 2, 2)).in_place
    assert cost("dropout", (4096,)).in_place and cost("dropout", (4096,)).flops == 0
    assert cost("local_response_norm", (96, 55, 55), size=5).flops == 9 * 96 * 55 * 55  # (5 + 4) per element
    assert cost("softmax", (1000,)).flops == 3000


def test_merges():
    c = cost("concat", (64, 28, 28), (128, 28, 28), (32, 28, 28), (32, 28, 28))
    assert c.output == S((256, 28, 28)) and c.flops == 0  # 64 + 128 + 32 + 32
    a = cost("add", (256, 56, 56), (256, 56, 56))
    assert a.flops == 256 * 56 * 56  # one add per element
    assert cost("add", (4, 2, 2), (4, 2, 2), (4, 2, 2)).flops == 2 * 16
    m = cost("multiply", (64, 7, 7), (64, 1, 1))  # a squeeze-and-excitation gate
    assert m.output == S((64, 7, 7)) and m.flops == 64 * 49


def test_merge_mismatches_say_which_inputs():
    with pytest.raises(InputMismatch) as raised:
        cost("concat", (64, 28, 28), (64, 28, 28), (32, 14, 14))
    assert (raised.value.first, raised.value.second) == (0, 2)
    with pytest.raises(InputMismatch):
        cost("add", (64, 28, 28), (32, 28, 28))


def test_slice_and_shuffle_move_data_without_arithmetic():
    half = cost("slice", (116, 28, 28), start=58, end=116)
    assert half.output == S((58, 28, 28)) and half.flops == 0 and half.macs == 0
    assert cost("channel_shuffle", (116, 28, 28), groups=2).output == S((116, 28, 28))
    with pytest.raises(ShapeError, match="slice 0:200 does not fit in size 116"):
        cost("slice", (116, 28, 28), start=0, end=200)
    with pytest.raises(ShapeError, match="groups=3 must divide the channels \\(116\\)"):
        cost("channel_shuffle", (116, 28, 28), groups=3)


def test_elementwise_arithmetic():
    assert cost("elementwise", (4, 2, 2), (4, 2, 2), operation="sub").flops == 16  # one subtraction per element
    assert cost("elementwise", (4, 2, 2), operation="mul", constant=0.5).flops == 16  # x * 0.5
    assert cost("elementwise", (4, 2, 2), (4, 1, 1), operation="div").output == S((4, 2, 2))
