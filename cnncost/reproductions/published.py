"""Published cost figures, as data: every number as its source prints it, with the source.

Nothing here is computed. The reports judge each number against cnncost's exact value; a number that
no convention reproduces stays as printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .printed import Printed


@dataclass(frozen=True)
class Publication:
    """Where a number is printed: a short name for tables and the full citation."""

    short: str
    citation: str


LECTURE8 = Publication(
    "EECS 498-007 L8",
    "Justin Johnson, EECS 498-007 / 598-005 Deep Learning for Computer Vision, "
    "University of Michigan, fall 2019, lecture 8 'CNN Architectures'",
)
TRANSCRIPTION = Publication(
    "L8 transcription", "a widely read transcription of EECS 498-007 lecture 8 (its worked examples for AlexNet)"
)
CS231N = Publication(
    "CS231n 2017 L9",
    "CS231n Convolutional Neural Networks for Visual Recognition, Stanford, spring 2017, lecture 9 'CNN Architectures'",
)
KRIZHEVSKY = Publication(
    "Krizhevsky 2012",
    "Krizhevsky, Sutskever, Hinton 2012, 'ImageNet classification with deep convolutional neural networks', §4",
)
SIMONYAN_23 = Publication(
    "Simonyan 2014 §2.3",
    "Simonyan & Zisserman 2014, 'Very deep convolutional networks for large-scale image recognition', §2.3",
)
SIMONYAN_T2 = Publication(
    "Simonyan 2014 t2",
    "Simonyan & Zisserman 2014, 'Very deep convolutional networks for "
    "large-scale image recognition', table 2 (parameters, millions)",
)
SZEGEDY = Publication("Szegedy 2014 §1", "Szegedy et al. 2014, 'Going deeper with convolutions', §1")
HE_T1 = Publication(
    "He 2015 t1",
    "He, Zhang, Ren, Sun 2015, 'Deep residual learning for image recognition', table 1 "
    "(FLOPs, which the paper defines as multiply-adds)",
)
HE_33 = Publication(
    "He 2015 §3.3",
    "He, Zhang, Ren, Sun 2015, 'Deep residual learning for image recognition', §3.3 "
    "and figure 3 ('VGG-19 (19.6 billion FLOPs)', multiply-adds)",
)
COURSE = Publication("course notes", "course material that quotes the figure; its original source is not identified")

SOURCES = (LECTURE8, TRANSCRIPTION, CS231N, KRIZHEVSKY, SIMONYAN_23, SIMONYAN_T2, SZEGEDY, HE_T1, HE_33, COURSE)

# --- AlexNet (torchvision's, 64-192-384-256-256, 3x227x227) -------------------------------------------------------

# The lecture's AlexNet table: layer, output channels, output size, memory (KB), params (k), flop (M).
# Its "flop" is multiply-adds (the lecture: "number of floating point operations (multiply+add)").
ALEXNET_TABLE = (
    ("conv1", "64", "56", "784", "23", "73"),
    ("pool1", "64", "27", "182", "0", "0"),
    ("conv2", "192", "27", "547", "307", "224"),
    ("pool2", "192", "13", "127", "0", "0"),
    ("conv3", "384", "13", "254", "664", "112"),
    ("conv4", "256", "13", "169", "885", "145"),
    ("conv5", "256", "13", "169", "590", "100"),
    ("pool5", "256", "6", "36", "0", "0"),
    ("flatten", "9216", "", "36", "0", "0"),
    ("fc6", "4096", "", "16", "37,749", "38"),
    ("fc7", "4096", "", "16", "16,777", "17"),
    ("fc8", "1000", "", "4", "4,096", "4"),
)

# The lecture's worked examples: layer, quantity, as printed.
ALEXNET_WORKED = (
    ("conv1", "memory", Printed("784", "KB", quote="200704 x 4 / 1024 = 784")),
    ("conv1", "params", Printed("64 × 3 × 11 × 11 + 64", quote="64 x 3 x 11 x 11 + 64")),
    ("conv1", "params", Printed("23,296")),
    ("conv1", "macs", Printed("72,855,552")),
    ("pool1", "flops", Printed("419,904", quote="419,904 = 0.4 MFLOP")),
    ("fc6", "macs", Printed("37,748,736")),
)

# The second source: its printed values for the same layers.
ALEXNET_TRANSCRIPTION = (
    ("conv1", "macs", Printed("72,855,552")),
    ("conv1", "macs", Printed("78", "M", quote="≈ 78M")),
    ("fc6", "params", Printed("(9216 × 4096) + 4096")),
    ("fc6", "params", Printed("37,725,832", quote="= 37,725,832")),
)

# --- GoogLeNet's stem against VGG-16, 224x224 -> 28x28 (EECS 498-007 lecture 8) -----------------------------------

STEM_TOTALS = (  # side, quantity, as printed
    ("googlenet-stem", "memory", Printed("7.5", "MB", quote="Memory: 7.5 MB")),
    ("googlenet-stem", "params", Printed("124", "k", quote="Params: 124K")),
    ("googlenet-stem", "macs", Printed("418", "M", quote="MFLOP: 418")),
    ("vgg16", "memory", Printed("42.9", "MB", quote="Memory: 42.9 MB")),
    ("vgg16", "params", Printed("1.1", "M", quote="Params: 1.1M")),
    ("vgg16", "macs", Printed("7485", "M", quote="MFLOP: 7485")),
)
STEM_RATIOS = (  # quantity, VGG-16 over the stem, as printed
    ("memory", Printed("5.7", "x", quote="(5.7x)")),
    ("params", Printed("8.9", "x", quote="(8.9x)")),
    ("macs", Printed("17.8", "x", quote="(17.8x)")),
)

# --- Bottlenecks ---------------------------------------------------------------------------------------------------

PAIR_PARAMS = (  # block, params as printed (course notes on 1x1 convolutions)
    ("conv3x3-256", Printed("589,824")),
    ("reduce-conv3x3-256", Printed("163,840")),
)
PAIR_REDUCTION = Printed("72", "%", quote="a 72% reduction")

INCEPTION = (  # block, quantity, as printed (CS231n 2017 lecture 9, input 28x28x256)
    ("inception-naive", "macs", Printed("854", "M", quote="Total: 854M ops")),
    ("inception-bottleneck", "macs", Printed("358", "M", quote="Total: 358M ops")),
    ("inception-naive", "channels", Printed("672", quote="28x28x672")),
    ("inception-bottleneck", "channels", Printed("480", quote="28x28x480")),
)

# one k x k conv against a stack of 3x3 convs, C -> C: (stack, params, MACs, source)
STACKS = (
    ("conv5x5", Printed("25C²", quote="25C² (ignore bias)"), Printed("25C²HW"), LECTURE8),
    ("conv3x3-x2", Printed("18C²", quote="18C²"), Printed("18C²HW"), LECTURE8),
    ("conv7x7", Printed("49C²", quote="7²C² = 49C²"), None, SIMONYAN_23),
    ("conv3x3-x3", Printed("27C²", quote="3(3²C²) = 27C²"), None, SIMONYAN_23),
)
STACK_SAVING = Printed("28", "%", quote="about 28% saved")  # two 3x3 against one 5x5 (course notes)
STACK_MORE = Printed("81", "%", quote="i.e. 81% more")  # one 7x7 against three 3x3 (Simonyan & Zisserman §2.3)
STACK_FIELDS = (  # stack, receptive field as printed (Simonyan & Zisserman §2.3)
    ("conv3x3-x2", Printed("5", quote="an effective receptive field of 5x5")),
    ("conv3x3-x3", Printed("7", quote="a 7x7 effective receptive field")),
)

# ResNet blocks (EECS 498-007 lecture 8): layer, FLOPs (multiply-adds) as printed
RESNET_BLOCKS = (
    ("resnet-basic", (("block.conv1", "9HWC²"), ("block.conv2", "9HWC²")), "18HWC²"),
    ("resnet-bottleneck", (("block.conv1", "4HWC²"), ("block.conv2", "9HWC²"), ("block.conv3", "4HWC²")), "17HWC²"),
)
RESNET_STAGES = ((64, 56), (128, 28), (256, 14), (512, 7))  # (C, H = W) of ResNet's four stages


# --- Whole networks ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A network's published total: which quantity, as printed, where, and the registered variants to check."""

    network: str
    quantity: str  # macs, params or param_bytes (storage)
    printed: Printed
    source: Publication
    variants: tuple[str, ...]


