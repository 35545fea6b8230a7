"""The recorder's shortcuts: an op whose output shape is plain is made without running it on the meta device. Each
shortcut must give torch's own shape and dtype, and must decline (run torch) wherever torch would refuse the call."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
F = torch.nn.functional

import cnncost  # noqa: E402
from cnncost.trace import meta_shapes  # noqa: E402
from cnncost.trace.meta_shapes import JOIN, POINTWISE, RECURRENT_GATES, SHAPES, same_shape_functions  # noqa: E402


def meta(*shape, dtype=torch.float32):
    return torch.empty(*shape, device="meta", dtype=dtype)


x4 = meta(2, 16, 8, 8)
seq = meta(2, 10, 32)
weight = meta(24, 32)
bias = meta(24)

# (name the recorder sees, the function torch runs, args, kwargs[, why the shortcut leaves it to torch]); the ones
# marked refused torch rejects. A name ending in _ is the op in place (add_), one ending in @r reflected (__rsub__).
CASES = [
    ("linear", F.linear, (seq, weight, bias), {}),
    ("linear", F.linear, (meta(32), weight), {}),
    ("linear", F.linear, (seq, weight), {"bias": bias}),
    ("linear", F.linear, (seq, meta(24, 31), bias), {}),  # refused: 32 features into 31
    ("linear", F.linear, (seq, weight, meta(23)), {}),  # refused: bias of 23
    ("mean", torch.mean, (x4, (2, 3)), {}),
    ("mean", torch.mean, (x4, [-1, -2]), {"keepdim": True}),
    ("mean", torch.mean, (x4, 1), {}),
    ("mean", torch.mean, (x4,), {"dim": (0, 3), "keepdim": False}),
    ("mean", torch.mean, (x4, (1, 1)), {}),  # refused: a dim twice
    ("mean", torch.mean, (x4, 4), {}),  # refused: out of range
    ("mean", torch.mean, (x4,), {}, "all dims"),
    ("cat", torch.cat, ([x4, meta(2, 3, 8, 8)], 1), {}),
    ("cat", torch.cat, ([x4, x4],), {"dim": -1}),
    ("cat", torch.cat, ((seq, seq, seq), 0), {}),
    ("cat", torch.cat, ([x4, meta(2, 3, 7, 8)], 1), {}),  # refused: sizes differ outside dim
    ("cat", torch.cat, ([x4, seq], 1), {}),  # refused: ranks differ
    ("stack", torch.stack, ([seq, seq], 1), {}),
    ("stack", torch.stack, ([seq, seq],), {"dim": -1}),
    ("stack", torch.stack, ([seq, meta(2, 10, 31)], 0), {}),  # refused: shapes differ
    (
        "scaled_dot_product_attention",
        F.scaled_dot_product_attention,
        (meta(2, 4, 10, 8), meta(2, 4, 7, 8), meta(2, 4, 7, 5)),
        {},
    ),
    ("scaled_dot_product_attention", F.scaled_dot_product_attention, (meta(2, 4, 10, 8),) * 3, {"is_causal": True}),
    (
        "scaled_dot_product_attention",
        F.scaled_dot_product_attention,
        (meta(2, 4, 10, 8), meta(2, 4, 7, 9), meta(2, 4, 7, 5)),
        {},
    ),  # refused: 8 vs 9
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (x4, 1), {}),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (x4, (3, None)), {}),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (meta(16, 8, 8), (7, 7)), {}),
    ("adaptive_avg_pool1d", F.adaptive_avg_pool1d, (seq, 4), {}),
    ("adaptive_avg_pool3d", F.adaptive_avg_pool3d, (meta(1, 4, 6, 8, 8), (2, 3, 1)), {}),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (x4, 0), {}, "an empty output"),
    ("add", torch.add, (x4, meta(16, 1, 1)), {}),
    ("mul", torch.mul, (meta(16, 1, 1), x4), {}),
    ("add", torch.add, (x4, 2.0), {}),
    ("add", torch.add, (x4, meta(3, 1, 1)), {}),  # refused: 16 and 3 do not broadcast
    ("relu", F.relu, (x4,), {}),
    ("relu", F.relu, (x4,), {"inplace": True}),
    ("hardtanh", F.hardtanh, (x4,), {"min_val": 0.0, "max_val": 6.0, "inplace": True}),
    ("layer_norm", F.layer_norm, (seq, (32,), meta(32), meta(32)), {}),
    ("layer_norm", F.layer_norm, (seq, (31,), meta(31), meta(31)), {}),  # refused: the last dim is 32
    ("batch_norm", F.batch_norm, (x4, meta(16), meta(16)), {}),
    ("batch_norm", F.batch_norm, (x4, meta(15), meta(15)), {}),  # refused: 16 channels
    ("softmax", torch.softmax, (seq, -1), {}),
    ("conv2d", F.conv2d, (x4, meta(8, 16, 3, 3), meta(8), 2, 1), {}),
    ("conv2d", F.conv2d, (x4, meta(8, 4, 3, 3)), {"groups": 4, "dilation": 2}),
    ("conv2d", F.conv2d, (meta(16, 8, 8), meta(8, 16, 1, 1)), {}),
    ("conv1d", F.conv1d, (meta(2, 32, 10), meta(6, 32, 3)), {"padding": 1, "stride": (2,)}),
    ("conv3d", F.conv3d, (meta(1, 4, 5, 8, 8), meta(6, 4, 3, 3, 3), None, (1, 2, 2), (1, 1, 1)), {}),
    ("conv2d", F.conv2d, (x4, meta(8, 16, 3, 3)), {"padding": "same"}, "a padding by name"),
    ("conv2d", F.conv2d, (x4, meta(8, 15, 3, 3)), {}),  # refused: 16 channels into 15
    ("conv2d", F.conv2d, (x4, meta(8, 16, 9, 9)), {}),  # refused: the kernel is larger than the input
    ("conv2d", F.conv2d, (x4, meta(6, 4, 3, 3)), {"groups": 4}),  # refused: 6 outputs in 4 groups
    ("max_pool2d", F.max_pool2d, (meta(1, 3, 9, 9), 3), {"stride": 2, "ceil_mode": True}),
    ("max_pool2d", F.max_pool2d, (meta(1, 3, 10, 10), 3, 2, 1, 2, True), {}),
    ("max_pool1d", F.max_pool1d, (seq, 2), {}),
    ("max_pool3d", F.max_pool3d, (meta(1, 4, 5, 8, 8), (1, 2, 2)), {}),
    ("max_pool2d", F.max_pool2d, (x4, 2), {"return_indices": True}, "two outputs"),
    ("max_pool2d", F.max_pool2d, (x4, 3), {"padding": 2}),  # refused: padding over half the kernel
    ("avg_pool2d", F.avg_pool2d, (meta(1, 3, 9, 9), 3, 2, 1, True, False, None), {}),
    ("avg_pool2d", F.avg_pool2d, (meta(1, 3, 9, 9), 2), {"ceil_mode": True}),
    ("avg_pool1d", F.avg_pool1d, (seq, 3, 1, 1), {}),
    ("avg_pool2d", F.avg_pool2d, (x4, 16), {}),  # refused: the window is larger than the input
]


def rnn_weights(gates, inputs, hidden, layers=1, directions=1, bias=True, projection=0):
    """The flat weights nn.LSTM, GRU or RNN passes: per layer and direction w_ih, w_hh, [b_ih, b_hh], [w_hr]."""
    state = projection or hidden
    weights = []
    for layer in range(layers):
        width = inputs if layer == 0 else directions * state
        one = [meta(gates * hidden, width), meta(gates * hidden, state)]
        one += [meta(gates * hidden), meta(gates * hidden)] if bias else []
        one += [meta(projection, hidden)] if projection else []
        weights += one * directions
    return weights


q4, k4, v4 = meta(2, 4, 10, 8), meta(2, 4, 7, 8), meta(2, 4, 7, 5)
heads_last = meta(2, 10, 3, 3, 8).permute(2, 0, 3, 1, 4)  # q, k, v as timm unbinds them from one projection
tokens_first = meta(10, 2, 3, 8).permute(1, 2, 0, 3)  # dense, tokens outermost: the fused kernel's result alike
columns = meta(2, 3, 8, 10).transpose(2, 3)  # the last dim strided: the composite kernel, contiguous
x_last = meta(2, 8, 6, 5).permute(0, 2, 3, 1)  # N x H x W x C, as permuted from N x C x H x W
images_last = meta(2, 6, 5, 8).permute(0, 3, 1, 2)  # N x C x H x W laid out channels last (memory_format)
sdpa = F.scaled_dot_product_attention
CASES += [
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": None, "dropout_p": 0.0}),  # as timm calls it
    ("scaled_dot_product_attention", sdpa, tuple(heads_last.unbind(0)), {"attn_mask": None}),
    ("scaled_dot_product_attention", sdpa, tuple(heads_last.unbind(0)), {"dropout_p": 0.1}),  # composite
    ("scaled_dot_product_attention", sdpa, (tokens_first,) * 3, {}),
    ("scaled_dot_product_attention", sdpa, (columns,) * 3, {}),
    ("scaled_dot_product_attention", sdpa, (meta(2, 4, 10, 8, dtype=torch.bfloat16),) * 3, {"is_causal": True}),
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4, meta(10, 7)), {}),  # an additive mask, broadcast
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": meta(2, 1, 10, 7, dtype=torch.bool)}),
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": meta(1, 1, 1, 7)}),
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": meta(10, 6)}),  # refused: 6 keys, not 7
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": meta(3, 2, 4, 10, 7)}),  # refused: grows
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"attn_mask": meta(10, 7, dtype=torch.float16)}),  # refused
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4, meta(10, 7)), {"is_causal": True}),  # refused: both
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"dropout_p": 0.1, "scale": 0.25}),
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4), {"dropout_p": 1.5}),  # refused
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4, None, 0.0, True), {"scale": 0.5}),  # all it takes by position
    ("scaled_dot_product_attention", sdpa, (q4, k4, v4, None, 0.0, True, 0.5), {}),  # refused: scale by keyword only
    ("scaled_dot_product_attention", sdpa, (meta(10, 8), meta(7, 8), meta(7, 5)), {}),  # no batch
    ("scaled_dot_product_attention", sdpa, (meta(4, 10, 8), k4, v4), {}),  # q's batch broadcast
    ("scaled_dot_product_attention", sdpa, (q4, meta(2, 1, 7, 8), meta(2, 1, 7, 5)), {}),  # one head of keys
    ("scaled_dot_product_attention", sdpa, (q4, meta(2, 2, 7, 8), meta(2, 2, 7, 5)), {"enable_gqa": True}),
    ("scaled_dot_product_attention", sdpa, (q4, meta(2, 2, 7, 8), meta(2, 2, 7, 5)), {}),  # refused: 4 and 2 heads
    ("scaled_dot_product_attention", sdpa, (q4, meta(2, 3, 7, 8), meta(2, 3, 7, 5)), {"enable_gqa": True}),  # refused
    ("scaled_dot_product_attention", sdpa, (q4, k4, meta(2, 4, 6, 5)), {}),  # refused: 7 keys, 6 values
    ("scaled_dot_product_attention", sdpa, (q4, k4, meta(2, 4, 7, 5, dtype=torch.float64)), {}),  # refused: dtypes
    (
        "lstm",
        torch.lstm,
        (meta(7, 3, 6), [meta(1, 3, 8), meta(1, 3, 8)], rnn_weights(4, 6, 8), True, 1, 0.0, False, False, False),
        {},
    ),
    (
        "lstm",
        torch.lstm,
        (meta(3, 7, 6), [meta(4, 3, 8), meta(4, 3, 8)], rnn_weights(4, 6, 8, 2, 2), True, 2, 0.0, False, True, True),
        {},
    ),
    (
        "lstm",
        torch.lstm,
        (
            meta(3, 7, 6),
            [meta(2, 3, 5), meta(2, 3, 8)],
            rnn_weights(4, 6, 8, 1, 2, False, 5),
            False,
            1,
            0.0,
            False,
            True,
            True,
        ),
        {},
    ),
    (
        "lstm",
        torch.lstm,
        (
            meta(7, 3, 6),
            [meta(2, 3, 5), meta(2, 3, 8)],
            rnn_weights(4, 6, 8, 2, 1, True, 5),
            True,
            2,
            0.5,
            False,
            False,
            False,
        ),
        {},
    ),
    (
        "lstm",
        torch.lstm,
        (meta(7, 3, 6), [meta(1, 3, 8), meta(1, 3, 8)], rnn_weights(4, 5, 8), True, 1, 0.0, False, False, False),
        {},
        "weights for 5 features where 6 come: torch.lstm does not check them (nn.LSTM does)",
    ),
    (
        "lstm",
        torch.lstm,
        (
            meta(7, 3, 6),
            [meta(1, 3, 8), meta(1, 3, 8)],
            rnn_weights(4, 6, 8, bias=False),
            True,
            1,
            0.0,
            False,
            False,
            False,
        ),
        {},
    ),  # refused: no biases
    (
        "gru",
        torch.gru,
        (meta(7, 3, 6), meta(2, 3, 8), rnn_weights(3, 6, 8, 1, 2), True, 1, 0.0, False, True, False),
        {},
    ),
    ("gru", torch.gru, (meta(3, 7, 6), meta(2, 3, 8), rnn_weights(3, 6, 8, 2), True, 2, 0.0, False, False, True), {}),
    (
        "rnn_tanh",
        torch.rnn_tanh,
        (meta(3, 7, 6), meta(1, 3, 8), rnn_weights(1, 6, 8), True, 1, 0.0, False, False, True),
        {},
    ),
    (
        "rnn_relu",
        torch.rnn_relu,
        (meta(7, 3, 6), meta(2, 3, 8), rnn_weights(1, 6, 8, 1, 2, False), False, 1, 0.0, False, True, False),
        {},
    ),
    (
        "rnn_relu",
        torch.rnn_relu,
        (meta(7, 3, 6), meta(2, 4, 8), rnn_weights(1, 6, 8, 1, 2), True, 1, 0.0, False, True, False),
        {},
    ),  # refused: batch 4 in the state
    ("lstm_cell", torch.lstm_cell, (meta(3, 6), (meta(3, 8), meta(3, 8)), *rnn_weights(4, 6, 8)), {}),
    ("lstm_cell", torch.lstm_cell, (meta(3, 6), (meta(3, 8), meta(3, 8)), *rnn_weights(4, 6, 8, bias=False)), {}),
    ("gru_cell", torch.gru_cell, (meta(3, 6), meta(3, 8), *rnn_weights(3, 6, 8)), {}),
    ("gru_cell", torch.gru_cell, (meta(3, 6), meta(3, 8), *rnn_weights(3, 5, 8)), {}),  # refused: 6 features into 5
    ("rnn_tanh_cell", torch.rnn_tanh_cell, (meta(3, 6), meta(3, 8), *rnn_weights(1, 6, 8)), {}),
    ("rnn_relu_cell", torch.rnn_relu_cell, (meta(3, 6), meta(3, 8), *rnn_weights(1, 6, 8)), {}),
    ("interpolate", F.interpolate, (x4,), {"scale_factor": 2.0}),
    ("interpolate", F.interpolate, (x4, (5, 11)), {"mode": "bilinear", "align_corners": True}),
    ("interpolate", F.interpolate, (x4,), {"scale_factor": (1.5, 0.7), "mode": "bicubic"}),
    ("interpolate", F.interpolate, (x4,), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ("interpolate", F.interpolate, (x4, 3, None, "nearest-exact"), {}),
    ("interpolate", F.interpolate, (seq,), {"scale_factor": 3, "mode": "linear"}),
    ("interpolate", F.interpolate, (meta(1, 2, 3, 4, 5),), {"size": (6, 8, 10), "mode": "trilinear"}),
    ("interpolate", F.interpolate, (x4,), {"scale_factor": 0.5, "mode": "bilinear", "antialias": True}, "antialias"),
    ("interpolate", F.interpolate, (x4,), {"size": 6, "mode": "area"}, "an adaptive pool"),
    ("interpolate", F.interpolate, (x_last.permute(0, 3, 1, 2),), {"scale_factor": 2.0}),  # channels last: torch's
    ("interpolate", F.interpolate, (seq,), {"scale_factor": 2.0, "mode": "bilinear"}),  # refused: 3-d input
    ("interpolate", F.interpolate, (images_last,), {"size": (9, 7), "mode": "bilinear", "align_corners": False}),
    ("interpolate", F.interpolate, (images_last,), {"scale_factor": 2.0}),
    ("conv2d", F.conv2d, (images_last, meta(4, 8, 3, 3), meta(4)), {"padding": 1}),
    ("conv2d", F.conv2d, (images_last, meta(8, 1, 3, 3)), {"groups": 8, "stride": 2}),
    ("max_pool2d", F.max_pool2d, (images_last, 2), {}),
    ("avg_pool2d", F.avg_pool2d, (images_last, 3, 1, 1), {}),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (images_last, 1), {}),
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (images_last, (3, 2)), {}),
    ("conv2d", F.conv2d, (meta(2, 24, 6, 5)[:, 8:16], meta(4, 8, 1, 1)), {}),  # a chunk of channels
    ("conv2d", F.conv2d, (images_last[:, :4], meta(8, 1, 3, 3)), {"groups": 4}),  # a chunk of channels last
    ("conv2d", F.conv2d, (meta(2, 8, 6, 5), meta(4, 3, 3, 8).permute(0, 3, 1, 2)), {}),  # weights channels last
    ("max_pool2d", F.max_pool2d, (meta(2, 24, 6, 5)[:, 8:16], 2), {}),
    ("interpolate", F.interpolate, (x_last,), {"scale_factor": 2.0, "mode": "bilinear"}),  # permuted, not images
    ("interpolate", F.interpolate, (x4,), {"size": 6, "scale_factor": 2.0}),  # refused: both
    ("interpolate", F.interpolate, (x4,), {"scale_factor": 2.0, "align_corners": True}),  # refused: nearest
    ("interpolate", F.interpolate, (x4,), {"size": (6, 6, 6)}),  # refused: three sizes for two dims
    ("interpolate", F.interpolate, (x4,), {"scale_factor": 0.1}),  # refused: nothing left
    ("add_", torch.Tensor.add_, (x4, meta(16, 1, 1)), {}),
    ("add_", torch.Tensor.__iadd__, (x_last, meta(5)), {}),
    ("mul_", torch.Tensor.mul_, (x4, 0.5), {}),
    ("add_", torch.Tensor.add_, (meta(16, 1, 1), x4), {}),  # refused: in place cannot grow
    ("add_", torch.Tensor.add_, (meta(16, 1, 1).expand(16, 8, 8), 1.0), {}),  # refused: overlapping elements
    ("add", torch.add, (x4, x4), {"alpha": 2}),
    ("add", torch.add, (x_last, meta(8, 1, 1)), {}),  # the layout of the permuted input
    ("mul", torch.mul, (meta(5), x_last), {}),
    ("sub@r", torch.Tensor.__rsub__, (x_last, 1.0), {}),
    ("div", torch.div, (x4, meta(8, 1)), {"rounding_mode": "floor"}),
    ("div", torch.div, (x4, meta(8, 1)), {"rounding_mode": "up"}),  # refused
    ("pow", torch.pow, (x_last, 2), {}),
    ("pow", torch.pow, (x4, meta(1, 16, 1, 1)), {}),
    ("maximum", torch.maximum, (x4, meta(8)), {}),
    ("clamp", torch.clamp, (x4,), {"max": 4.6}),
    ("clamp", torch.clamp, (x4, None, meta(1)), {}),
    ("clamp", torch.clamp, (x4,), {}),  # refused: neither bound
    ("clamp_min", torch.clamp_min, (x_last, 0.0), {}),
    ("addcmul", torch.addcmul, (seq, seq, meta(32)), {"value": 0.5}),
    ("addcdiv", torch.addcdiv, (seq, meta(10, 1), seq), {}),
    ("lerp", torch.lerp, (seq, seq, 0.3), {}),
    ("lerp", torch.lerp, (seq, seq, meta(32)), {}),
    ("round", torch.round, (x4,), {"decimals": 2}),
    ("nan_to_num", torch.nan_to_num, (x4, 0.0, None, None), {}),
    ("exp2", torch.exp2, (x_last,), {}),
    ("log1p", torch.log1p, (x4,), {}),
    ("erfinv", torch.erfinv, (x4,), {}),
    ("sub", torch.sub, (x4, meta(8, dtype=torch.float64)), {}, "two dtypes"),
    ("add", torch.add, (x4, None), {}),  # refused: None
    ("add", torch.add, (x4, meta(3, 1)), {}),  # refused: 8 and 3 do not broadcast
    ("sum", torch.sum, (x4, (2, 3)), {}),
    ("sum", torch.sum, (x_last, 1), {"keepdim": True}),
    ("sum", torch.sum, (x4,), {}, "all dims"),
    ("sum", torch.sum, (x4, 1), {"dtype": torch.float64}, "a dtype"),
    ("amax", torch.amax, (x_last, -1), {}),
    ("amin", torch.amin, (x4, (0, 1)), {"keepdim": True}),
    ("amax", torch.amax, (x4, 4), {}),  # refused: out of range
    ("norm", torch.norm, (x4,), {"p": 2, "dim": (2, 3), "keepdim": True}),
    ("norm", torch.norm, (x_last, "fro", (1, 2)), {}),
    ("norm", torch.linalg.vector_norm, (x4, 1, -1), {}),
    ("norm", torch.linalg.vector_norm, (x4,), {"ord": 3.5, "dim": 0, "keepdim": False}),
    ("norm", torch.norm, (x4,), {}, "all dims"),
    ("norm", torch.norm, (x4, "nuc", (2, 3)), {}, "a matrix norm"),
    ("matmul", torch.matmul, (seq, meta(32, 6)), {}),
    ("matmul", torch.matmul, (q4, k4.transpose(-2, -1)), {}),
    ("matmul", torch.matmul, (meta(3, 6, 5).transpose(1, 2), meta(6, 4)), {}),
    ("matmul", torch.matmul, (meta(2, 1, 5, 6), meta(3, 6, 4)), {}),
    ("matmul", torch.matmul, (meta(5, 6), meta(6, 4)), {}),
    ("matmul", torch.matmul, (meta(5, 6), meta(3, 6, 4)), {}, "a matrix times a batch, made transposed"),
    ("matmul", torch.matmul, (meta(5, 6), meta(6)), {}, "a vector"),
    ("matmul", torch.matmul, (q4, k4), {}),  # refused: 8 and 7
    ("matmul", torch.matmul, (meta(2, 5, 6), meta(3, 6, 4)), {}),  # refused: batches 2 and 3
    ("matmul@r", torch.Tensor.__rmatmul__, (meta(6, 4), meta(5, 6)), {}, "reflected"),
    ("roll", torch.roll, (x_last, (1, 2), (1, 2)), {}),
    ("roll", torch.roll, (x4, 3), {}),
    ("roll", torch.roll, (x4, -2, 1), {}),
    ("roll", torch.roll, (x4, (1, 2), 1), {}),  # refused: two shifts for one dim
    ("roll", torch.roll, (x4, 1, 4), {}),  # refused: out of range
    ("contiguous", torch.Tensor.contiguous, (x4,), {}),
    ("contiguous", torch.Tensor.contiguous, (x_last,), {}),
    ("cat", torch.cat, ([meta(2, 1, 8).expand(2, 1, 8), meta(2, 8, 5).transpose(1, 2)], 1), {}),  # a class token
    ("stack", torch.stack, ([seq[..., 1::2], seq[..., ::2]], -1), {}),  # rotary embeddings, as timm's EVA writes them
    ("stack", torch.stack, ([meta(2, 10, 3, 16)[..., ::2].permute(0, 2, 1, 3)] * 2, -1), {}),
    ("cat", torch.cat, ([images_last, images_last], 1), {}),  # channels last, kept
    ("cat", torch.cat, ([images_last, meta(2, 8, 6, 5)], 0), {}),  # one contiguous: contiguous
    ("cat", torch.cat, ([x_last, x_last], -1), {}),  # permuted, not channels last: contiguous
    ("stack", torch.stack, ([images_last, images_last], 1), {}, "channels last, stacked: five dims"),
]


def on_cpu(value):
    """A CPU tensor of a meta tensor's shape, dtype and strides (expanded and permuted ones too), with data; lists and
    tuples of them alike."""
    if isinstance(value, torch.Tensor):
        size = 1 + sum((n - 1) * s for n, s in zip(value.shape, value.stride(), strict=True)) if value.numel() else 0
        data = torch.rand(size) > 0.5 if value.dtype == torch.bool else torch.randn(size).to(value.dtype)
        return data.as_strided(value.shape, value.stride())
    if isinstance(value, dict):
        return {key: on_cpu(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(on_cpu(v) for v in value)
    return value


def layout(tensor):
    """The strides that say how a tensor is laid out: those of its dims of more than one element (torch ignores the
    others, and they may differ between equal layouts)."""
    return tuple(stride for size, stride in zip(tensor.shape, tensor.stride(), strict=True) if size > 1)


def outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def shortcut(name, args, kwargs):
    """The recorder's call: a name ending in _ is the in-place op (add_), one ending in @r the reflected one."""
    reflected = name.endswith("@r")
    name = name.removesuffix("@r")
    in_place = name.endswith("_")
    return meta_shapes.shortcut(name.removesuffix("_"), in_place, args, kwargs, reflected)


