"""A new layer type is one registration, one torch handler and one builder. Registered in the test's own registries
(cnncost.registries.scratch), a new activation and a new attention-like op get table rows, a training step, memory,
the torch check and the other tools' conventions, with no change to any other module; torch is the judge of the
counts, computed here on the same input."""

import shutil
from math import prod
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import cnncost  # noqa: E402
from cnncost.analysis import graph_of  # noqa: E402
from cnncost.analysis.memory import inference_memory, training_memory  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.conventions import under  # noqa: E402
from cnncost.layers import Example, OpCost, layer_types, register  # noqa: E402
from cnncost.registries import scratch  # noqa: E402
from cnncost.report.profile_table import profile_document  # noqa: E402
from cnncost.report.render import render  # noqa: E402
from cnncost.shapes import Shape  # noqa: E402
from cnncost.sources import load_source  # noqa: E402
from cnncost.torch.builders import Lambda, builder  # noqa: E402
from cnncost.torch.counts import torch_counts  # noqa: E402
from cnncost.torch.verify import verify, verify_module  # noqa: E402
from cnncost.trace.rules import Lowered, handles, tensors  # noqa: E402


def gated_attention(query, key, value):
    """softmax(q·kᵀ)·v gated by sigmoid(q): a torch function of the test's own, one call for a TorchFunctionMode."""
    if torch.overrides.has_torch_function((query, key, value)):
        return torch.overrides.handle_torch_function(gated_attention, (query, key, value), query, key, value)
    return (torch.softmax(query @ key.transpose(-2, -1), dim=-1) @ value) * torch.sigmoid(query)


class Block(nn.Module):
    """A linear layer, the new activation (torch's nn.Tanhshrink, which cnncost does not know) and the new op."""

    def __init__(self) -> None:
        super().__init__()
        self.proj, self.act = nn.Linear(8, 8), nn.Tanhshrink()

    def forward(self, x):
        h = self.act(self.proj(x))
        return gated_attention(h, h, h)


@pytest.fixture
def new_types():
    """tanhshrink and gated_attention, registered for this test only."""
    with scratch():

        @register(
            "tanhshrink",
            category="activation",
            example=Example(((2, 3, 4),)),
            keeps="input",
            field="pointwise",
            torch_module="Tanhshrink",
            torch_functions=("tanhshrink",),
            family="activation",
            same_shape=True,
        )
        def tanhshrink(x: Shape) -> OpCost:
            """x − tanh(x): FLOPs = 2 per output element."""
            return OpCost(x, flops=2 * x.numel)

        @register(
            "gated_attention",
            category="attention",
            example=Example(((2, 5, 4), (2, 6, 4), (2, 6, 4))),
            keeps="every_input",
            field="anywhere",
            torch_functions=("gated_attention",),
            backward="attention",
        )
        def gated(query: Shape, key: Shape, value: Shape) -> OpCost:
            """softmax(Q·Kᵀ)·V ⊗ sigmoid(Q) over (…, L, E) queries and (…, S, E) keys and values:
            MACs = (…)·L·S·2E; FLOPs = 2·MACs + 3 per score + 2 per output element."""
            *lead, length, width = query.dims
            scores = prod(lead) * length * key.dims[-2]
            macs = scores * 2 * width
            return OpCost(query, macs=macs, flops=2 * macs + 3 * scores + 2 * query.numel)

        @handles("gated_attention")
        def lower(call, op):
            return Lowered(op, {}, tensors(call.args))

        @builder("gated_attention")
        def build(spec, *shapes: Shape, one_sample: bool):
            return Lambda(gated_attention, "gated attention")

        yield
    assert "tanhshrink" not in layer_types() and "gated_attention" not in layer_types()  # gone with the scratch


X = (6, 8)  # six tokens of eight features, a batch of two: 2 x 6 x 8 = 96 elements, 384 bytes in fp32


def test_table_rows_and_torchs_counts(new_types):
    module = Block()
    profile = cnncost.profile(module, input=X, batch=2)
    assert [(c.name, c.op) for c in profile.layers] == [
        ("proj", "linear"),
        ("act", "tanhshrink"),
        ("gated_attention", "gated_attention"),
    ]
    params, macs = torch_counts(module, torch.randn(2, *X))
    # linear 2·6 rows x 8 x 8 = 768; gated 2 x 6 x 6 scores x 2 x 8 = 1,152
    assert (profile.total.params, profile.total.macs) == (params, macs) == (8 * 8 + 8, 768 + 1_152)
    assert not profile.uncounted
    rows = [
        line.split("|")[1:3]
        for line in render(profile_document(profile), "md").splitlines()
        if line.startswith("| ") and "**total**" not in line
    ][1:]
    assert [[cell.strip() for cell in row] for row in rows] == [
        ["proj", "linear"],
        ["act", "tanhshrink"],
        ["gated_attention", "gated_attention"],
    ]


