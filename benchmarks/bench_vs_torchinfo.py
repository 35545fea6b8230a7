"""cnncost.profile(module) beside torchinfo.summary and the real forward pass, on models from timm, Hugging Face
transformers, segmentation_models_pytorch and ultralytics, in one process.

Every model is built without pretrained weights, in eval mode, and given its own input size (timm's pretrained_cfg;
224x224 for the transformers models, 256x256 for the U-Net, 640x640 for YOLOv8n), batch 1, fp32, on the CPU. Each
tool runs once before the rounds (imports, caches: the times are of second calls); then each round runs cnncost,
torchinfo and a plain forward pass once each, in turn, so that load from other work on the machine falls on all
three alike. The figures are medians over the rounds; a ratio is the median of the ratios within a round.

Prints, in Markdown: one row per model (the layers cnncost counts, the three times, torchinfo's and the forward's
time over cnncost's), then the median and the worst ratio and the models where cnncost is slowest.

Needs timm, transformers, segmentation_models_pytorch and ultralytics (torchvision with them); a model a library
does not have, or that a tool fails on, is listed as such:

    python benchmarks/bench_vs_torchinfo.py [--rounds 5] [--threads N] [--models vit_tiny_patch16_224 ...]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import warnings
from collections.abc import Callable

import torch
from _common import log, machine, markdown, ratio, rounds, seconds

import cnncost

# timm's models, by kind; each name as timm.list_models() spells it
TIMM = {
    "convnet": (
        "resnet18 resnet50 resnext26ts seresnet18 resnest14d res2net50_14w_8s skresnet18 regnety_008 regnetx_004 "
        "efficientnet_b0 efficientnetv2_rw_t mobilenetv2_100 mobilenetv3_large_100 mobilenetv4_conv_small "
        "mnasnet_100 fbnetc_100 ghostnet_100 ghostnetv2_100 lcnet_050 rexnet_100 tinynet_a convnext_atto "
        "convnextv2_atto densenet121 dla34 dpn68 hrnet_w18_small inception_v3 vgg11 cspdarknet53 repvgg_a0 "
        "darknet53 xception41 nfnet_l0 gernet_s hgnetv2_b0 inception_next_tiny rdnet_tiny mambaout_femto starnet_s1"
    ),
    "vit": (
        "vit_tiny_patch16_224 vit_small_patch16_224 deit_tiny_distilled_patch16_224 deit3_small_patch16_224 "
        "beit_base_patch16_224 swin_tiny_patch4_window7_224 swinv2_cr_tiny_ns_224 cait_xxs24_224 pit_ti_224 "
        "tnt_s_patch16_224 crossvit_tiny_240 crossvit_9_240 eva02_tiny_patch14_224 xcit_nano_12_p16_224 levit_128s "
        "flexivit_small convit_tiny twins_svt_small focalnet_tiny_srf davit_tiny gcvit_xxtiny hiera_tiny_224"
    ),
    "hybrid": (
        "edgenext_xx_small mobilevit_xxs mobilevitv2_050 coat_lite_tiny poolformer_s12 poolformerv2_s12 "
        "efficientformer_l1 efficientformerv2_s0 fastvit_t8 maxvit_nano_rw_256 coatnet_nano_rw_224 efficientvit_b0 "
        "efficientvit_m0 repvit_m1 tiny_vit_5m_224 nextvit_small"
    ),
    "mlp": "mixer_s16_224 resmlp_12_224 gmlp_ti16_224 gmixer_12_224 sequencer2d_s",
}


def _segformer() -> tuple[torch.nn.Module, tuple[int, ...]]:
    from transformers import SegformerConfig, SegformerForSemanticSegmentation

    return SegformerForSemanticSegmentation(SegformerConfig()), (3, 224, 224)  # the default config is MiT-b0's


def _swin() -> tuple[torch.nn.Module, tuple[int, ...]]:
    from transformers import SwinConfig, SwinModel

    return SwinModel(SwinConfig()), (3, 224, 224)  # the default config is Swin-T's


def _unet() -> tuple[torch.nn.Module, tuple[int, ...]]:
    import segmentation_models_pytorch as smp

    return smp.Unet("resnet18", encoder_weights=None), (3, 256, 256)


def _yolo() -> tuple[torch.nn.Module, tuple[int, ...]]:
    from ultralytics.nn.tasks import DetectionModel

    return DetectionModel("yolov8n.yaml", verbose=False), (3, 640, 640)


OTHERS: dict[str, tuple[str, Callable[[], tuple[torch.nn.Module, tuple[int, ...]]]]] = {
    "hf_segformer_b0": ("transformers", _segformer),
    "hf_swin_tiny": ("transformers", _swin),
    "smp_unet_resnet18": ("smp", _unet),
    "yolov8n": ("ultralytics", _yolo),
}


def kind_of(name: str) -> str:
    if name in OTHERS:
        return OTHERS[name][0]
    return next((kind for kind, names in TIMM.items() if name in names.split()), "timm")


def build(name: str) -> tuple[torch.nn.Module, tuple[int, ...]]:
    """The model, untrained and in eval mode, and the size of one sample."""
    if name in OTHERS:
        module, shape = OTHERS[name][1]()
    else:
        import timm

        module = timm.create_model(name, pretrained=False)
        shape = tuple(module.pretrained_cfg.get("input_size", (3, 224, 224)))
    return module.eval(), shape


def measure(name: str, n_rounds: int) -> dict:
    """Times of cnncost, torchinfo and the forward on one model, by round; cnncost's layer count; or what failed."""
    import torchinfo

    module, shape = build(name)
    x = torch.randn(1, *shape)

    def forward() -> None:
        with torch.no_grad():
            module(x)

    candidates = {
        "cnncost": lambda: seconds(lambda: cnncost.profile(module, input=shape)),
        "torchinfo": lambda: seconds(
            lambda: torchinfo.summary(module, input_size=(1, *shape), verbose=0, device="cpu")
        ),
        "forward": lambda: seconds(forward),
    }
    found: dict = {"shape": shape}
    for tool, candidate in candidates.items():  # once before the rounds: imports, caches
        try:
            candidate()
        except Exception as error:  # noqa: BLE001  reported, and the model skipped
            return {**found, "failed": f"{tool}: {type(error).__name__}: {str(error).splitlines()[0][:100]}"}
    result = cnncost.profile(module, input=shape)
    found["layers"] = len(result.layers)
    found["method"] = result.notes[0].text if result.notes else ""
    found["times"] = rounds(candidates, n_rounds, lambda line: log(f"{name} {line}"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--models", nargs="+", default=[*(n for names in TIMM.values() for n in names.split()), *OTHERS]
    )
    parser.add_argument("--threads", type=int, help="torch's threads for the forward passes (default: torch's own)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.threads:
        torch.set_num_threads(args.threads)
    import torchinfo

    results = {}
    for name in args.models:
        results[name] = measure(name, args.rounds)
        gc.collect()  # the model, before the next is built
    print(f"{machine()}; torchinfo {torchinfo.__version__}; {args.rounds} rounds, CPU, batch 1, fp32\n")
    rows, ratios, failed = [], {}, []
    for name, found in results.items():
        if "failed" in found:
            failed.append(f"{name} ({found['failed']})")
            continue
        times = found["times"]
        median = {tool: statistics.median(values) for tool, values in times.items()}
        ratios[name] = ratio(times, "torchinfo", "cnncost")
        rows.append(
            [
                f"`{name}`",
                kind_of(name),
                "x".join(map(str, found["shape"])),
                found["layers"],
                f"{median['cnncost'] * 1e3:.1f}",
                f"{median['torchinfo'] * 1e3:.1f}",
                f"{median['forward'] * 1e3:.1f}",
                f"{ratios[name]:.2f}x",
                f"{ratio(times, 'forward', 'cnncost'):.2f}x",
                "" if "meta" in found["method"] else "CPU",
            ]
        )
    header = [
        "model",
        "kind",
        "input",
        "layers",
        "cnncost ms",
        "torchinfo ms",
        "forward ms",
        "torchinfo / cnncost",
        "forward / cnncost",
        "recorded on",
    ]
    print(markdown(header, rows, "lllr" + "r" * 5 + "l"))
    if not ratios:
        return
    slowest = sorted(ratios, key=ratios.__getitem__)[:5]
    print(
        f"\n{len(ratios)} models: cnncost is {statistics.median(ratios.values()):.2f}x faster than torchinfo's summary "
        f"in the median (geometric mean {statistics.geometric_mean(ratios.values()):.2f}x), "
        f"{min(ratios.values()):.2f}x at worst; slower on {sum(r < 1 for r in ratios.values())}, "
        f"under 5x on {sum(r < 5 for r in ratios.values())}. Slowest: "
        + ", ".join(f"{name} {ratios[name]:.2f}x" for name in slowest)
    )
    if failed:
        print("\nNot measured: " + "; ".join(failed))


if __name__ == "__main__":
    main()
