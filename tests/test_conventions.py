"""Other tools' counts, layer by layer (cnncost.conventions): each rule on a network of one layer, by hand, as
benchmarks/README.md measured each tool, and on small torch modules by hand; with the tools installed (pip install -e
'.[peers]'), every convention's total equal to the tool's own on the same module: the built-in networks, modules
written the way timm, segmentation_models_pytorch, ultralytics and transformers write theirs (tests/fixtures/
peer_patterns.py) and a transformers ViTModel; the layers a rule cannot count, marked; `--convention` and `cnncost
conventions`."""

from __future__ import annotations

import dataclasses
import json

import pytest

import cnncost
from cnncost import Graph, layer
from cnncost.cli import main
from cnncost.conventions import CONVENTIONS, ModuleInfo, module_info, under

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
# Each network at half its side (a quarter of the work): the tools count the same module at any size. AlexNet's and
# VGG-16's adaptive pools then upsample 2x2 to 6x6 and 3x3 to 7x7, which thop counts with a fractional window.
SIZES = dict.fromkeys(NETWORKS, (3, 112, 112))
TOOLS = {
    "torchinfo": "torchinfo_count",
    "fvcore": "fvcore_count",
    "ptflops": "ptflops_count",
    "ptflops-aten": "ptflops_aten_count",
    "thop": "thop_count",
    "flopcounter": "flop_counter_count",
}
ONE_SAMPLE = ("ptflops", "ptflops-aten")  # ptflops makes its own input, of one sample


def tool_count(name: str, module, x) -> int:
    """The tool's own total on the module and input, in the convention's unit."""
    import warnings

    from tests import peers

    peers.quiet()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(peers, TOOLS[name])(module, x)[0]
    return theirs * (2 if name == "flopcounter" else 1)  # peers.py halves FlopCounterMode's FLOPs


def needs_peers() -> None:
    """Skip, saying why, where the other tools are not installed."""
    for package in ("torchinfo", "fvcore", "ptflops", "thop"):
        pytest.importorskip(package, reason="the peers are an extra: pip install -e '.[peers]'")


@pytest.fixture(scope="module")
def built():
    """Each network's profile and torch module, built once for every tool (the peers leave a module as they found it)."""
    torch = pytest.importorskip("torch")
    needs_peers()
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
    result, module, x = built(network)
    assert CONVENTIONS[name].total(result) == tool_count(name, module, x)
    assert not CONVENTIONS[name].unknown(result)  # a built-in network's every layer is known to every rule


# --- torch modules, as libraries write them -------------------------------------------------------------------------

# Written here as their libraries write them: these can be told apart only where a tool counts one way of writing and
# not the other (ptflops: x.add(y) but not x + y; FlopCounterMode: fused attention on CUDA, not on the CPU)
UNKNOWABLE = {"add", "multiply", "matmul", "relu", "softmax", "scaled_dot_product_attention"}


@pytest.fixture(scope="module")
def patterns():
    """Each pattern's profile, module and input, at its batch or at one sample, made once for every tool."""
    torch = pytest.importorskip("torch")
    needs_peers()
    from tests.fixtures.peer_patterns import PATTERNS

    found = {}

    def get(pattern: str, one_sample: bool):
        if (pattern, one_sample) not in found:
            make, shape = PATTERNS[pattern]
            torch.manual_seed(0)
            module, x = make().eval(), torch.randn(*shape)
            x = x[:1] if one_sample else x
            found[pattern, one_sample] = cnncost.profile(module, input=x), module, x
        return found[pattern, one_sample]

    return get


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
@pytest.mark.parametrize("pattern", ["convnext", "vit", "efficientnet", "yolo", "unet"])
@pytest.mark.parametrize("name", list(TOOLS))
def test_each_total_equals_the_tools_own_on_modules_written_as_libraries_write_them(patterns, pattern, name):
    result, module, x = patterns(pattern, name in ONE_SAMPLE)
    assert CONVENTIONS[name].total(result) == tool_count(name, module, x)
    unknown = {cost.op for cost in result.layers if cost.name in CONVENTIONS[name].unknown(result)}
    assert unknown <= UNKNOWABLE