LAID_OUT_BY_THE_CPU = ("scaled_dot_product_attention", "conv2d")


@pytest.mark.parametrize("case", CASES, ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)])
def test_a_shortcut_gives_torchs_shape_or_declines(case):
    """torch on the CPU is the oracle of shapes and dtypes and of which calls are refused; torch on the meta device
    of the layout (the recording ran there before the shortcut, and a later .contiguous() reads it), but for
    attention, whose CPU kernels lay out their result otherwise (a reshape after it is a view on the CPU, a copy on
    the meta device), and for a convolution of a channels-last input, which the CPU keeps channels last and the
    meta device not. A case with a fifth item is one the shortcut leaves to torch, for that reason."""
    name, function, args, kwargs, *left_to_torch = case
    made = shortcut(name, args, kwargs)
    torch.manual_seed(0)
    try:
        expected = function(*on_cpu(args), **on_cpu(kwargs))
    except (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError):
        assert made is None, f"{name} made {[tuple(t.shape) for t in outputs(made)]} where torch refuses the call"
        return
    assert (made is None) == bool(left_to_torch), f"{name} {'made a result' if made is not None else 'declined'}"
    if made is None:
        return
    assert [(tuple(t.shape), t.dtype) for t in outputs(made)] == [(tuple(t.shape), t.dtype) for t in outputs(expected)]
    assert all(t.device.type == "meta" for t in outputs(made))
    oracle = expected if name in LAID_OUT_BY_THE_CPU else function(*args, **kwargs)
    assert [layout(t) for t in outputs(made)] == [layout(t) for t in outputs(oracle)]
    if kwargs.get("inplace") or name.endswith("_") or (name == "contiguous" and args[0].is_contiguous()):
        assert made is args[0]


