"""Modules written in less usual ways still count as torch counts them, never crash with a traceback, and are left
as they were: TorchScript parts, weights that are buffers, tensors passed by keyword, reused and in-place-changed
parameters, caches and hooks the forward sets, a module's own train(), random state."""

import pytest

torch = pytest.importorskip("torch", reason="profiling a torch module needs torch (pip install -e '.[test]')")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import cnncost  # noqa: E402
from cnncost.torch.counts import torch_counts  # noqa: E402


def equals_torch(module, *inputs, uncounted=0):
    profile = cnncost.profile(module, input=inputs[0] if len(inputs) == 1 else inputs)
    params, macs = torch_counts(module, *inputs)
    assert (profile.total.params, profile.total.macs) == (params, macs)
    assert profile.total.buffers == sum(b.numel() for b in module.buffers())
    assert len(profile.uncounted) == uncounted, [c.name for c in profile.uncounted]
    assert not [note for note in profile.notes if "disagrees" in note]
    return profile


class Blur(nn.Module):
    """A fixed depthwise kernel kept as a buffer (anti-aliased pooling), and a plain-attribute kernel."""

    def __init__(self):
        super().__init__()
        self.register_buffer("kernel", torch.ones(3, 1, 3, 3) / 9)
        self.plain = torch.ones(4, 3)

    def forward(self, x):
        y = F.conv2d(x, self.kernel, padding=1, groups=3)
        return F.linear(y.mean((2, 3)), self.plain)


def test_a_weight_that_is_a_buffer_or_a_plain_tensor_still_counts():
    profile = equals_torch(Blur(), torch.randn(2, 3, 8, 8))
    assert profile.total.macs == 2 * 3 * 8 * 8 * 9 + 2 * 3 * 4  # the blur, and the linear of a plain tensor
    assert profile.total.params == 0 and profile.total.buffers == 27  # the plain tensor is neither, as in torch


class Keywords(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 4))
        self.k = nn.Parameter(torch.randn(2, 3, 3, 3))

    def forward(self, x, image):
        a = torch.matmul(x, other=self.w) + torch.mm(input=x, mat2=self.w)
        b = F.conv2d(input=image, weight=self.k)
        return a.sum() + b.sum()


def test_tensors_passed_by_keyword():
    equals_torch(Keywords(), torch.randn(5, 4), torch.randn(1, 3, 6, 6))


class Reused(nn.Module):
    """A parameter used again after an op that returns it unchanged, and a buffer written in place then read."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 4))
        self.register_buffer("b", torch.zeros(4))

    def forward(self, x):
        self.b.add_(1)
        y = F.linear(x, self.w.contiguous()) + F.linear(x, self.w.flatten(1)) + F.linear(x, self.w)
        return y + self.b


def test_parameters_used_again_after_an_op_that_returns_them():
    model = Reused()
    cnncost.profile(model, input=(4,))
    assert torch.equal(model.b, torch.zeros(4))  # the in-place write reached only the recording's copy
    equals_torch(model, torch.randn(3, 4))
    tied = nn.utils.parametrizations.spectral_norm(nn.Linear(4, 2))
    profile = cnncost.profile(tied, input=(4,))
    assert profile.total.params == sum(p.numel() for p in tied.parameters())


class Cached(nn.Module):
    """A forward that caches a tensor in a dict, registers a hook, changes requires_grad, and raises inside a
    caught call of a submodule."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.fragile = nn.Linear(8, 8)
        self.cache = {}

    def forward(self, x):
        n = x.shape[1]
        if n not in self.cache:
            self.cache[n] = torch.sin(torch.arange(n, dtype=torch.float32))[:, None].to(x.device)
        self.fc.register_forward_hook(lambda *args: None)
        self.fc.weight.requires_grad_(False)
        try:
            self.fragile(x[..., :3])
        except RuntimeError:
            pass
        return torch.relu(self.fc(x) + self.cache[n])


def test_what_a_forward_changes_is_put_back():
    model = Cached()
    profile = cnncost.profile(model, input=(5, 8))
    assert model.cache == {} and not model.fc._forward_hooks and model.fc.weight.requires_grad
    assert profile.layer("relu").op == "relu"  # named at the root though a submodule's forward raised in between
    model(torch.randn(1, 5, 8))  # and the module still runs