def test_a_training_step_as_torchs_backward(new_types):
    module = Block()
    step = cnncost.profile(module, input=X, batch=2).training("sgd")
    gated = step.layer("gated_attention")
    assert (gated.input_grad_macs, gated.weight_grad_macs) == (2 * 1_152, 0)  # the attention rule: 2 x forward
    assert (step.layer("proj").input_grad_macs, step.layer("proj").weight_grad_macs) == (0, 768)
    x = torch.randn(2, *X)
    loss = module(x).sum()
    with FlopCounterMode(display=False) as counter:
        loss.backward()
    assert step.backward_macs == counter.get_total_flops() // 2 == 768 + 2 * 1_152


def test_memory(new_types):
    profile = cnncost.profile(Block(), input=X, batch=2)
    graph = graph_of(profile)
    # the input, held throughout, the new activation's input or output and the attention's output: 3 x 384 bytes
    assert inference_memory(graph, profile).peak_bytes == 3 * 384
    # linear keeps x, tanhshrink its input (the linear's output), the attention every input (one tensor, h)
    assert training_memory(graph, profile).activation_bytes == 3 * 384


def test_the_torch_check(new_types):
    module = Block()
    graph = load_source(module, X, 2).graph
    assert verify(graph).ok  # built from the builders: shapes, params and MACs equal torch's, node by node
    assert verify_module(module, X, 2).ok  # and the module itself, module by module


def test_the_other_tools_conventions(new_types):
    module = Block()
    profile = cnncost.profile(module, input=X, batch=2)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(torch.randn(2, *X))
    assert under(profile, "flopcounter").total.flops == counter.get_total_flops() == 2 * (768 + 1_152)
    # torchinfo: the linear layer's 8·8 + 8 = 72 weights and biases × its output's first dim (the batch, 2)
    assert under(profile, "torchinfo").total.macs == 2 * 72


# --- a user's own formula, by cnncost.register_formula or [tool.cnncost.formulas] --------------------------------

COSTS = '''
from cnncost import OpCost, Shape


def grid_sample(x: Shape, grid: Shape, *, mode: str = "bilinear") -> OpCost:
    """N x C x H x W sampled at N x h x w points: bilinear, 4 taps of a multiply and an add per output element."""
    out = Shape((x.dims[0], x.dims[1], grid.dims[1], grid.dims[2]))
    return OpCost(out, flops=(8 if mode == "bilinear" else 1) * out.numel)
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with the model, its formula and a pyproject.toml that names both; registries restored."""
    shutil.copy(Path(__file__).parent / "fixtures" / "peer_patterns.py", tmp_path / "warp.py")  # its Sampler
    (tmp_path / "costs.py").write_text(COSTS)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.formulas]\ngrid_sample = "costs:grid_sample"\n\n'
        '[tool.cnncost.models.warp]\nsource = "warp:Sampler"\ninput = "3x16x16"\nbatch = 2\nmax-macs = "1M"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with scratch():
        yield tmp_path


def test_an_op_without_a_formula_leaves_only_what_depends_on_it_unknown(project):
    import warp

    unknown = cnncost.profile(warp.Sampler(), input=(3, 16, 16), batch=2)
    assert [c.name for c in unknown.uncounted] == ["grid_sample"]
    cnncost.assert_budget(unknown, max_params="1k", max_activations="1MB", max_peak_memory="1MB")  # torch's own
    with pytest.raises(cnncost.CnnCostError, match="MACs budget cannot be checked.*register_formula"):
        cnncost.assert_budget(unknown, max_macs="1G")


def test_a_registered_formula_counts_in_the_table_the_totals_and_training(project):
    import costs
    import warp

    cnncost.register_formula("grid_sample", costs.grid_sample, torch_function=torch.nn.functional.grid_sample)
    module = warp.Sampler()
    profile = cnncost.profile(module, input=(3, 16, 16), batch=2)
    sample = profile.layer("grid_sample")
    # 2 x 8 x 16 x 16 outputs, 8 FLOPs each; mode is F.grid_sample's default, as the formula's
    assert (sample.op, sample.counted, sample.flops, sample.macs) == ("grid_sample", True, 8 * 4096, 0)
    assert not profile.uncounted and profile.total.flops == sum(c.flops for c in profile.layers)
    assert profile.total.macs == torch_counts(module, torch.randn(2, 3, 16, 16))[1]  # torch counts no grid_sample
    assert profile.training("sgd").layer("grid_sample").backward_flops == 8 * 4096  # its FLOPs once more
    assert "| grid_sample" in profile.to_markdown()
    cnncost.register_formula("grid_sample", costs.grid_sample)  # the same again: nothing changes
    with pytest.raises(cnncost.CnnCostError, match="registered already"):
        cnncost.register_formula("grid_sample", lambda x, grid: None)


def test_the_configuration_names_the_formula_for_every_command(project, capsys):
    assert main(["check"]) == 0
    assert "within MACs" in capsys.readouterr().out
    assert main(["table", "warp:Sampler", "--input", "3x16x16", "--format", "csv"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("grid_sample,")]
    assert rows and rows[0].split(",")[1] == "grid_sample"
