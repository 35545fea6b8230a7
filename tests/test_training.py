"""One training step: backward MACs for input and weight gradients, backward and optimizer FLOPs, frozen layers;
by hand, and against FlopCounterMode around a real loss.backward() (its FLOPs / 2), computed in the test."""

from __future__ import annotations

import pytest

import cnncost
from cnncost.analysis.gradients import frozen_layers
from cnncost.analysis.optimizers import OPTIMIZERS
from cnncost.analysis.training import training_step
from cnncost.cli import main
from cnncost.errors import CnnCostError

torch = pytest.importorskip("torch", reason="torch is the judge of the backward pass")
nn = torch.nn
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from cnncost.torch.network import build_module  # noqa: E402


def backward_macs(module, *inputs) -> int:
    """FlopCounterMode's FLOPs of loss.backward() / 2, the forward run outside the counter."""
    output = module(*inputs)
    with FlopCounterMode(display=False) as counter:
        output.float().sum().backward()
    return counter.get_total_flops() // 2


def tiny():
    # conv 3->4, 3x3 on 3x8x8 (out 4x6x6); relu; flatten 144; linear 144->5
    return cnncost.Graph.build(
        "tiny",
        [
            cnncost.layer("conv2d", "conv", out_channels=4, kernel_size=3),
            cnncost.layer("relu", "relu"),
            cnncost.layer("flatten", "flat"),
            cnncost.layer("linear", "fc", out_features=5),
        ],
        input=(3, 8, 8),
    )


def test_a_small_network_by_hand():
    step = training_step(cnncost.profile(tiny()), "sgd")
    conv, relu, flat, fc = step.layers
    # conv forward 4*6*6 * 3*3*3 = 3,888 MACs; its input is the image: no input gradient, a weight gradient of 3,888
    assert (conv.input_grad_macs, conv.weight_grad_macs) == (0, 3_888)
    assert conv.backward_flops == 2 * 3_888 + 0  # bias additions are not counted forward, so none here either
    # relu: 144 FLOPs forward, passed on once; fc: 144*5 = 720 MACs for each gradient
    assert (relu.input_grad_macs, relu.backward_flops) == (0, 144)
    assert (flat.backward_flops, fc.input_grad_macs, fc.weight_grad_macs, fc.backward_flops) == (0, 720, 720, 2_880)
    # trained params: conv 4*27 + 4 = 112, fc 144*5 + 5 = 725; SGD: 2 FLOPs each
    assert step.trained_params == 837 and step.optimizer_flops == 2 * 837
    assert step.total_flops == step.forward_flops + 2 * (3_888 + 1_440) + 144 + 2 * 837


def test_freezing_the_first_layer_stops_its_weight_gradient_and_every_input_gradient_before_the_next():
    step = training_step(cnncost.profile(tiny()), "adam", "conv")
    assert step.frozen == ("conv",) and step.layer("conv").weight_grad_macs == 0
    assert step.layer("relu").backward_flops == 0  # nothing before it is trained: no gradient flows back
    assert step.layer("fc").input_grad_macs == 0 and step.layer("fc").weight_grad_macs == 720
    assert step.trained_params == 725 and step.optimizer_flops == 13 * 725


@pytest.mark.parametrize(
    "name, size, freeze",
    [
        ("resnet18", (3, 64, 64), None),
        ("resnet18", (3, 64, 64), "conv1..layer2"),
        ("alexnet", (3, 227, 227), "conv1..conv3"),
        ("vgg11", (3, 64, 64), "fc6"),
        ("googlenet", (3, 96, 96), "conv1,conv2,inception3a"),
    ],
)
@pytest.mark.slow
def test_backward_macs_equal_flopcountermode_on_a_real_backward(name, size, freeze):
    step = training_step(cnncost.profile(name, input=size, batch=2), "adam", freeze)
    module = build_module(cnncost.create(name), cnncost.profile(name, input=size)).train()
    for layer in step.frozen:
        module.nodes[module.keys[layer]].requires_grad_(False)
    assert step.backward_macs == backward_macs(module, torch.randn(2, *size))
    trained = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert step.trained_params == trained and step.optimizer_flops == 13 * trained


class Head(nn.Module):
    """A frozen backbone (requires_grad False), a trained head, and a product of two activations."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
        self.backbone.requires_grad_(False)
        self.query, self.key = nn.Linear(8, 8), nn.Linear(8, 8)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        tokens = self.backbone(x).flatten(2).transpose(1, 2)  # N x 64 x 8
        scores = self.query(tokens) @ self.key(tokens).transpose(1, 2)  # N x 64 x 64, both sides need gradients
        return self.head(scores.mean(1))


def test_a_modules_frozen_parameters_are_read_from_requires_grad():
    module = Head()
    p = cnncost.profile(module, input=(3, 8, 8), batch=2)
    frozen = sum(q.numel() for q in module.backbone.parameters())
    assert p.total.params - p.total.trainable_params == frozen
    step = p.training("momentum")
    assert step.backward_macs == backward_macs(module, torch.randn(2, 3, 8, 8))
    assert step.optimizer_flops == 4 * sum(q.numel() for q in module.parameters() if q.requires_grad)
    assert all(q.requires_grad is False for q in module.backbone.parameters())  # profiling changed nothing


class Twice(nn.Module):
    """One convolution called twice: each call has a weight gradient, the parameters one update."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.c = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        return self.c(torch.relu(self.c(self.stem(x))))


