"""Compare cnncost's built-in architectures with torchvision's models of the same name.

Needs torch and torchvision (not part of cnncost's dependencies), in an environment of its own, since torchvision
0.29.1 needs torch 2.14.1 where cnncost's extras pin 2.13.0:
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1 && /tmp/tv/bin/pip install -e .
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

# cnncost name: (torchvision name, constructor arguments, run in training mode so that auxiliary heads run)
TORCHVISION_NAMES = {
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}, False),
    "googlenet-aux": ("googlenet", {"aux_logits": True, "init_weights": False}, True),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}, False),
    "inception_v3-aux": ("inception_v3", {"aux_logits": True, "init_weights": False}, True),
}


def torchvision_counts(name: str, input_shape) -> tuple[int, int, int]:
    """(params, buffers, multiply-adds per sample) of torchvision's model, run at batch 2 (training-mode batch norm
    needs more than one value per channel)."""
    tv_name, kwargs, training = TORCHVISION_NAMES.get(name, (name, {}, False))
    model = getattr(tvm, tv_name)(weights=None, **kwargs)
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(b.numel() for b in model.buffers())
    counter = FlopCounterMode(display=False)
    model.train(training)  # the auxiliary heads run only in training mode
    with counter, torch.no_grad():
        model(torch.randn(2, *input_shape))
    return params, buffers, counter.get_total_flops() // 4


def main() -> int:
    failures = 0
    print(f"{'architecture':16} {'params':>13} {'buffers':>9} {'MACs':>15}  torchvision")
    for name in cnncost.list_models():
        tv_name = TORCHVISION_NAMES.get(name, (name, {}, False))[0]
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
