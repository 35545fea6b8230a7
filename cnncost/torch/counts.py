"""Torch's own counts of a module, the judge of cnncost's: parameters as sum(p.numel()), multiply-adds as
torch.utils.flop_counter.FlopCounterMode's FLOPs halved, on the same input.

FlopCounterMode counts the matrix products and convolutions torch dispatches to (aten.mm, bmm, convolution, ...),
and nothing inside a fused kernel it has no formula for. On the CPU three such kernels would hide work that the
model's code asks for: the flash-attention kernel of scaled_dot_product_attention, oneDNN's LSTM, and the
transformer "fast path" of nn.MultiheadAttention and nn.TransformerEncoderLayer at inference. So torch's counts are
taken with its math attention, oneDNN and the fast path off: torch then runs the products FlopCounterMode sees,
and their count is the model's.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode


@contextmanager
def unfused():
    """torch's math attention, no oneDNN and no transformer fast path, as they were before afterwards."""
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():  # restoring the oneDNN flags warns about Intel GPUs on other machines
            warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
            with sdpa_kernel(SDPBackend.MATH), torch.backends.mkldnn.flags(enabled=False):
                yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def counted_run(module: torch.nn.Module, *args, **kwargs) -> FlopCounterMode:
    """FlopCounterMode after module(*args, **kwargs) in eval mode, unfused, without autograd; every submodule's mode
    as before afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    counter = FlopCounterMode(display=False)
    try:
        for m, _ in modes:
            m.training = False
        with unfused(), counter, torch.no_grad():
            module(*args, **kwargs)
    finally:
        for m, training in modes:
            m.training = training
    return counter


def torch_counts(module: torch.nn.Module, *args, **kwargs) -> tuple[int, int]:
    """(parameters, multiply-adds) of module(*args, **kwargs) in eval mode, as torch counts them."""
    counter = counted_run(module, *args, **kwargs)
    return sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2