def test_every_shortcut_has_a_case():
    named = {case[0].removesuffix("@r").removesuffix("_") for case in CASES if len(case) == 4}
    assert set(SHAPES) <= named and JOIN - {"concat", "concatenate"} <= named
    assert {*RECURRENT_GATES, *(f"{name}_cell" for name in RECURRENT_GATES), "contiguous"} <= named
    assert {"relu", "hardtanh", "layer_norm", "batch_norm", "softmax"} <= same_shape_functions()


def pointwise_arguments(name, x, other):
    """Arguments for each pointwise function: x, then other (a tensor that broadcasts to x) or numbers."""
    positional, _ = POINTWISE[name]
    if name in ("clamp", "clamp_min", "clamp_max", "round", "nan_to_num") or positional == 1:
        return (x, -0.5, 0.5)[: min(positional, 3)] if name != "nan_to_num" else (x, 0.0)
    if positional == 3:
        return (x, other, 0.3) if name == "lerp" else (x, other, x)
    return (x, other)


@pytest.mark.parametrize("layout", ["contiguous", "permuted"])
@pytest.mark.parametrize("in_place", [False, True], ids=["out of place", "in place"])
@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_every_pointwise_shortcut_gives_torchs_result(name, in_place, layout):
    x = meta(2, 6, 5, 4) if layout == "contiguous" else meta(2, 5, 4, 6).permute(0, 3, 1, 2)
    args = pointwise_arguments(name, x, meta(6, 1, 4))
    function = getattr(torch.Tensor, f"{name}_" if in_place else name, None)
    if function is None:
        pytest.skip(f"torch has no {name}_")
    test_a_shortcut_gives_torchs_shape_or_declines((f"{name}_" if in_place else name, function, args, {}))


