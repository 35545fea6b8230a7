"""Compare cnncost's built-in architectures with torchvision's models of the same name.

Needs torch and torchvision (not part of cnncost's dependencies):
    pip install torch==2.14.1 torchvision==0.29.1
    python scripts/torchvision_parity.py
For every architecture that torchvision also defines, it prints the parameter and buffer counts
and the conv+linear multiply-adds (FlopCounterMode's count / 2) of both, and exits 1 on any difference.
"""

from __future__ import annotations

import sys

import torch
import torchvision.models as tvm
from torch.utils.flop_counter import FlopCounterMode

import cnncost

TORCHVISION_NAMES = {"googlenet-aux": ("googlenet", {"aux_logits": True, "init_weights": False})}


def torchvision_counts(name: str, input_shape) -> tuple[int, int, int]:
    """(params, buffers, multiply-adds) of torchvision's model at batch 1, in eval mode."""
    tv_name, kwargs = TORCHVISION_NAMES.get(name, (name, {}))
    if tv_name == "googlenet":
        kwargs = {"aux_logits": False, "init_weights": False, **kwargs}
    model = getattr(tvm, tv_name)(weights=None, **kwargs).eval()
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    counter = FlopCounterMode(display=False)
    model.train(name == "googlenet-aux")  # the auxiliary heads run only in training mode
    with counter, torch.no_grad():
        model(torch.randn(1, *input_shape))
    return params, buffers, counter.get_total_flops() // 2


def main() -> int:
    failures = 0
    print(f"{'architecture':16} {'params':>13} {'buffers':>9} {'MACs':>15}  torchvision")
    for name in cnncost.list_models():
        tv_name = TORCHVISION_NAMES.get(name, (name,))[0]
        if not hasattr(tvm, tv_name):
            continue
        profile = cnncost.profile(name)
        ours = (profile.total.params, profile.total.buffers, profile.total.macs)
        theirs = torchvision_counts(name, profile.input_shape.dims)
        verdict = "equal" if ours == theirs else f"DIFFERENT: {theirs[0]:,} {theirs[1]:,} {theirs[2]:,}"
        failures += ours != theirs
        print(f"{name:16} {ours[0]:>13,} {ours[1]:>9,} {ours[2]:>15,}  {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
