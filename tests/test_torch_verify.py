"""The torch cross-check: builders cover every layer type, and every architecture equals torch layer by layer."""

import pytest

torch = pytest.importorskip("torch", reason="the torch cross-check needs torch (pip install -e '.[test]')")

import cnncost  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.layers import layer_type, layer_types  # noqa: E402
from cnncost.layers.registry import OpCost  # noqa: E402
from cnncost.torch.builders import torch_builders  # noqa: E402
from cnncost.torch.verify import verify  # noqa: E402
from cnncost.zoo import list_models  # noqa: E402

UNBUILDABLE = {"input", "unused", "gather", "uncounted"}  # fed by the caller, no computation, or no formula


def test_every_layer_type_has_a_torch_builder():
    assert set(torch_builders()) == set(layer_types())


def single_layer_graph(op):
    """A graph of one layer of type op, fed by the network's input and, for its further inputs, further inputs of
    the network: the shapes of the type's registered example."""
    example = layer_type(op).example
    shapes = example.inputs
    nodes = [layer("input", f"in{i}", shape=shape) for i, shape in enumerate(shapes[1:], start=1)]
    inputs = ("input", *(f"in{i}" for i in range(1, len(shapes)))) if shapes else ()
    nodes.append(layer(op, "probe", *inputs, **example.attributes))
    return Graph.build(f"probe-{op}", nodes, shapes[0] if shapes else (1,))


@pytest.mark.parametrize("op", sorted(set(layer_types()) - UNBUILDABLE))
def test_every_layer_type_equals_torch_on_the_cpu(op):
    result = verify(single_layer_graph(op), batch=2, device="cpu")
    assert result.ok, [
        (c.name, c.mismatches, c.engine_shape, c.torch_shape, c.engine_macs, c.torch_macs) for c in result.layers
    ] + [result.engine_totals, result.torch_totals]


@pytest.mark.parametrize("name", list_models())
@pytest.mark.slow
def test_every_architecture_equals_torch(name):
    result = verify(cnncost.create(name), batch=2, device="meta")
    assert result.ok, [(c.name, c.mismatches) for c in result.failures][:5]
    assert len(result.layers) == len(cnncost.profile(name).layers)


@pytest.mark.parametrize(
    "name, size",
    [
        ("alexnet-paper", (3, 227, 227)),
        ("zfnet-paper", (3, 224, 224)),
        ("resnet18", (3, 96, 80)),
        ("googlenet", (3, 64, 64)),
        ("vgg11_bn", (3, 48, 48)),
        ("se_resnet50", (3, 64, 64)),
        ("resnext50_32x4d", (3, 64, 64)),
        ("inception_v3-aux", (3, 299, 299)),
        ("densenet121", (3, 64, 64)),
        ("squeezenet1_1", (3, 96, 96)),
        ("mobilenet_v3_large", (3, 96, 96)),
        ("shufflenet_v2_x1_0", (3, 96, 96)),
        ("efficientnet_b0", (3, 96, 96)),
    ],
)
@pytest.mark.slow
def test_real_forward_pass_on_the_cpu(name, size):
    assert verify(cnncost.create(name), input=size, batch=1, device="cpu").ok


def test_an_uncounted_op_has_no_torch_module():
    with pytest.raises(cnncost.CnnCostError, match="no torch module stands for the uncounted op 'torch.erf'"):
        verify(single_layer_graph("uncounted"), device="cpu")


def test_a_wrong_formula_is_caught(monkeypatch):
    honest = layer_type("conv2d").formula

    def off_by_the_bias(x, **attrs):  # a MAC per output channel too many
        cost = honest(x, **attrs)
        return OpCost(cost.output, cost.params, cost.buffers, cost.macs + cost.output.channels, cost.flops)

    import dataclasses

    from cnncost.layers.registry import LAYER_TYPES
    from cnncost.registries import scratch

    with scratch():
        LAYER_TYPES.replace("conv2d", dataclasses.replace(layer_type("conv2d"), formula=off_by_the_bias))
        result = verify(cnncost.create("alexnet"), device="meta")
    assert not result.ok
    assert {c.name for c in result.failures} == {"conv1", "conv2", "conv3", "conv4", "conv5"}
    assert all(c.mismatches == ("MACs",) for c in result.failures)


def test_verify_cli(capsys):
    assert main(["verify", "alexnet"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "all 22 layers equal torch's" in out and "MACs 716,767,232" in out
    assert main(["verify"]) == 2
    assert "give an architecture name or --all" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where CUDA is missing")
def test_verify_cuda_without_a_gpu_is_a_clear_error(capsys):
    assert main(["verify", "alexnet", "--device", "cuda"]) == 2
    assert "no CUDA device is available" in capsys.readouterr().err


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_verify_on_cuda():
    assert verify(cnncost.create("resnet18"), device="cuda").ok
