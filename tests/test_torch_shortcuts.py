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

from cnncost.trace import meta_shapes  # noqa: E402
from cnncost.trace.meta_shapes import JOIN, SHAPES, same_shape_functions  # noqa: E402


def meta(*shape, dtype=torch.float32):
    return torch.empty(*shape, device="meta", dtype=dtype)


x4 = meta(2, 16, 8, 8)
seq = meta(2, 10, 32)
weight = meta(24, 32)
bias = meta(24)

# (name the recorder sees, the function torch runs, args, kwargs); the ones marked refused torch rejects
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
    ("mean", torch.mean, (x4,), {}),  # all dims: torch is run
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
    ("adaptive_avg_pool2d", F.adaptive_avg_pool2d, (x4, 0), {}),  # refused: an empty output
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
    ("conv2d", F.conv2d, (x4, meta(8, 16, 3, 3)), {"padding": "same"}),  # a string: torch is run
    ("conv2d", F.conv2d, (x4, meta(8, 15, 3, 3)), {}),  # refused: 16 channels into 15
    ("conv2d", F.conv2d, (x4, meta(8, 16, 9, 9)), {}),  # refused: the kernel is larger than the input
    ("conv2d", F.conv2d, (x4, meta(6, 4, 3, 3)), {"groups": 4}),  # refused: 6 outputs in 4 groups
    ("max_pool2d", F.max_pool2d, (meta(1, 3, 9, 9), 3), {"stride": 2, "ceil_mode": True}),
    ("max_pool2d", F.max_pool2d, (meta(1, 3, 10, 10), 3, 2, 1, 2, True), {}),
    ("max_pool1d", F.max_pool1d, (seq, 2), {}),
    ("max_pool3d", F.max_pool3d, (meta(1, 4, 5, 8, 8), (1, 2, 2)), {}),
    ("max_pool2d", F.max_pool2d, (x4, 2), {"return_indices": True}),  # two outputs: torch is run
    ("max_pool2d", F.max_pool2d, (x4, 3), {"padding": 2}),  # refused: padding over half the kernel
    ("avg_pool2d", F.avg_pool2d, (meta(1, 3, 9, 9), 3, 2, 1, True, False, None), {}),
    ("avg_pool2d", F.avg_pool2d, (meta(1, 3, 9, 9), 2), {"ceil_mode": True}),
    ("avg_pool1d", F.avg_pool1d, (seq, 3, 1, 1), {}),
    ("avg_pool2d", F.avg_pool2d, (x4, 16), {}),  # refused: the window is larger than the input
]


def shortcut(name, args, kwargs):
    return meta_shapes.shortcut(name, False, args, kwargs)


@pytest.mark.parametrize("name, function, args, kwargs", CASES, ids=[f"{case[0]}-{i}" for i, case in enumerate(CASES)])
def test_a_shortcut_gives_torchs_shape_or_declines(name, function, args, kwargs):
    made = shortcut(name, args, kwargs)
    try:
        expected = function(*args, **kwargs)
    except (RuntimeError, ValueError, IndexError, TypeError):
        assert made is None, f"{name} made {tuple(made.shape)} where torch refuses the call"
        return
    if made is not None:
        assert (tuple(made.shape), made.dtype, made.device.type) == (tuple(expected.shape), expected.dtype, "meta")
        if kwargs.get("inplace"):
            assert made is args[0]


def test_every_shortcut_has_a_case():
    named = {case[0] for case in CASES}
    assert set(SHAPES) <= named and JOIN - {"concat", "concatenate"} <= named
    assert {"relu", "hardtanh", "layer_norm", "batch_norm", "softmax"} <= same_shape_functions()


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
    test_a_shortcut_gives_torchs_shape_or_declines(name, function, args, kwargs)


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
