"""Training memory against what torch really keeps, on the CPU (and on CUDA where there is a GPU).

torch.autograd.graph.saved_tensors_hooks sees every tensor autograd saves for the backward pass. Several saved
tensors can share one storage (a conv's input is the in-place ReLU's output before it; a flatten is a view), so
torch's figure is the bytes of the unique storages, leaving out the parameters and buffers (counted apart).

Stated tolerance: exact, 0 bytes, for the activations kept, the gradients and the optimizer state on the CPU.
"""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import cnncost  # noqa: E402
import cnncost.cli  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.analysis import graph_of  # noqa: E402
from cnncost.analysis.memory import training_memory  # noqa: E402
from cnncost.analysis.optimizers import OPTIMIZERS  # noqa: E402
from cnncost.torch.network import GraphModule  # noqa: E402
from cnncost.zoo import create  # noqa: E402

TOLERANCE = 0  # bytes, on the CPU

SMALL = Graph.build(
    "small",
    [
        layer("conv2d", "conv", out_channels=8, kernel_size=3, padding=1),
        layer("batch_norm2d", "bn"),
        layer("relu", "relu", inplace=True),
        layer("max_pool2d", "pool", kernel_size=2),
        layer("conv2d", "branch", out_channels=8, kernel_size=3, padding=1),
        layer("relu", "branch.relu"),
        layer("add", "sum", "branch.relu", "pool"),
        layer("hardswish", "act", inplace=True),
        layer("adaptive_avg_pool2d", "gap", output_size=2),
        layer("flatten", "flat"),
        layer("dropout", "drop"),
        layer("linear", "fc", out_features=10),
    ],
    input=(3, 16, 16),
)


def module_of(graph, input=None, batch=2):
    profile = cnncost.profile(graph, input=input, batch=batch)
    torch.manual_seed(0)
    return profile, GraphModule(graph, profile).train()


def kept_by_torch(module, x) -> int:
    """Bytes of the unique storages autograd saves in a forward pass, parameters and buffers left out."""
    own = {t.untyped_storage().data_ptr() for t in [*module.parameters(), *module.buffers()]}
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in own:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        module(x)
    return sum(saved.values())


@pytest.mark.parametrize(
    "name, input",
    [
        ("small", None),
        ("alexnet", None),  # max pooling, in-place ReLU, dropout, flatten
        ("alexnet-paper", None),  # local response norm
        ("resnet18", "3x64x64"),  # batch norm, shortcuts
        ("googlenet", "3x64x64"),  # branches, concat, ceil-mode pooling
        ("densenet121", "3x64x64"),  # a concat per layer
        ("mobilenet_v3_large", "3x64x64"),  # hard-swish in place, SE gates (multiply)
        ("shufflenet_v2_x1_0", "3x64x64"),  # slices (views), channel shuffle
    ],
)
@pytest.mark.slow
def test_activations_kept_for_backward_match_torch(name, input):
    graph = SMALL if name == "small" else create(name)
    profile, module = module_of(graph, input)
    x = torch.rand(profile.batch, *profile.input_shape.dims)
    estimate = training_memory(graph_of(profile), profile).activation_bytes
    assert abs(estimate - kept_by_torch(module, x)) <= TOLERANCE


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.name)
def test_gradients_and_optimizer_state_match_torch(optimizer):
    profile, module = module_of(SMALL)
    make = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
        "momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adam": lambda p: torch.optim.Adam(p),
        "adamw": lambda p: torch.optim.AdamW(p),
    }[optimizer.name]
    step = make(module.parameters())
    module(torch.rand(profile.batch, *profile.input_shape.dims)).sum().backward()
    step.step()
    estimate = training_memory(graph_of(profile), profile)
    gradients = sum(p.grad.untyped_storage().nbytes() for p in module.parameters())
    state = sum(v.untyped_storage().nbytes() for s in step.state.values() for v in s.values() if torch.is_tensor(v))
    assert estimate.gradient_bytes == gradients == estimate.weight_bytes
    assert estimate.optimizer_bytes(optimizer) == state


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: torch.cuda.max_memory_allocated needs one")
def test_cuda_peak_of_a_training_step():
    """The peak a CUDA step allocates, against the estimate with Adam, within 0.8x to 1.6x.

    NB: looser than the CPU check: cuDNN keeps its own workspace and batch-norm reserve, dropout keeps a 1-byte
    mask, and the gradients of activations live for a moment during the backward pass; none is in the estimate.
    """
    profile = cnncost.profile(create("resnet18"), input="3x128x128", batch=16)
    module = GraphModule(create("resnet18"), profile).cuda().train()
    adam = torch.optim.Adam(module.parameters())
    x = torch.rand(profile.batch, *profile.input_shape.dims, device="cuda")
    for _ in range(2):  # the first step creates Adam's state
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        module(x).sum().backward()
        adam.step()
        adam.zero_grad(set_to_none=False)
    ratio = torch.cuda.max_memory_allocated() / training_memory(graph_of(profile), profile).total_bytes(OPTIMIZERS[2])
    assert 0.8 <= ratio <= 1.6


