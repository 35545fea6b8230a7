"""A recording on the meta device gives the graph a recording on the CPU gives, where both can run: the same nodes,
attributes, shapes and dtypes; only the note on how it was recorded differs. Each module here does what made a
recording leave the meta device or run slowly there: attention with its every argument, recurrent layers, a tensor
made on the fly and moved to the weights' device."""

import pytest

torch = pytest.importorskip("torch", reason="recording a torch module needs torch (pip install -e '.[test]')")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import cnncost  # noqa: E402
from cnncost.trace.lowering import lower_recording  # noqa: E402
from cnncost.trace.module_graph import example_inputs  # noqa: E402
from cnncost.trace.record import record  # noqa: E402


def lowered(module, shape, device):
    """The nodes and torch's shapes of one recording on the device asked."""
    torch.manual_seed(0)
    inputs = example_inputs(shape, 2, device)
    nodes, expected, notes = lower_recording(record(module, inputs.args, inputs.kwargs, inputs.names, device), module)
    return nodes, expected, notes


class Positions(nn.Module):
    """A mask made with torch.zeros and moved to the weights' device, as timm's EdgeNeXt and ConViT do, and a copy to
    the CPU (x.cpu(), a no-op for a CPU model)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x):
        device = self.proj.weight.device
        mask = ~torch.zeros(x.shape[:2]).to(device=device, dtype=torch.bool)
        grid = torch.arange(x.shape[1], dtype=torch.float32).to(device).cpu()
        return self.proj(x).cpu() * mask.unsqueeze(-1) + grid.unsqueeze(-1)


class Attention(nn.Module):
    """scaled_dot_product_attention with a mask, with is_causal and a scale, and with grouped keys and values."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(16, 48)
        self.kv = nn.Linear(16, 16)

    def forward(self, x):
        n, length, _ = x.shape
        q, k, v = self.qkv(x).reshape(n, length, 3, 4, 4).permute(2, 0, 3, 1, 4).unbind(0)
        mask = torch.ones(length, length, dtype=torch.bool).tril()
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0)
        b = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.5)
        k2, v2 = self.kv(x).reshape(n, length, 2, 2, 4).permute(2, 0, 3, 1, 4).unbind(0)
        c = F.scaled_dot_product_attention(q, k2, v2, enable_gqa=True)
        # torch's fused attention on the CPU lays its result out as q (tokens before heads): this reshape is a view
        return (a + b + c).transpose(1, 2).reshape(n, length, 16)


class Recurrent(nn.Module):
    """Every recurrent layer torch has, batch first or not, bidirectional, with a projection, and a cell."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True, proj_size=4)
        self.gru = nn.GRU(8, 5, bidirectional=True)
        self.rnn = nn.RNN(10, 3, nonlinearity="relu", batch_first=True)
        self.cell = nn.GRUCell(3, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        seq, _ = self.gru(out.transpose(0, 1))
        steps, h = self.rnn(seq.transpose(0, 1))
        return self.cell(steps[:, -1], h[0])


class Resampling(nn.Module):
    """interpolate in each mode that interpolates, by size and by scale factor; pointwise ops in and out of place."""

    def forward(self, x):
        a = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        b = F.interpolate(x, size=(16, 16), mode="bicubic")
        c = F.interpolate(x, scale_factor=(2, 2), mode="nearest")
        y = (a + b).pow(2).clamp(max=4.0) + torch.lerp(c, a, 0.3)
        y += 1.0
        return torch.roll(y, 2, dims=-1).sum((2, 3)) @ torch.ones(3, 5)


@pytest.mark.parametrize(
    "make, shape",
    [(Positions, (5, 8)), (Attention, (6, 16)), (Recurrent, (7, 6)), (Resampling, (3, 8, 8))],
    ids=["positions", "attention", "recurrent", "resampling"],
)
def test_the_meta_recording_equals_the_cpu_recording(make, shape):
    module = make().eval()
    on_meta, on_cpu = lowered(module, shape, "meta"), lowered(module, shape, "cpu")
    assert on_meta == on_cpu
    profile = cnncost.profile(module, input=shape, batch=2)
    assert profile.notes[0].text.startswith("recorded on the meta device") and not profile.uncounted


def test_a_move_to_the_weights_device_stays_on_the_meta_device():
    """x.to(device) and x.cpu() of a tensor the pass made: on the meta device it stays there (as the weights it is
    used with are), where it once sent the whole recording to the CPU."""
    profile = cnncost.profile(Positions(), input=(5, 8), batch=2)
    assert profile.notes[0].text == "recorded on the meta device, in eval mode"
    copies = [layer for layer in profile.layers if layer.op == "copy"]
    assert [layer.output_shape.dims for layer in copies] == [(2, 5)]  # the mask made bool; the moves are no copies


def test_their_ops_are_made_by_the_shortcuts(monkeypatch):
    """Attention, the recurrent layers and cells, interpolation and the pointwise ops above never reach torch's meta
    kernels (decompositions that step through every time step, or through softmax): the shortcuts make them."""
    from cnncost.trace import record as recording

    made = set()

    def watched(name, *args):
        result = recording_shortcut(name, *args)
        if result is not None:
            made.add(name + ("_" if args[0] else ""))
        return result

    recording_shortcut = recording.shortcut
    monkeypatch.setattr(recording, "shortcut", watched)
    for make, shape in ((Attention, (6, 16)), (Recurrent, (7, 6)), (Resampling, (3, 8, 8))):
        cnncost.profile(make(), input=shape, batch=2)
    assert {"scaled_dot_product_attention", "lstm", "gru", "rnn_relu", "gru_cell"} <= made
    assert {"interpolate", "pow", "clamp", "lerp", "add_", "roll", "sum", "matmul"} <= made
