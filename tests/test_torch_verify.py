"""The torch cross-check: builders cover every layer type, and every architecture equals torch layer by layer."""

import inspect

import pytest

torch = pytest.importorskip("torch", reason="the torch cross-check needs torch (pip install -e '.[test]')")

import cnncost  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.layers import layer_type, layer_types  # noqa: E402
from cnncost.layers.registry import OpCost  # noqa: E402
from cnncost.torch.builders import torch_builder, torch_builders  # noqa: E402
from cnncost.torch.verify import verify  # noqa: E402
from cnncost.zoo import list_models  # noqa: E402

from .test_formulas import EXAMPLE_ATTRS, EXAMPLES  # noqa: E402


def test_builders_cover_the_same_types_as_the_formulas():
    assert sorted(torch_builders()) == sorted(layer_types())


@pytest.mark.parametrize("op", sorted(layer_types()))
def test_builder_takes_the_formula_attributes(op):
    keywords = [p.name for p in inspect.signature(torch_builder(op)).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert tuple(keywords) == layer_type(op).attributes


def single_layer_graph(op):
    """A graph of one layer of type op fed by as many inputs as its example has (projections of the input)."""
    shapes = EXAMPLES[op]
    first = shapes[0]
    nodes = []
    for i, shape in enumerate(shapes):  # shape each input from a 1-element input with an adaptive pool or linear
        if len(shape) == 3:
            nodes += [layer("conv2d", f"in{i}.conv", "input", out_channels=shape[0], kernel_size=1),
                      layer("adaptive_avg_pool2d", f"in{i}", output_size=shape[1:])]
        else:
            nodes += [layer("flatten", f"in{i}.flat", "input"), layer("linear", f"in{i}", out_features=shape[0])]
    nodes.append(layer(op, "probe", *(f"in{i}" for i in range(len(shapes))), **EXAMPLE_ATTRS.get(op, {})))
    return Graph.build(f"probe-{op}", nodes, (1, *first[1:]) if len(first) == 3 else (1, 2, 2))


@pytest.mark.parametrize("op", sorted(set(layer_types()) - {"uncounted"}))
def test_every_layer_type_equals_torch_on_the_cpu(op):
    result = verify(single_layer_graph(op), batch=2, device="cpu")
    assert result.ok, result.failures


@pytest.mark.parametrize("name", list_models())
def test_every_architecture_equals_torch(name):
    result = verify(cnncost.create(name), batch=2, device="meta")
    assert result.ok, [(c.name, c.mismatches) for c in result.failures][:5]
    assert len(result.layers) == len(cnncost.profile(name).layers)


@pytest.mark.parametrize("name, size", [
    ("alexnet-paper", (3, 227, 227)), ("zfnet-paper", (3, 224, 224)), ("resnet18", (3, 96, 80)),
    ("googlenet", (3, 64, 64)), ("vgg11_bn", (3, 48, 48)), ("se_resnet50", (3, 64, 64)),
    ("resnext50_32x4d", (3, 64, 64)), ("inception_v3-aux", (3, 299, 299)), ("densenet121", (3, 64, 64)),
    ("squeezenet1_1", (3, 96, 96)), ("mobilenet_v3_large", (3, 96, 96)), ("shufflenet_v2_x1_0", (3, 96, 96)),
    ("efficientnet_b0", (3, 96, 96))])
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

    import cnncost.layers.registry as registry

    monkeypatch.setitem(registry._LAYER_TYPES, "conv2d",
                        dataclasses.replace(layer_type("conv2d"), formula=off_by_the_bias))
    result = verify(cnncost.create("alexnet"), device="meta")
    assert not result.ok
    assert {c.name for c in result.failures} == {"conv1", "conv2", "conv3", "conv4", "conv5"}
    assert all(c.mismatches == ("MACs",) for c in result.failures)


def test_verify_cli(capsys):
    assert main(["verify", "alexnet"]) == 0
    out = capsys.readouterr().out
    assert "all 22 layers equal torch's" in out and "MACs 716,767,232" in out
    assert main(["verify"]) == 2
    assert "give an architecture name or --all" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where CUDA is missing")
def test_verify_cuda_without_a_gpu_is_a_clear_error(capsys):
    assert main(["verify", "alexnet", "--device", "cuda"]) == 2
    assert "no CUDA device is available" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_verify_on_cuda():
    assert verify(cnncost.create("resnet18"), device="cuda").ok
