"""The models torchvision 0.29.1 defines, by the module that holds them (`torchvision.models.list_models(module=...)`),
so that a name cnncost does not build in can be pointed to torchvision's without importing it. scripts/
torchvision_parity.py profiles every one of them, and its first lines check that this list is still torchvision's."""

TORCHVISION_MODELS = {
    "torchvision.models": tuple(
        "alexnet convnext_base convnext_large convnext_small convnext_tiny densenet121 densenet161 densenet169 "
        "densenet201 efficientnet_b0 efficientnet_b1 efficientnet_b2 efficientnet_b3 efficientnet_b4 "
        "efficientnet_b5 efficientnet_b6 efficientnet_b7 efficientnet_v2_l efficientnet_v2_m efficientnet_v2_s "
        "googlenet inception_v3 maxvit_t mnasnet0_5 mnasnet0_75 mnasnet1_0 mnasnet1_3 mobilenet_v2 "
        "mobilenet_v3_large mobilenet_v3_small regnet_x_16gf regnet_x_1_6gf regnet_x_32gf regnet_x_3_2gf "
        "regnet_x_400mf regnet_x_800mf regnet_x_8gf regnet_y_128gf regnet_y_16gf regnet_y_1_6gf regnet_y_32gf "
        "regnet_y_3_2gf regnet_y_400mf regnet_y_800mf regnet_y_8gf resnet101 resnet152 resnet18 resnet34 "
        "resnet50 resnext101_32x8d resnext101_64x4d resnext50_32x4d shufflenet_v2_x0_5 shufflenet_v2_x1_0 "
        "shufflenet_v2_x1_5 shufflenet_v2_x2_0 squeezenet1_0 squeezenet1_1 swin_b swin_s swin_t swin_v2_b "
        "swin_v2_s swin_v2_t vgg11 vgg11_bn vgg13 vgg13_bn vgg16 vgg16_bn vgg19 vgg19_bn vit_b_16 vit_b_32 "
        "vit_h_14 vit_l_16 vit_l_32 wide_resnet101_2 wide_resnet50_2".split()
    ),
    "torchvision.models.segmentation": (
        "deeplabv3_mobilenet_v3_large",
        "deeplabv3_resnet101",
        "deeplabv3_resnet50",
        "fcn_resnet101",
        "fcn_resnet50",
        "lraspp_mobilenet_v3_large",
    ),
    "torchvision.models.video": tuple(
        "mc3_18 mvit_v1_b mvit_v2_s r2plus1d_18 r3d_18 s3d swin3d_b swin3d_s swin3d_t".split()
    ),
    "torchvision.models.detection": tuple(
        "fasterrcnn_mobilenet_v3_large_320_fpn fasterrcnn_mobilenet_v3_large_fpn fasterrcnn_resnet50_fpn "
        "fasterrcnn_resnet50_fpn_v2 fcos_resnet50_fpn keypointrcnn_resnet50_fpn maskrcnn_resnet50_fpn "
        "maskrcnn_resnet50_fpn_v2 retinanet_resnet50_fpn retinanet_resnet50_fpn_v2 ssd300_vgg16 "
        "ssdlite320_mobilenet_v3_large".split()
    ),
}


SMALL_CLIPS = ("r3d_18", "mc3_18", "r2plus1d_18")  # the video models documented at 112x112 frames
BACKBONE_WEIGHTS = ("torchvision.models.segmentation", "torchvision.models.detection")


def example_input(module: str, name: str) -> tuple[int, ...]:
    """An input the model takes, one sample, as scripts/torchvision_parity.py profiles it."""
    if module == "torchvision.models.video":
        return (3, 16, 112, 112) if name in SMALL_CLIPS else (3, 16, 224, 224)
    if module == "torchvision.models.detection":
        return (3, 320, 320)
    return (3, 299, 299) if name == "inception_v3" else (3, 224, 224)


def torchvision_path(name: str) -> tuple[str, tuple[int, ...], bool] | None:
    """('torchvision.models:resnet18', an input it takes, whether its builder downloads a backbone's weights when
    called with no arguments) for a model torchvision defines, else None."""
    for module, names in TORCHVISION_MODELS.items():
        if name in names:
            return f"{module}:{name}", example_input(module, name), module in BACKBONE_WEIGHTS
    return None
