"""cnncost against torchvision, two ways.

1. Every built-in architecture that torchvision also defines: its parameters, buffers and multiply-adds equal
   torchvision's model of the same name (FlopCounterMode's count / 2).
2. Every torchvision model profiled from its nn.Module (classification, segmentation, video, detection): the
   parameters equal sum(p.numel()), the buffers sum(b.numel()), the MACs torch's own count on the same input
   (cnncost.torch.counts.torch_counts: FlopCounterMode / 2 with torch's fused CPU kernels off), and every layer's
   shape torch's (cnncost checks that while it records). It also says how long each profile took and which layers,
   if any, have no formula.

Needs torch and torchvision (not part of cnncost's dependencies), in an environment of its own, since torchvision
0.29.1 needs torch 2.14.1 where cnncost's extras pin 2.13.0:
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1 && /tmp/tv/bin/pip install -e .
    /tmp/tv/bin/python scripts/torchvision_parity.py            # both parts, every model (about half an hour)
    /tmp/tv/bin/python scripts/torchvision_parity.py builtins   # part 1 only
    /tmp/tv/bin/python scripts/torchvision_parity.py classification vit_b_16 swin_t   # some models
It prints Markdown (scripts/README.md holds one run) and exits 1 on any difference.
"""

from __future__ import annotations

import sys
import time
import warnings

import torch
import torchvision
import torchvision.models as tvm
from torch.utils.flop_counter import FlopCounterMode

import cnncost
from cnncost.torch.counts import torch_counts

# cnncost name: (torchvision name, constructor arguments, run in training mode so that auxiliary heads run)
TORCHVISION_NAMES = {
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": False}, False),
    "googlenet-aux": ("googlenet", {"aux_logits": True, "init_weights": False}, True),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}, False),
    "inception_v3-aux": ("inception_v3", {"aux_logits": True, "init_weights": False}, True),
}
GROUPS = {"classification": tvm, "segmentation": tvm.segmentation, "video": tvm.video, "detection": tvm.detection}


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


def builtins() -> int:
    failures = 0
    print("| architecture | params | buffers | MACs | against torchvision |\n|:--|--:|--:|--:|:--|")
    for name in cnncost.list_models():
        tv_name = TORCHVISION_NAMES.get(name, (name, {}, False))[0]
        if not hasattr(tvm, tv_name):
            continue
        profile = cnncost.profile(name)
        ours = (profile.total.params, profile.total.buffers, profile.total.macs)
        theirs = torchvision_counts(name, profile.input_shape.dims)
        verdict = "equal" if ours == theirs else f"DIFFERENT: {theirs[0]:,} {theirs[1]:,} {theirs[2]:,}"
        failures += ours != theirs
        print(f"| `{name}` | {ours[0]:,} | {ours[1]:,} | {ours[2]:,} | {verdict} |")
    return failures


def model_input(group: str, name: str):
    """The input each model is profiled at: what its documentation gives, one sample."""
    if group == "video":
        return (
            torch.randn(1, 3, 16, 112, 112)
            if name in ("r3d_18", "mc3_18", "r2plus1d_18")
            else torch.randn(1, 3, 16, 224, 224)
        )
    if group == "detection":
        return [torch.rand(3, 320, 320)]
    size = 299 if name == "inception_v3" else 224
    return torch.randn(1, 3, size, size)


def build(group: str, name: str) -> torch.nn.Module:
    kwargs = {"weights_backbone": None} if group in ("segmentation", "detection") else {}
    return tvm.get_model(name, weights=None, **kwargs)


def modules(groups: list[str], only: set[str]) -> int:
    failures = 0
    print("| group | model | params | MACs | seconds | against torch |\n|:--|:--|--:|--:|--:|:--|")
    for group in groups:
        for name in tvm.list_models(module=GROUPS[group]):
            if only and name not in only:
                continue
            torch.manual_seed(0)
            model = build(group, name)
            example = model_input(group, name)
            args = (example,)
            try:
                start = time.perf_counter()
                profile = cnncost.profile(model, input=args if group == "detection" else example)
                seconds = time.perf_counter() - start
                params, macs = torch_counts(model, *args)
            except Exception as error:  # noqa: BLE001  report and go on
                failures += 1
                print(f"| {group} | `{name}` | | | | FAILED: {type(error).__name__}: {error} |")
                continue
            buffers = sum(b.numel() for b in model.buffers())
            ours = (profile.total.params, profile.total.buffers, profile.total.macs)
            problems = [
                f"{what} {a:,} vs torch {b:,}"
                for what, a, b in zip(("params", "buffers", "MACs"), ours, (params, buffers, macs), strict=True)
                if a != b
            ]
            uncounted = sorted({c.attributes.get("source") for c in profile.uncounted})
            verdict = "equal" if not problems else "DIFFERENT: " + "; ".join(problems)
            if uncounted:
                verdict += f"; no formula: {', '.join(uncounted)}"
            if profile.notes[0].startswith("recorded on the CPU"):
                verdict += "; recorded on the CPU"
            failures += bool(problems)
            print(f"| {group} | `{name}` | {ours[0]:,} | {ours[2]:,} | {seconds:.2f} | {verdict} |", flush=True)
    return failures


def names_listed() -> int:
    """1 where cnncost's list of torchvision's models (for its hints) is no longer torchvision's, else 0."""
    from cnncost.zoo.torchvision_names import TORCHVISION_MODELS

    listed = {module.__name__: tuple(sorted(tvm.list_models(module=module))) for module in GROUPS.values()}
    if listed == TORCHVISION_MODELS:
        return 0
    print(f"cnncost/zoo/torchvision_names.py differs from torchvision {torchvision.__version__}'s list_models()")
    return 1


def main(argv: list[str]) -> int:
    warnings.filterwarnings("ignore")
    if names_listed():
        return 1
    asked = [a for a in argv if a in GROUPS or a == "builtins"]
    only = {a for a in argv if a not in asked}
    failures = 0
    if not asked or "builtins" in asked:
        failures += builtins()
        print()
    groups = [g for g in GROUPS if not asked or g in asked]
    if groups and (not asked or set(asked) - {"builtins"}):
        failures += modules(groups, only)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
