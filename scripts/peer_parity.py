"""cnncost's conventions against the tools themselves, on modern models built from their configurations.

For each of seven models (timm's ConvNeXt-atto, ViT-tiny, EfficientNet-B0 and Swin-T, a transformers ViTModel of a
small configuration, a segmentation_models_pytorch U-Net and ultralytics' YOLOv8n, no weights downloaded) and each
tool (torchinfo, fvcore, ptflops with its pytorch and aten backends, thop, torch's FlopCounterMode), it prints the
tool's own total on the module and cnncost's total under the tool's convention on the profile of the same module:

"cnncost --convention" is what `cnncost table MODEL --convention TOOL` and cnncost.profile(..., convention=TOOL)
give: the profile alone, which keeps each module's class (Profile.modules: thop and ptflops skip timm's LayerNorm and
GELU, subclasses that keep torch's names, and ptflops counts timm's ViT Attention by a formula of its own).

"+? N" after a total: N layers the rule cannot count (ptflops counts x.add(y) but not x + y, which a recording
cannot tell apart; FlopCounterMode counts fused attention on CUDA but not on the CPU): the total leaves them out, so
it equals the tool's where the tool counted none of them and is below it where the tool counted some.

Needs timm, transformers, segmentation_models_pytorch and ultralytics, which need torchvision, which needs a torch of
its own: run it in an environment of its own, with cnncost from this tree:
    python3 -m venv /tmp/venv-models && /tmp/venv-models/bin/pip install torch==2.14.1 torchvision==0.29.1 \\
        timm transformers segmentation_models_pytorch ultralytics torchinfo fvcore ptflops thop
    PYTHONPATH=. /tmp/venv-models/bin/python scripts/peer_parity.py            # every model (a few minutes)
    PYTHONPATH=. /tmp/venv-models/bin/python scripts/peer_parity.py yolov8n    # some models
It prints Markdown (scripts/README.md holds one run) and exits 1 where a rule is wrong: other than the tool's total
with every layer known, or above it.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.peers: the tools as their documentation calls them

import cnncost  # noqa: E402
from cnncost.conventions import CONVENTIONS  # noqa: E402
from tests import peers  # noqa: E402


def timm_model(name: str) -> Callable[[], tuple[torch.nn.Module, torch.Tensor]]:
    def build():
        import timm

        return timm.create_model(name, pretrained=False), torch.randn(1, 3, 224, 224)

    return build


def vit_model() -> tuple[torch.nn.Module, torch.Tensor]:
    """transformers' ViTModel of a small configuration: 4 layers of width 192 and 3 heads, 16x16 patches of 224."""
    from transformers import ViTConfig, ViTModel

    config = ViTConfig(hidden_size=192, num_hidden_layers=4, num_attention_heads=3, intermediate_size=768)
    return ViTModel(config), torch.randn(1, 3, 224, 224)


def unet_model() -> tuple[torch.nn.Module, torch.Tensor]:
    import segmentation_models_pytorch as smp

    return smp.Unet(encoder_weights=None), torch.randn(1, 3, 256, 256)


def yolo_model() -> tuple[torch.nn.Module, torch.Tensor]:
    from ultralytics.nn.tasks import DetectionModel

    return DetectionModel("yolov8n.yaml", verbose=False), torch.randn(1, 3, 640, 640)


MODELS = {
    "convnext_atto": timm_model("convnext_atto"),
    "vit_tiny_patch16_224": timm_model("vit_tiny_patch16_224"),
    "efficientnet_b0": timm_model("efficientnet_b0"),
    "swin_tiny_patch4_window7_224": timm_model("swin_tiny_patch4_window7_224"),
    "transformers ViTModel": vit_model,
    "smp Unet (resnet34)": unet_model,
    "yolov8n": yolo_model,
}
TOOLS = {  # convention: (the tool's name, its count)
    "torchinfo": ("torchinfo", peers.torchinfo_count),
    "fvcore": ("fvcore", peers.fvcore_count),
    "ptflops": ("ptflops", peers.ptflops_count),
    "ptflops-aten": ("ptflops (aten)", peers.ptflops_aten_count),
    "thop": ("thop", peers.thop_count),
    "flopcounter": ("FlopCounterMode", lambda module, x: (2 * peers.flop_counter_count(module, x)[0], 0)),
}


def shown(total: int, unknown: tuple[str, ...]) -> str:
    """'1,234' or '1,234 +? 5'."""
    return f"{total:,}" + (f" +? {len(unknown)}" if unknown else "")


def verdict(ours: int, unknown: tuple[str, ...], theirs: int) -> str:
    """How the convention's total stands to the tool's: equal, a lower bound the tool goes past in the layers the rule
    cannot count, or different."""
    if ours == theirs:
        return "equal" if not unknown else "equal: it counts none of the ?"
    if unknown and theirs > ours:
        return f"the ? count {theirs - ours:+,} in it"
    return f"DIFFERENT by {theirs - ours:+,}"


def wrong(ours: int, unknown: tuple[str, ...], theirs: int) -> bool:
    """A total the tool's cannot be: other than it where every layer is known, above it where some are not."""
    return ours > theirs or (ours != theirs and not unknown)


def compare(name: str, build) -> int:
    """Print one model's rows; the number of tools the rules differ from."""
    torch.manual_seed(0)
    module, x = build()
    module.eval()
    profile = cnncost.profile(module, input=x)
    failures = 0
    for convention, (tool, count) in TOOLS.items():
        rule = CONVENTIONS[convention]
        try:
            theirs = count(module, x)[0]
        except Exception as error:  # noqa: BLE001  a tool that fails on the model: said, not counted against the rules
            print(f"| {name} | {tool} | fails: {type(error).__name__} | | |", flush=True)
            continue
        ours = rule.total(profile), rule.unknown(profile)
        failures += wrong(*ours, theirs)
        print(f"| {name} | {tool} | {theirs:,} | {shown(*ours)} | {verdict(*ours, theirs)} |", flush=True)
    return failures


def main(argv: list[str]) -> int:
    warnings.filterwarnings("ignore")
    peers.quiet()
    chosen = [name for name in MODELS if not argv or name in argv or name.split()[0] in argv]
    packages = ", ".join(
        f"{p} {version(p)}" for p in ("torch", "timm", "transformers", "segmentation_models_pytorch", "ultralytics")
    )
    print(f"{packages}; {peers.versions()}\n")
    print("| model | tool | tool's total | cnncost --convention | |\n|:--|:--|--:|--:|:--|")
    failures = sum(compare(name, MODELS[name]) for name in chosen)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