@pytest.fixture(scope="module")
def vit():
    """A transformers ViTModel from a small configuration (no weights downloaded), its profile and input."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers", reason="the peers extra installs transformers")
    needs_peers()
    torch.manual_seed(0)
    config = transformers.ViTConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, image_size=32, patch_size=8
    )
    module, x = transformers.ViTModel(config).eval(), torch.randn(1, 3, 32, 32)
    return cnncost.profile(module, input=x), module, x


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
@pytest.mark.parametrize("name", list(TOOLS))
def test_each_total_equals_the_tools_own_on_a_transformers_vit(vit, name):
    result, module, x = vit
    assert CONVENTIONS[name].total(result) == tool_count(name, module, x)


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
@pytest.mark.parametrize("name", ["thop", "ptflops"])
def test_a_subclass_that_keeps_torchs_class_name_is_told_apart_by_its_class(name):
    torch = pytest.importorskip("torch")
    from tests.fixtures.peer_patterns import SameNamedNorm

    module, x = SameNamedNorm().eval(), torch.randn(1, 5, 16)
    result = cnncost.profile(module, input=x)
    # timm's LayerNorm subclasses torch's under the same name: thop and ptflops match classes exactly and skip it
    assert CONVENTIONS[name].total(result, module_info(module)) == tool_count(name, module, x)
    # the recording keeps each class by module and name: timm's LayerNorm is not torch's, without module_info
    assert CONVENTIONS[name].total(result) == tool_count(name, module, x)


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
def test_what_ptflops_counts_depends_on_how_a_call_is_written_which_a_recording_cannot_tell():
    torch = pytest.importorskip("torch")
    from tests.fixtures.peer_patterns import MethodMul, OperatorMul

    x = torch.randn(1, 3, 4, 4)
    method, operator = cnncost.profile(MethodMul(), input=x), cnncost.profile(OperatorMul(), input=x)
    assert [c[:2] for c in method.layers] == [c[:2] for c in operator.layers] == [("mul", "multiply")]
    assert tool_count("ptflops", MethodMul(), x) == 48 and tool_count("ptflops", OperatorMul(), x) == 0  # 3·4·4
    assert CONVENTIONS["ptflops"].unknown(method) == ("mul",)  # so the rule says it cannot know


def traced(module, *shape):
    """The profile of a module recorded on an input of that shape."""
    torch = pytest.importorskip("torch")
    return cnncost.profile(module, input=torch.zeros(*shape))


@pytest.mark.torch
def test_the_rules_on_torch_modules_by_hand():
    torch = pytest.importorskip("torch")
    from torch import nn

    from tests.fixtures.peer_patterns import FunctionalPool, Product, Residual, TransposedTokens, UNetish

    def total(name, module, *shape):
        return CONVENTIONS[name].total(traced(nn.Sequential(module), *shape))  # a module in a network

    tokens = nn.Linear(16, 8)  # on 2 x 5 tokens: 2·5·16·8 = 1,280 MACs, 8 biases, 136 parameters
    assert total("torchinfo", tokens, 2, 5, 16) == 136 * 2  # the parameters × the output's first dim
    assert total("thop", tokens, 2, 5, 16) == 1_280 and total("fvcore", tokens, 2, 5, 16) == 1_280
    assert total("ptflops", tokens, 2, 5, 16) == 1_280 + 2 * 5 * 8  # a bias addition per output element
    norm = nn.LayerNorm(16)  # 2·5·16 = 160 elements
    assert total("fvcore", norm, 2, 5, 16) == 5 * 160 and total("thop", norm, 2, 5, 16) == 4 * 160
    assert total("ptflops", norm, 2, 5, 16) == 160 and total("torchinfo", norm, 2, 5, 16) == 32 * 2
    up = nn.Upsample(scale_factor=2)  # 1·4·8·8 to 1·4·16·16 = 1,024 outputs
    assert total("fvcore", up, 1, 4, 8, 8) == total("thop", up, 1, 4, 8, 8) == 1_024
    assert total("ptflops", up, 1, 4, 8, 8) == 2 * 1_024  # its hook and F.interpolate inside it
    pool = FunctionalPool()  # F.adaptive_avg_pool2d, a function: 4·8·8 = 256 inputs
    assert total("thop", pool, 1, 4, 8, 8) == 0 and total("ptflops", pool, 1, 4, 8, 8) == 256
    assert total("fvcore", pool, 1, 4, 8, 8) == 256
    residual = traced(Residual(), 1, 4, 16)  # x + fc(x): ptflops counts x.add(y), not x + y
    assert CONVENTIONS["ptflops"].unknown(residual) == ("add",)
    assert CONVENTIONS["ptflops"].total(residual) == 4 * 16 * 16 + 4 * 16  # the linear's products and biases
    unet = traced(UNetish(), 1, 3, 8, 8)
    assert not any(CONVENTIONS[name].unknown(unet) for name in ("torchinfo", "fvcore", "thop", "ptflops"))
    # fvcore counts an einsum as numpy's einsum_path prints it: 333·777·55 = 14,230,755 products, twice as FLOPs
    # and 1 more, 28,461,511, printed 2.846e+07, halved: 14,230,000
    product = cnncost.profile(Product(), input=[torch.zeros(333, 777), torch.zeros(777, 55)])
    assert CONVENTIONS["fvcore"].total(product) == 14_230_000 and product.total.macs == 14_230_755
    # a Linear on a transposed 2 x 8 x 8 input: torch dispatches bmm and an add, which ptflops' aten backend does not
    # count; on a contiguous one, addmm and its bias: 2·8·8·8 = 1,024 products, 2·8·8 = 128 bias additions
    assert total("ptflops-aten", TransposedTokens(), 2, 8, 8) == 1_024
    assert total("ptflops-aten", tokens, 2, 5, 16) == 1_280 + 80


@pytest.mark.torch
def test_a_network_that_is_one_module_has_its_class_from_the_profiles_modules():
    pytest.importorskip("torch")
    from torch import nn

    recorded = traced(nn.Linear(16, 8), 2, 5, 16)  # the profile keeps the module's classes: the network's own too
    assert recorded.modules is not None and recorded.modules[""] == ModuleInfo("Linear", True)
    assert CONVENTIONS["torchinfo"].total(recorded) == 2 * 136  # torchinfo: 136 parameters x the batch of 2
    alone = dataclasses.replace(recorded, modules=None)  # as read back from a file: the layers alone keep no class
    assert [CONVENTIONS[name].unknown(alone) for name in ("torchinfo", "thop", "ptflops")] == [("linear",)] * 3
    assert CONVENTIONS["fvcore"].total(alone) == 2 * 5 * 16 * 8  # fvcore counts the op, whatever calls it
    given = module_info(nn.Linear(16, 8))  # the class, where the module is at hand
    assert CONVENTIONS["torchinfo"].total(alone, given) == 272 and not CONVENTIONS["thop"].unknown(alone, given)


def grid_sample(x, grid, *, mode: str = "bilinear"):
    """A user's formula for F.grid_sample: N x C x H x W sampled at N x h x w points, 8 FLOPs each (bilinear)."""
    from cnncost import OpCost, Shape

    out = Shape((x.dims[0], x.dims[1], grid.dims[1], grid.dims[2]))
    return OpCost(out, flops=8 * out.numel)


