"""Other tools' counts, layer by layer (cnncost.conventions): each rule on a network of one layer, by hand, as
benchmarks/README.md measured each tool; with the tools installed (pip install -e '.[peers]'), every convention's
total equal to the tool's own on the same module; `--convention` and `cnncost conventions`."""

from __future__ import annotations

import pytest

import cnncost
from cnncost import Graph, layer
from cnncost.cli import main
from cnncost.conventions import CONVENTIONS, under

# input 16x16x16 (4,096 elements), or 256 features for the linear
CONV = [layer("conv2d", "conv", out_channels=16, kernel_size=3, padding=1)]  # 16·16·16 outputs × 16·9 = 589,824
LAYERS = {
    "conv with bias": (CONV, (16, 16, 16)),
    "linear with bias": ([layer("linear", "fc", out_features=10)], (256,)),  # 2,560 MACs, 10 biases
    "batch norm": ([layer("batch_norm2d", "bn")], (16, 16, 16)),
    "relu": ([layer("relu", "relu")], (16, 16, 16)),
    "max pool 2x2": ([layer("max_pool2d", "pool", kernel_size=2)], (16, 16, 16)),  # 1,024 outputs
    "avg pool 2x2": ([layer("avg_pool2d", "pool", kernel_size=2)], (16, 16, 16)),
    "adaptive avg pool to 1": ([layer("adaptive_avg_pool2d", "pool", output_size=1)], (16, 16, 16)),  # 16 outputs
}
# what each tool reports for each one-layer network (benchmarks/README.md, "What each tool counts")
EXPECTED = {
    "conv with bias": dict(
        cnncost=589_824,
        paper=589_824,
        flopcounter=1_179_648,
        torchinfo=593_920,
        fvcore=589_824,
        ptflops=593_920,
        **{"ptflops-aten": 593_920},
        thop=589_824,
    ),
    "linear with bias": dict(
        cnncost=2_560,
        paper=2_560,
        flopcounter=5_120,
        torchinfo=2_570,
        fvcore=2_560,
        ptflops=2_570,
        **{"ptflops-aten": 2_570},
        thop=2_560,
    ),
    # torchinfo: its 2·16 parameters; fvcore and ptflops 2 per element (affine); thop 4 per element
    "batch norm": dict(
        cnncost=0, paper=0, flopcounter=0, torchinfo=32, fvcore=8_192, ptflops=8_192, **{"ptflops-aten": 0}, thop=16_384
    ),
    "relu": dict(
        cnncost=0, paper=0, flopcounter=0, torchinfo=0, fvcore=0, ptflops=8_192, **{"ptflops-aten": 0}, thop=0
    ),  # ptflops: the module and the F.relu inside it, 4,096 each
    "max pool 2x2": dict(
        cnncost=0, paper=0, flopcounter=0, torchinfo=0, fvcore=0, ptflops=8_192, **{"ptflops-aten": 0}, thop=0
    ),
    "avg pool 2x2": dict(
        cnncost=0, paper=0, flopcounter=0, torchinfo=0, fvcore=0, ptflops=8_192, **{"ptflops-aten": 0}, thop=1_024
    ),  # thop: 1 per output
    "adaptive avg pool to 1": dict(
        cnncost=0, paper=0, flopcounter=0, torchinfo=0, fvcore=4_096, ptflops=8_192, **{"ptflops-aten": 0}, thop=4_112
    ),  # thop: (256 + 1) · 16
}


@pytest.mark.parametrize("case", list(LAYERS))
@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_each_rule_on_one_layer_by_hand(case, name):
    nodes, shape = LAYERS[case]
    result = cnncost.propagate(Graph.build(case, nodes, input=shape))
    assert CONVENTIONS[name].total(result) == EXPECTED[case][name]


NETWORKS = ("alexnet", "vgg16", "resnet50", "mobilenet_v2", "googlenet", "efficientnet_b0", "mobilenet_v3_large")
# A network that ends in a global pool, at half its side (a quarter of the work): the tools count the same module at
# any size. AlexNet and VGG-16 keep theirs: smaller, their adaptive pool would upsample, which thop counts with a
# fractional window the rule does not follow.
SIZES = {network: (3, 112, 112) for network in NETWORKS if network not in ("alexnet", "vgg16")}
TOOLS = {
    "torchinfo": "torchinfo_count",
    "fvcore": "fvcore_count",
    "ptflops": "ptflops_count",
    "ptflops-aten": "ptflops_aten_count",
    "thop": "thop_count",
    "flopcounter": "flop_counter_count",
}


@pytest.fixture(scope="module")
def built():
    """Each network's profile and torch module, built once for every tool (the peers leave a module as they found it)."""
    torch = pytest.importorskip("torch")
    for package in ("torchinfo", "fvcore", "ptflops", "thop"):
        pytest.importorskip(package, reason="the peers are an extra: pip install -e '.[peers]'")
    from cnncost.torch.network import build_module

    found = {}

    def get(network: str):
        if network not in found:
            result = cnncost.propagate(cnncost.create(network), input=SIZES.get(network))
            # built on the meta device and given memory unfilled: counts need shapes, not initialised weights
            module = build_module(cnncost.create(network), result, "meta").to_empty(device="cpu")
            found[network] = result, module, torch.randn(1, *result.input_shape.dims)
        return found[network]

    return get


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("name", list(TOOLS))
def test_each_total_equals_the_tools_own_on_the_same_module(built, network, name):
    import warnings

    from tests import peers

    peers.quiet()
    result, module, x = built(network)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(peers, TOOLS[name])(module, x)[0]
    theirs *= 2 if name == "flopcounter" else 1  # peers.py halves FlopCounterMode's FLOPs
    assert CONVENTIONS[name].total(result) == theirs


def test_a_profile_under_a_convention_and_the_commands(capsys):
    fvcore = cnncost.profile("resnet50", convention="fvcore")
    assert fvcore.total.macs == 4_111_512_576 == sum(cost.macs for cost in fvcore.layers)
    assert fvcore.total.params == cnncost.profile("resnet50").total.params
    assert "the 'fvcore' convention" in fvcore.notes[-1] and fvcore.notes[-1].kind == "convention"
    assert under(fvcore, "cnncost") is fvcore
    flops = cnncost.profile("resnet50", convention="flopcounter")  # FlopCounterMode counts FLOPs: 2 per MAC
    assert (flops.total.macs, flops.total.flops) == (4_089_184_256, 8_178_368_512)
    assert main(["table", "resnet50", "--convention", "thop", "--format", "json"]) == 0
    assert '"macs": 4133742592' in capsys.readouterr().out
    assert main(["check", "resnet50", "--convention", "ptflops", "--max-macs", "4.13G"]) == 1  # 4,132,436,968
    assert "MACs as ptflops 0.7.5 (pytorch backend) counts them" in capsys.readouterr().out
    assert main(["compare", "resnet50", "resnet18", "--convention", "fvcore", "--format", "json"]) == 0
    assert "4111512576" in capsys.readouterr().out
    assert main(["conventions", "resnet50"]) == 0
    out = capsys.readouterr().out
    assert "4,111,512,576" in out and "batch_norm2d +22,227,968; adaptive_avg_pool2d +100,352" in out
    assert main(["table", "alexnet", "--convention", "fvcor"]) == 2
    assert "unknown convention 'fvcor' (did you mean: fvcore?)" in capsys.readouterr().err