def test_a_module_called_twice_has_a_weight_gradient_at_each_call():
    module = Twice()
    step = cnncost.profile(module, input=(3, 8, 8), batch=2).training("sgd")
    assert step.backward_macs == backward_macs(module, torch.randn(2, 3, 8, 8))
    assert step.optimizer_flops == 2 * sum(p.numel() for p in module.parameters())
    frozen = cnncost.profile(module, input=(3, 8, 8), batch=2).training("sgd", "c")
    module.c.requires_grad_(False)
    assert frozen.frozen == ("c", "c#2") and frozen.backward_macs == backward_macs(module, torch.randn(2, 3, 8, 8))


def test_a_frozen_weight_whose_bias_trains_has_no_weight_gradient():
    module = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    module[2].weight.requires_grad_(False)  # its bias still trains: a sum, no MACs
    step = cnncost.profile(module, input=(16,), batch=4).training()
    assert step.layer("2").weight_grad_macs == 0 and step.layer("2").input_grad_macs == 4 * 32 * 8
    assert step.backward_macs == backward_macs(module, torch.randn(4, 16))  # 4*16*32 + 4*32*8 = 3,072


def test_flopcountermode_counts_a_grouped_convs_weight_gradient_groups_times():
    # conv 16 -> 32, 3x3, groups 4, on 2x16x8x8: forward 2*32*8*8 * (16/4)*3*3 = 147,456 MACs. The weight gradient
    # sums, for each of the 32*4*3*3 weights, over 2*8*8 outputs: 147,456 MACs, as the forward. FlopCounterMode's
    # formula leaves the groups out and counts 4 x 147,456 = 589,824 for it.
    module = nn.Conv2d(16, 32, 3, padding=1, groups=4)
    step = cnncost.profile(module, input=(16, 8, 8), batch=2).training()
    assert (step.input_grad_macs, step.weight_grad_macs) == (0, 147_456)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    assert backward_macs(module, x) == 147_456 + 4 * 147_456


def test_freeze_names_layers_blocks_and_ranges():
    p = cnncost.profile("resnet18")
    assert frozen_layers(p, "layer1")[0] == "layer1.0.conv1" and frozen_layers(p, "layer1")[-1] == "layer1.1.relu"
    everything = frozen_layers(p, "conv1..layer4")
    assert everything[0] == "conv1" and everything[-1].startswith("layer4.1")
    with pytest.raises(CnnCostError, match="has no layer or block 'layr1'.*layer1"):
        frozen_layers(p, "layr1")
    with pytest.warns(cnncost.CnnCostWarning, match="--freeze maxpool: maxpool has no parameters"):
        assert frozen_layers(p, "maxpool") == ("maxpool",)


def test_table_training_prints_forward_backward_and_optimizer_costs(capsys):
    assert (
        main(
            [
                "table",
                "resnet50",
                "--training",
                "--optimizer",
                "adam",
                "--freeze",
                "conv1..layer3",
                "--exact",
                "--all-layers",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    step = cnncost.profile("resnet50").training("adam", "conv1..layer3")
    for header in ("in-grad MACs", "w-grad MACs", "bwd FLOPs", "opt FLOPs"):
        assert header in out
    assert f"Training step FLOPs (forward + backward + optimizer)  {step.total_flops:,}" in out
    frozen = set(step.frozen)
    first_trained = next(i for i, layer in enumerate(step.layers) if layer.trained_params)
    for i, layer in enumerate(step.layers):
        if layer.name in frozen:
            assert layer.weight_grad_macs == 0 and layer.optimizer_flops == 0
        if i < first_trained:
            assert layer.input_grad_macs == 0 and layer.backward_flops == 0
    assert step.layer("fc").weight_grad_macs == 2048 * 1000 and step.layer("layer4.0.conv1").input_grad_macs == 0


def test_training_in_csv_and_json(capsys):
    import json

    assert main(["table", "alexnet", "--optimizer", "sgd", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    step = cnncost.profile("alexnet").training("sgd")
    assert data["training"]["backward_macs"] == step.backward_macs and data["training"]["optimizer"] == "sgd"
    assert sum(layer["weight_grad_macs"] for layer in data["layers"]) == step.weight_grad_macs
    assert main(["table", "resnet18", "--freeze", "layer1", "--depth", "1", "--format", "csv"]) == 0
    import io

    import pandas as pd

    from cnncost.report.rows import table_rows

    frame = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("name")
    p = cnncost.profile("resnet18")
    step = p.training("adam", "layer1")
    assert list(frame.index) == [row.name for row in table_rows(p, fold=False, depth=1)]
    assert frame.loc["layer1", "weight_grad_macs"] == 0 and frame.loc["layer1", "input_grad_macs"] > 0
    assert frame["weight_grad_macs"].sum() == step.weight_grad_macs
    assert frame["optimizer_flops"].sum() == step.optimizer_flops


def test_optimizers_are_named_with_their_step():
    assert {o.name: o.step_flops for o in OPTIMIZERS} == {"sgd": 2, "momentum": 4, "adam": 13, "adamw": 14}
    assert main(["table", "alexnet", "--freeze", "fc9"]) == 2