@pytest.mark.torch
def test_a_users_formula_is_counted_by_the_rules_that_know_its_function_and_unknown_to_the_others():
    torch = pytest.importorskip("torch")
    from cnncost.registries import scratch
    from cnncost.trace import rules  # noqa: F401  its handlers' registry made before scratch() saves every registry
    from tests.fixtures.peer_patterns import Sampler

    with scratch():
        cnncost.register_formula("grid_sample", grid_sample, torch_function=torch.nn.functional.grid_sample)
        cnncost.register_formula("cdist", lambda x, y: cnncost.OpCost(cnncost.Shape((*x.dims[:-1], y.dims[-2]))))
        result = traced(Sampler(), 1, 3, 8, 8)  # 1·8·8·8 = 512 sampled outputs
        conv = sum(c.macs for c in result.layers if c.op == "conv2d")
        assert CONVENTIONS["fvcore"].total(result) == conv + 4 * 512  # aten::grid_sampler: 4 per output element
        assert CONVENTIONS["ptflops-aten"].total(result) == conv + 8 * 64 + 2 * 64  # and the two convs' biases
        assert CONVENTIONS["thop"].total(result) == conv and not CONVENTIONS["thop"].unknown(result)  # a function
        made = result.layers[0]._replace(op="cdist", name="cdist", module=None)  # a function neither tool knows
        alone = dataclasses.replace(result, layers=(made,))
        assert CONVENTIONS["fvcore"].unknown(alone) == CONVENTIONS["ptflops-aten"].unknown(alone) == ("cdist",)


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.torch
@pytest.mark.parametrize("name", list(TOOLS))
def test_a_users_formula_under_each_tool(name):
    torch = pytest.importorskip("torch")
    from cnncost.registries import scratch
    from cnncost.trace import rules  # noqa: F401  its handlers' registry made before scratch() saves every registry
    from tests.fixtures.peer_patterns import Sampler

    module, x = Sampler().eval(), torch.randn(1, 3, 8, 8)
    with scratch():
        cnncost.register_formula("grid_sample", grid_sample, torch_function=torch.nn.functional.grid_sample)
        result = cnncost.profile(module, input=x)
        assert CONVENTIONS[name].total(result) == tool_count(name, module, x)


@pytest.mark.torch
def test_a_layer_a_rule_cannot_count_is_marked_in_the_table_the_total_and_a_warning(capsys):
    pytest.importorskip("torch")
    module = "tests/fixtures/peer_patterns.py:Residual"
    assert main(["table", module, "--input", "4x16", "--convention", "ptflops", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert '"complete": false' in captured.out and "no count under the 'ptflops' convention" in captured.err
    assert main(["table", module, "--input", "4x16", "--convention", "ptflops", "--exact"]) == 0
    out = capsys.readouterr().out
    assert "uncounted(add, as ptflops counts it)" in out and "1,088+?" in out  # 4·16·16 + 4·16 and the add
    assert main(["conventions", module, "--input", "4x16", "--format", "json"]) == 0
    found = {record["convention"]: record for record in json.loads(capsys.readouterr().out)}
    assert found["ptflops"]["unknown"] == ["add"] and not found["ptflops"]["complete"]
    assert found["torchinfo"]["complete"] and found["torchinfo"]["total"] == 272  # 16·16 + 16 weights × 1
    assert main(["conventions", module, "--input", "4x16"]) == 0
    assert "1,088 +?" in capsys.readouterr().out


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
