"""Bytes at the dtypes torch holds: a half or bf16 model's weights, buffers and activations at their own width, a
mixed model's each at its own, integer inputs and batch counters at 8 bytes; --dtype sizes every float tensor."""

import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="profiling a torch module needs torch (pip install -e '.[test]')")

from torch import nn  # noqa: E402

import cnncost  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.layers import layer_types  # noqa: E402
from cnncost.torch.network import build_module  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import models  # noqa: E402

from tests.test_torch_verify import UNBUILDABLE, single_layer_graph  # noqa: E402

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def held_bytes(tensors) -> int:
    """Bytes torch holds for the tensors: elements × element size, each tensor at its own dtype."""
    return sum(t.numel() * t.element_size() for t in tensors)


def output_bytes(module, x) -> dict[str, int]:
    """Bytes of each leaf module's output, as torch makes it on x."""
    found = {}
    hooks = [
        m.register_forward_hook(lambda m, i, o, name=name: found.__setitem__(name, o.numel() * o.element_size()))
        for name, m in module.named_modules()
        if name and not list(m.children())
    ]
    with torch.no_grad():
        module(x)
    for hook in hooks:
        hook.remove()
    return found


def test_a_bf16_model_is_costed_at_two_bytes_per_element():
    model = models.HalfPrecision()
    x = torch.randn(2, 3, 16, 16, dtype=torch.bfloat16)
    profile = cnncost.profile(model, input=x)
    assert (profile.dtype, profile.bytes_per_element) == ("bf16", 2)
    assert profile.total.param_bytes == held_bytes(model.parameters()) == 2 * (8 * 27 + 8 + 2 * 8 + 8 * 10 + 10)
    # running mean and variance in bf16 (2 x 8 x 2 bytes), the batch count an int64 (8 bytes)
    assert profile.total.buffer_bytes == held_bytes(model.buffers()) == 2 * 8 * 2 + 8
    assert profile.total.input_bytes == x.numel() * 2
    for name, size in output_bytes(model, x).items():
        assert profile.layer(name).activation_bytes == size, name


def test_a_size_input_is_made_in_the_model_dtype():
    profile = cnncost.profile(models.HalfPrecision(), input=(3, 16, 16), batch=2)
    assert profile.dtype == "bf16" and profile.total.input_bytes == 2 * 3 * 16 * 16 * 2


def test_a_dtype_given_sizes_every_float_tensor_and_leaves_the_batch_count_alone():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    profile = cnncost.profile(model, input=(3, 8, 8), dtype="fp16")
    half = model.half()  # what torch holds after .half(): floats at 2 bytes, the int64 count at 8
    assert profile.total.param_bytes == held_bytes(half.parameters())
    assert profile.total.buffer_bytes == held_bytes(half.buffers()) == 2 * 8 * 2 + 8
    assert profile.layer("0").activation_bytes == 8 * 6 * 6 * 2


def test_a_mixed_model_costs_each_tensor_at_its_dtype_and_says_so():
    class Mixed(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Conv2d(3, 8, 3).to(torch.bfloat16)
            self.head = nn.Linear(8 * 6 * 6, 10)

        def forward(self, x):
            return self.head(self.features(x.to(torch.bfloat16)).float().flatten(1))

    model = Mixed()
    x = torch.randn(1, 3, 8, 8)
    profile = cnncost.profile(model, input=x)
    assert profile.dtype == "fp32"  # most parameters are: 2,890 against 224
    assert profile.total.param_bytes == held_bytes(model.parameters()) == 4 * 2890 + 2 * 224
    assert profile.layer("features").activation_bytes == 8 * 6 * 6 * 2
    assert profile.layer("head").activation_bytes == 10 * 4
    assert any("fp32 (2,890 params), bf16 (224 params)" in note for note in profile.notes)


def test_integer_token_ids_are_eight_bytes_each():
    model = nn.Sequential(nn.Embedding(100, 16), nn.Linear(16, 4))
    ids = torch.randint(0, 100, (2, 7))
    profile = cnncost.profile(model, input=ids)
    assert profile.total.input_bytes == ids.numel() * ids.element_size() == 2 * 7 * 8
    assert profile.layer("0").activation_bytes == 2 * 7 * 16 * 4


@pytest.mark.parametrize("dtype", ["fp32", "fp16"])
@pytest.mark.parametrize("op", sorted(set(layer_types()) - UNBUILDABLE))
def test_each_layer_type_weighs_what_torch_holds(op, dtype):
    graph = single_layer_graph(op)
    profile = cnncost.profile(graph, batch=2, dtype=dtype)
    module = build_module(graph, profile, "meta", DTYPES[dtype])
    assert profile.total.param_bytes == held_bytes(module.parameters())
    assert profile.total.buffer_bytes == held_bytes(module.buffers())


def test_the_cli_profiles_a_bf16_model_in_bf16(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "fixtures"))
    assert main(["table", "models:HalfPrecision", "--input", "3x16x16", "--format", "json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert (report["dtype"], report["bytes_per_element"]) == ("bf16", 2)
    assert report["total"]["param_bytes"] == held_bytes(models.HalfPrecision().parameters())