def _fixture(name: str):
    """A model of tests/fixtures by 'file.Class'."""
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    file, _, cls = name.partition(".")
    return getattr(importlib.import_module(file), cls)()


@pytest.mark.parametrize(
    "model, shape",
    [
        ("unet.UNet", (3, 32, 32)),
        ("models.Staged", (3, 16, 16)),
        ("models.ConvNeXt", (3, 32, 32)),
        ("models.Video", (3, 4, 16, 16)),
        ("models.Swin", (3, 32, 32)),  # a learned position bias as the attention's mask: torch's composite
        ("models.Resampling", (3, 16, 16)),  # area resizing, reflection padding, instance norm's repeated weight
        ("modern.ConvNeXt", (3, 32, 32)),  # Dropout(0.), layer scale by a parameter
        ("modern.WindowAttention", (16, 16)),  # a product that copies k and v to fold their heads
        ("modern.VisionTransformer", (3, 32, 32)),  # fused attention, its output's reshape a view (tokens first)
    ],
)
def test_a_recorded_modules_kept_activations_equal_torch(model, shape):
    """Recorded from a user's module (transposed and 3-d convs, channels-last layer norms, GELU, layer scale,
    attention, resizing): the activations kept for backward equal what torch keeps, to the byte."""
    module = _fixture(model)
    profile = cnncost.profile(module, input=shape, batch=2)
    ours = training_memory(graph_of(profile), profile).activation_bytes
    torch.manual_seed(0)
    assert ours == kept_by_torch(module.train(), torch.randn(2, *shape))


@pytest.mark.slow
@pytest.mark.peers
def test_a_transformers_vits_kept_activations_equal_torch():
    """A transformers ViTModel of a small configuration (its own attention: matmuls, softmax, dropout at p = 0)."""
    transformers = pytest.importorskip("transformers", reason="the peers extra installs transformers")
    torch.manual_seed(0)
    config = transformers.ViTConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, image_size=32, patch_size=8
    )
    module = transformers.ViTModel(config)
    profile = cnncost.profile(module, input=(3, 32, 32), batch=2)
    ours = training_memory(graph_of(profile), profile).activation_bytes
    assert ours == kept_by_torch(module.train(), torch.randn(2, 3, 32, 32))


def test_dropout_at_zero_keeps_nothing():
    """Linear(256 -> 1024), GELU, Dropout(0.0), Linear at batch 64: torch returns the dropout's input itself and
    keeps no mask. Kept: the input (64 x 256 x 4 = 65,536 bytes, for the first weight's gradient), GELU's input and
    the second linear's input (64 x 1024 x 4 = 262,144 bytes each): 589,824 bytes."""
    module = torch.nn.Sequential(
        torch.nn.Linear(256, 1024), torch.nn.GELU(), torch.nn.Dropout(0.0), torch.nn.Linear(1024, 256)
    )
    profile = cnncost.profile(module, input=(256,), batch=64)
    ours = training_memory(graph_of(profile), profile).activation_bytes
    assert ours == kept_by_torch(module.train(), torch.randn(64, 256)) == 65_536 + 2 * 262_144