@settings(max_examples=200, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
    keep=st.lists(st.booleans(), min_size=4, max_size=4),
    name=st.sampled_from(["maximum", "minimum", "pow", "atan2", "hypot", "fmod"]),
    swap=st.booleans(),
)
def test_pointwise_layouts_agree_with_torch(shape, order, keep, name, swap):
    """Any two operands, each laid out in any order of its dims, the second broadcast along some of them: the shortcut
    gives torch's shape and strides. (add, sub, mul and div keep the recorder's first rule, which lays out a result
    larger than its first operand contiguously whatever the second's layout.)"""

    def laid_out(dims):
        permutation = list(range(len(dims)))
        order.shuffle(permutation)
        stored = meta(*(dims[p] for p in permutation))
        return stored.permute(*sorted(range(len(dims)), key=permutation.__getitem__))

    x = laid_out(shape)
    other = laid_out([size if kept else 1 for size, kept in zip(shape, keep, strict=False)])
    args = (other, x) if swap else (x, other)
    test_a_shortcut_gives_torchs_shape_or_declines((name, getattr(torch, name), args, {}))


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 3),
    size=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    groups=st.sampled_from([1, 2]),
    ceil_mode=st.booleans(),
    pool=st.sampled_from(["conv", "max", "avg"]),
)
def test_windows_agree_with_torch(n, size, kernel, stride, padding, dilation, groups, ceil_mode, pool):
    """Any conv or pool over 1-3 dims: the shortcut gives torch's shape, or declines where torch refuses."""
    x = meta(1, 4, *(size,) * n)
    if pool == "conv":
        name, function = f"conv{n}d", getattr(F, f"conv{n}d")
        args, kwargs = (
            (x, meta(6, 4 // groups, *(kernel,) * n)),
            dict(stride=stride, padding=padding, dilation=dilation, groups=groups),
        )
    elif pool == "max":
        name, function = f"max_pool{n}d", getattr(F, f"max_pool{n}d")
        args, kwargs = (x, kernel), dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    else:  # avg_pool3d has no shortcut, and is run
        name, function = f"avg_pool{n}d", getattr(F, f"avg_pool{n}d")
        args, kwargs = (x, kernel), dict(stride=stride, padding=padding, ceil_mode=ceil_mode)
    declines = ["avg_pool3d has no shortcut"] if name == "avg_pool3d" else []
    test_a_shortcut_gives_torchs_shape_or_declines((name, function, args, kwargs, *declines))


@pytest.mark.slow
def test_a_plain_model_does_not_import_dynamo():
    """torch's Python references import torch._dynamo on their first call (about a second); the shortcuts keep
    the common ops of a CNN and of attention away from them, so a first profile costs little more than a second."""
    code = """
import sys, torch, cnncost
from torch import nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU6(inplace=True),
                                      nn.Hardswish(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(8, 10)
    def forward(self, x):
        y = self.features(x).flatten(1)
        z = torch.cat([y, y], 0).mean(0, keepdim=True)
        q = self.head(z).view(1, 2, 5, 1)
        return nn.functional.scaled_dot_product_attention(q, q, q).flatten(1)
cnncost.profile(Net(), input=(3, 32, 32))
print("torch._dynamo" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split()[-1] == "False"


class Packed(torch.nn.Module):
    """A bidirectional LSTM over sequences of two lengths, packed and padded again."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(6, 8, batch_first=True, bidirectional=True)

    def forward(self, x):
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor([7, 4]), batch_first=True)
        out, state = self.lstm(packed)
        return torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)[0], state


def test_a_packed_sequence_is_left_to_torch():
    """Packing reads the lengths' values, so the pass runs on the CPU; the LSTM over the packed data (7 + 4 = 11 steps
    of 6 features) has torch's shapes and no formula (its steps vary per sample), as before the shortcuts."""
    profile = cnncost.profile(Packed(), input=(7, 6), batch=2)
    assert profile.notes[0].text.startswith("recorded on the CPU (the module reads tensor values)")
    lstm = profile.layer("lstm")
    assert (lstm.op, [s.dims for s in lstm.output_shape.outputs]) == ("uncounted", [(11, 16), (2, 2, 8), (2, 2, 8)])