NETWORKS = (
    Figure("AlexNet", "macs", Printed("0.7", "G", quote="0.7 GFLOP"), LECTURE8, ("alexnet", "alexnet-paper")),
    Figure(
        "AlexNet", "params", Printed("60", "M", quote="60 million parameters"), KRIZHEVSKY, ("alexnet-paper", "alexnet")
    ),
    Figure("VGG-16", "macs", Printed("13.6", "G", quote="13.6 GFLOP"), LECTURE8, ("vgg16",)),
    Figure("VGG-16", "params", Printed("138", "M", quote="138 (millions)"), SIMONYAN_T2, ("vgg16",)),
    Figure(
        "VGG-16", "param_bytes", Printed("500", "MB", quote="about 500MB of storage", step="100"), COURSE, ("vgg16",)
    ),
    Figure("VGG-19", "macs", Printed("19.6", "G", quote="19.6 billion FLOPs"), HE_33, ("vgg19",)),
    Figure(
        "GoogLeNet",
        "macs",
        Printed("1.5", "G", quote="a computational budget of 1.5 billion multiply-adds"),
        SZEGEDY,
        ("googlenet-paper", "googlenet"),
    ),
    Figure(
        "GoogLeNet",
        "params",
        Printed("5", "M", quote="Only 5 million parameters!"),
        CS231N,
        ("googlenet-paper", "googlenet"),
    ),
    Figure("ResNet-18", "macs", Printed("1.8", "G", quote="1.8×10⁹"), HE_T1, ("resnet18",)),
    Figure("ResNet-34", "macs", Printed("3.6", "G", quote="3.6×10⁹"), HE_T1, ("resnet34",)),
    Figure("ResNet-50", "macs", Printed("3.8", "G", quote="3.8×10⁹"), HE_T1, ("resnet50-paper", "resnet50")),
    Figure("ResNet-101", "macs", Printed("7.6", "G", quote="7.6×10⁹"), HE_T1, ("resnet101-paper", "resnet101")),
    Figure("ResNet-152", "macs", Printed("11.3", "G", quote="11.3×10⁹"), HE_T1, ("resnet152-paper", "resnet152")),
)