def _frozen_copy(module, prefixes: tuple[str, ...]):
    """The module with the parameters under the prefixes no longer trained, as a user freezes a stem."""
    for name, parameter in module.named_parameters():
        if name.startswith(prefixes):
            parameter.requires_grad_(False)
    return module


def test_freeze_applies_to_every_training_figure():
    """--freeze stem..stages.0 counts no gradient, optimizer state or kept activation that torch would not have
    with those parameters frozen (requires_grad False)."""
    module = _fixture("modern.ConvNeXt")
    profile = cnncost.profile(module, input=(3, 32, 32), batch=2)
    ours = training_memory(graph_of(profile), profile, freeze="stem..stages.0")
    frozen = _frozen_copy(module, ("stem.", "stages.0."))
    trained = [p for p in frozen.parameters() if p.requires_grad]
    torch.manual_seed(0)
    assert ours.activation_bytes == kept_by_torch(frozen.train(), torch.randn(2, 3, 32, 32))
    adam = torch.optim.Adam(trained)
    frozen(torch.randn(2, 3, 32, 32)).sum().backward()
    adam.step()
    assert ours.gradient_bytes == sum(p.grad.untyped_storage().nbytes() for p in trained)
    state = sum(v.untyped_storage().nbytes() for s in adam.state.values() for v in s.values() if torch.is_tensor(v))
    assert ours.optimizer_bytes(OPTIMIZERS[2]) == state
    # the same figures as a module that froze them itself
    itself = cnncost.profile(
        _frozen_copy(_fixture("modern.ConvNeXt"), ("stem.", "stages.0.")), input=(3, 32, 32), batch=2
    )
    assert training_memory(graph_of(itself), itself) == ours


def test_layers_whose_kept_tensors_are_guessed_are_named():
    """nn.MultiheadAttention keeps more than its inputs (its projections, scores, output): its figure is a guess,
    and the memory section names it."""
    profile = cnncost.profile(_fixture("models.ViT"), input=(3, 32, 32), batch=2)
    guessed = training_memory(graph_of(profile), profile).guessed
    assert guessed == ("encoder.layers.0.self_attn", "encoder.layers.1.self_attn")


def allocated_at_peak(module, x) -> int:
    """The most bytes torch's CPU allocator holds during one forward pass under no_grad, the caller's input included:
    torch.profiler's memory records, each allocation or release counted when its op ends, in order."""
    from torch.profiler import ProfilerActivity, profile

    with torch.no_grad():
        module(x)
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            module(x)
    events = sorted((e for e in prof.events() if e.self_cpu_memory_usage), key=lambda e: e.time_range.end)
    running = peak = 0
    for event in events:
        running += event.self_cpu_memory_usage
        peak = max(peak, running)
    return peak + x.numel() * x.element_size()


@pytest.mark.parametrize(
    "name, batch",
    [
        ("alexnet", 1),
        ("alexnet-paper", 1),
        ("vgg11", 1),
        ("resnet18", 2),
        ("googlenet", 1),
        ("mobilenet_v2", 1),
        ("squeezenet1_0", 1),
    ],
)
@pytest.mark.slow
def test_the_inference_peak_is_what_torchs_allocator_reaches(name, batch):
    from cnncost.analysis.memory import inference_memory

    graph = create(name)
    profile = cnncost.profile(graph, batch=batch)
    module = GraphModule(graph, profile).eval()
    measured = allocated_at_peak(module, torch.randn(batch, *profile.input_shape.dims))
    predicted = inference_memory(graph_of(profile), profile).peak_bytes
    assert abs(measured / predicted - 1) <= 0.05, (measured, predicted)