class Freezing(nn.Module):
    """A module whose own train() freezes a stage, as detection code does."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)

    def train(self, mode=True):
        super().train(mode)
        self.stem.weight.requires_grad_(False)
        return self

    def forward(self, x):
        return self.stem(x)


def test_a_modules_own_train_is_not_called_and_random_state_is_kept():
    model = Freezing()
    model.stem.weight.requires_grad_(True)
    state = torch.get_rng_state()
    cnncost.profile(model, input=(3, 8, 8))
    assert model.stem.weight.requires_grad and model.training
    assert torch.equal(torch.get_rng_state(), state)


class Scripted(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.jit.script(nn.Conv2d(3, 8, 3))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x))


def test_a_torchscript_part_is_one_op_without_a_formula(capsys):
    model = Scripted().train()
    profile = cnncost.profile(model, input=(3, 16, 16))
    conv = profile.layer("conv")
    assert (conv.op, conv.attributes["source"], conv.params) == ("uncounted", "torchscript", 8 * 3 * 9 + 8)
    assert profile.output_shape.dims == (1, 8, 14, 14) and model.training


class Mixed(nn.Module):
    """Reflected operators, floor division, positional keepdim, upsample_bilinear, a full reduction."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 4))

    def forward(self, x):  # x: N x 3 x 8 x 8
        flat = x.flatten(2)  # N x 3 x 64
        mixed = self.w.__rmatmul__(flat[..., :8])  # flat @ w: N x 3 x 4
        spread = torch.var(flat, 2, False, True)  # N x 3 x 1
        up = F.upsample_bilinear(x, scale_factor=2)
        return mixed.sum() + spread.mean() + (up // 2).sum() + x.sum()


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample_bilinear` is deprecated")
def test_reflected_and_positional_arguments_are_read_as_torch_reads_them():
    profile = equals_torch(Mixed(), torch.randn(2, 3, 8, 8))
    assert profile.layer("matmul").output_shape.dims == (2, 3, 4)
    assert profile.layer("var").output_shape.dims == (2, 3, 1)
    up = profile.layer("interpolate")  # F.upsample_bilinear is F.interpolate(..., "bilinear", align_corners=True)
    assert (up.attributes["mode"], up.attributes["align_corners"]) == ("bilinear", True)
    assert up.flops == 7 * 2 * 3 * 16 * 16


def test_inputs_nested_in_a_dict():
    class DictIn(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 2)

        def forward(self, batch):
            return self.fc(batch["x"]) + batch["y"].sum(1, keepdim=True)

    profile = cnncost.profile(DictIn(), input=[{"x": (8,), "y": (6,)}])
    assert [c.name for c in profile.layers][:2] == ["input.y", "fc"]
    assert profile.total.macs == 16


def test_a_tensor_passed_twice_is_counted_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.g = nn.Parameter(torch.ones(8))

        def forward(self, x):
            return F.layer_norm(x, (8,), self.g, self.g)

    profile = cnncost.profile(Twice(), input=(8,))
    assert profile.total.params == 8


def test_an_input_returned_as_it_is_keeps_its_modules_parameters():
    class Passing(nn.Module):
        def __init__(self):
            super().__init__()
            self.p = nn.Parameter(torch.ones(7))
            self.register_buffer("b", torch.ones(5))

        def forward(self, x):
            return x.float()

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Passing()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return self.fc(self.inner(x))

    model = Outer()
    profile = cnncost.profile(model, input=(4,))
    assert profile.total.params == sum(p.numel() for p in model.parameters()) == 27
    assert profile.total.buffers == 5


def test_wrong_weights_fail_as_torch_fails_on_the_meta_device():
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(4))  # 3 channels into a batch norm of 4
    with pytest.raises(cnncost.CnnCostError, match="in 1 \\(BatchNorm2d\\) at batch_norm: RuntimeError: running_mean"):
        cnncost.profile(model, input=(3, 4, 4))


def test_a_forward_without_torch_functions_fails_in_one_line():
    odd = type("Odd", (nn.Module,), {"forward": lambda self, x: x})()
    with pytest.raises(cnncost.CnnCostError, match="its forward runs no torch function") as raised:
        cnncost.profile(odd, input=(4,))
    assert "\n" not in str(raised.value)


def test_a_forward_that_exits_exits_and_leaves_the_model_as_it_was():
    """sys.exit in a model's forward is the model's to make: it passes through (the command line says it in one line,
    exit 3), and the model is set back first."""
    exits = type("Exits", (nn.Module,), {"forward": lambda self, x: (_ for _ in ()).throw(SystemExit(3))})().train()
    with pytest.raises(SystemExit):
        cnncost.profile(exits, input=(4,))
    assert exits.training


@pytest.mark.slow
def test_bench_builds_every_op_of_a_recorded_module(small_roof):
    from cnncost.torch.bench import bench

    class Ops(nn.Module):
        def forward(self, x):
            y = torch.where(x > 0, x, x * 0.5).masked_fill(x > 1, 0.0)
            return y.half().float().sum() + x.mean()

    graph = cnncost.sources.load_source(Ops(), (3, 4)).graph
    result = bench(graph, min_run_time=0.01, forward_min_time=0.01)
    assert [t.cost.name for t in result.layers if t.error] == []


def test_a_formula_that_fails_without_a_message_leaves_its_layer_uncounted():
    """A formula's exception without a message still marks its layer unknown (it had left the layer without a shape,
    and the next layer failed), and the note names the exception."""
    import dataclasses

    from cnncost.layers import OpCost, layer_type
    from cnncost.layers.registry import LAYER_TYPES
    from cnncost.registries import scratch

    def silent(x, *, inplace: bool = False) -> OpCost:
        raise ValueError()

    with scratch():
        LAYER_TYPES.replace("relu", dataclasses.replace(layer_type("relu"), formula=silent))
        profile = cnncost.profile(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), input=(4,))
    assert [(c.name, c.op) for c in profile.layers] == [("0", "linear"), ("1", "uncounted"), ("2", "linear")]
    assert profile.layer("2").macs == 3 * 2  # the next layer read the shape torch gave
    assert any("1 (relu: ValueError)" in note and note.kind == "warning" for note in profile.notes)