def test_a_detector_that_decodes_only_in_eval_mode_keeps_what_its_training_forward_keeps(capsys):
    """ultralytics' Detect decodes boxes only in eval mode: a training step never runs the decoding, so the
    activations kept for backward are the training-mode forward's (the memory analysis records it too)."""
    module = _fixture("models.DecodesInEval").eval()
    state = {key: value.clone() for key, value in module.state_dict().items()}
    profile = cnncost.profile(module, input=(3, 32, 32), batch=2, training_forward=True)
    assert not module.training and all(torch.equal(state[k], v) for k, v in module.state_dict().items())
    trained = profile.training_profile
    assert trained is not None and {"softmax", "sigmoid", "cat"} <= {c.name for c in profile.layers}
    assert not {"softmax", "sigmoid", "cat"} & {c.name for c in trained.layers}
    torch.manual_seed(0)
    theirs = kept_by_torch(module.train(), torch.randn(2, 3, 32, 32))
    assert training_memory(graph_of(trained), trained).activation_bytes == theirs
    assert training_memory(graph_of(profile), profile).activation_bytes > theirs  # the decoding's kept outputs
    fixture = str(Path(__file__).parent / "fixtures" / "models.py") + ":DecodesInEval"
    assert (
        cnncost.cli.main(["table", fixture, "--input", "3x32x32", "--batch", "2", "--memory", "--format", "json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["memory"]["training"]["activations_kept_bytes"] == theirs
    assert any("training memory is counted on the training forward" in note for note in data["notes"])
    # the training-memory budget is held against the training forward's figure: a limit between the two passes
    adam = OPTIMIZERS[2]
    between = (
        training_memory(graph_of(trained), trained).total_bytes(adam)
        + training_memory(graph_of(profile), profile).total_bytes(adam)
    ) // 2
    argv = ["check", fixture, "--input", "3x32x32", "--batch", "2", "--max-training-memory", str(between)]
    assert cnncost.cli.main(argv) == 0


def test_a_forward_that_runs_alike_in_both_modes_is_profiled_once():
    """Batch norm's statistics update (an add to num_batches_tracked) is no layer of its own: a network without a
    branch on its mode has no training profile of its own."""
    profile = cnncost.profile(_fixture("models.Staged"), input=(3, 16, 16), batch=2, training_forward=True)
    assert profile.training_profile is None
    assert not any("training mode" in note for note in profile.notes)


def test_a_model_whose_training_forward_fails_is_counted_on_its_eval_forward():
    profile = cnncost.profile(_fixture("models.WantsTargets"), input=(3, 8, 8), batch=2, training_forward=True)
    assert profile.training_profile is None and profile.total.params == 3 * 4 * 9 + 4
    (said,) = [note for note in profile.notes if "its training-mode forward failed" in note]
    assert said.kind == "warning" and "targets should not be None" in said and len(said) <= 199


def test_a_forward_that_only_changes_shapes_in_training_mode_is_counted_on_them():
    module = _fixture("models.ShapeBranch")
    profile = cnncost.profile(module, input=(3, 16, 16), batch=2, training_forward=True)
    trained = profile.training_profile
    assert trained is not None and [c.name for c in trained.layers] == [c.name for c in profile.layers]
    torch.manual_seed(0)
    assert training_memory(graph_of(trained), trained).activation_bytes == kept_by_torch(
        module.train(), torch.randn(2, 3, 16, 16)
    )


def test_where_the_forwards_differ_the_kept_column_shows_the_total_alone(capsys):
    fixture = str(Path(__file__).parent / "fixtures" / "models.py") + ":DecodesInEval"
    argv = ["table", fixture, "--input", "3x32x32", "--batch", "2", "--memory", "--format", "json"]
    assert cnncost.cli.main([*argv, "--freeze", "head..cat"]) == 0  # names of the table's (eval) forward
    data = json.loads(capsys.readouterr().out)
    assert {layer["kept_bytes"] for layer in data["layers"]} == {None}
    assert data["memory"]["training"]["activations_kept_bytes"] > 0
    assert cnncost.cli.main([*argv[:-2], "--format", "md"]) == 0
    assert "the 'kept' column shows its total alone" in capsys.readouterr().out


def test_an_op_without_a_formula_in_the_training_forward_alone_leaves_the_training_budget_unknown(capsys):
    fixture = str(Path(__file__).parent / "fixtures" / "models.py") + ":TrainOnlyOp"
    argv = ["check", fixture, "--input", "3x8x8", "--batch", "2", "--max-training-memory", "1GB"]
    assert cnncost.cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "training-mode forward: 1 layer(s) have no cost formula" in err and "cannot be checked" in err
