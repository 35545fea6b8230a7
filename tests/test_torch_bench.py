"""bench on a tiny network with few repeats: structure and sanity of the figures, never a wall-clock threshold."""

import json
import math

import pytest

torch = pytest.importorskip("torch", reason="bench needs torch (pip install -e '.[test]')")

import cnncost  # noqa: E402
from cnncost import Graph, layer  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.errors import CnnCostError  # noqa: E402
from cnncost.report.render import render  # noqa: E402
from cnncost.report.timings import bench_document, bench_records  # noqa: E402
from cnncost.torch import bench as bench_module  # noqa: E402
from cnncost.torch import clock as clock_module  # noqa: E402
from cnncost.torch import roofline  # noqa: E402
from cnncost.torch.bench import bench, bytes_moved  # noqa: E402
from cnncost.torch.statistics import ranks, spearman  # noqa: E402

TINY = Graph.build(
    "tiny",
    [
        layer("conv2d", "conv", out_channels=8, kernel_size=3, padding=1),
        layer("relu", "relu", inplace=True),
        layer("max_pool2d", "pool", kernel_size=2),
        layer("flatten", "flat"),
        layer("linear", "fc", out_features=10),
    ],
    (3, 16, 16),
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Keep the roofline cache out of the user's home, and measure its roof on small products and copies: these tests
    check how a roof is measured, cached and used, not how fast this machine is (a full roof takes 1.3 s here, a bf16
    one far longer)."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(path))
        patch.setattr(roofline, "MATMUL_SIZES", (256, 512))
        patch.setattr(roofline, "COPY_BYTES", 16 * 2**20)
        yield path


@pytest.fixture(scope="module")
def result(cache_dir):
    return bench(TINY, batch=2, min_run_time=0.01, forward_min_time=0.01)


def test_every_layer_is_timed_with_finite_positive_figures(result):
    assert [t.cost.name for t in result.layers] == ["conv", "relu", "pool", "flat", "fc"]
    for t in result.layers:
        assert t.error is None
        assert math.isfinite(t.median) and t.median > 0 and t.iqr >= 0
        assert math.isfinite(t.in_context) and t.in_context > 0 and t.in_context_iqr >= 0
        assert t.alone_over_context == pytest.approx(t.median / t.in_context)
    assert result.forward_median > 0 and result.layer_sum > 0 and result.forward_after > 0
    assert result.repeats >= 5 and result.empty_call > 0
    # the passes whose layers were timed: their layers and what lies between them make up the whole
    assert result.context_sum + result.between_layers == pytest.approx(result.context_forward)
    assert result.context_sum <= result.context_forward
    assert result.roof.peak_flops > 0 and result.roof.bandwidth > 0


def test_units_are_consistent(result):
    conv = result.layers[0]
    assert conv.cost.flops == 2 * 2 * 8 * 16 * 16 * 27  # 2 FLOPs x batch 2 x 8x16x16 outputs x 27 weights
    # bytes: input 2*3*16*16 + weights 8*27+8 + output 2*8*16*16, 4 bytes each
    assert conv.bytes_moved == (2 * 3 * 16 * 16 + 224 + 2 * 8 * 16 * 16) * 4
    assert conv.flops_per_second == pytest.approx(conv.cost.flops / conv.median)
    assert conv.predicted == pytest.approx(
        max(conv.cost.flops / result.roof.peak_flops, conv.bytes_moved / result.roof.bandwidth)
    )
    assert conv.ratio == pytest.approx(conv.median / conv.predicted)
    assert sum(result.share(t) for t in result.layers) == pytest.approx(1)
    assert result.rank_correlations(in_context=True)[0] is not None
    assert result.layers[3].bytes_moved == 0 and result.layers[3].predicted is None  # flatten is a view


def test_roof_is_cached_and_says_where_it_came_from(result, cache_dir, monkeypatch):
    cached = json.loads((cache_dir / "cnncost" / "roofline.json").read_text())
    assert result.roof.key in cached and cached[result.roof.key]["measured_at"]
    assert result.roof.origin == "measured now"
    monkeypatch.setattr(bench_module, "BEATS_FAR", 0.0)  # a busy machine may have measured a low roof: kept here
    again = bench(TINY, min_run_time=0.01, forward_min_time=0.01)
    assert again.roof.origin.startswith("cached, measured " + cached[result.roof.key]["measured_at"])


def test_a_cached_roof_beaten_by_far_is_measured_again(result, cache_dir):
    path = cache_dir / "cnncost" / "roofline.json"
    cached = json.loads(path.read_text())
    cached[result.roof.key]["peak_flops"] = 1e3  # a thousand FLOP/s: every compute-bound layer beats it by far
    path.write_text(json.dumps(cached))
    again = bench(TINY, min_run_time=0.01, forward_min_time=0.01)
    assert again.roof.origin.startswith("measured now") and "the cached roof was beaten by far" in again.roof.origin
    assert again.roof.confirmed and again.roof.peak_flops > 1e3
    assert json.loads(path.read_text())[result.roof.key]["peak_flops"] == again.roof.peak_flops  # cached anew


def test_a_stale_roof_is_measured_again(cache_dir):
    from cnncost.torch.roofline import cache_path, device_roof

    path = cache_path()
    cached = json.loads(path.read_text())
    for entry in cached.values():
        entry["measured_at"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(cached))
    key = next(iter(cached))
    name, dtype, threads = key.split(" | ")[:3]
    roof = device_roof("cpu", name, getattr(torch, dtype), int(threads.split()[0]), min_run_time=0.01)
    assert roof.origin.startswith("measured now: the cached roof was") and "days old" in roof.origin


@pytest.mark.parametrize(
    "entry",
    [
        {"bandwidth": 1e9, "measured_at": "2026-01-01T00:00:00+00:00"},
        {"peak_flops": 1e9, "bandwidth": 0, "measured_at": "2026-01-01T00:00:00+00:00"},
        {"peak_flops": 1e9, "bandwidth": 1e9, "measured_at": "2999-01-01T00:00:00+00:00"},
        {"peak_flops": float("inf"), "bandwidth": 1e9, "measured_at": "2026-01-01T00:00:00+00:00"},  # Infinity
        {"peak_flops": 10**400, "bandwidth": 1e9, "measured_at": "2026-01-01T00:00:00+00:00"},
        {"peak_flops": True, "bandwidth": 1e9, "measured_at": "2026-01-01T00:00:00+00:00"},
        "not a roof",
    ],
)
def test_a_broken_cache_entry_is_measured_again(cache_dir, entry):
    from cnncost.torch.roofline import cache_path, device_roof, roof_key

    key = roof_key("test cpu", torch.float32, 1)
    cache_path().write_text(json.dumps({key: entry}))
    roof = device_roof("cpu", "test cpu", torch.float32, 1, min_run_time=0.01)
    assert roof.origin.startswith("measured now") and roof.peak_flops > 0 and roof.bandwidth > 0


@pytest.mark.parametrize(
    "text", ["[" * 100_000 + "]" * 100_000, "\xff\xfe not text", "{"], ids=["deep", "bytes", "cut"]
)
def test_a_cache_file_that_is_no_cache_is_measured_again(cache_dir, text):
    from cnncost.torch.roofline import cache_path, device_roof

    cache_path().write_bytes(text.encode("latin-1"))
    roof = device_roof("cpu", "test cpu", torch.float32, 1, min_run_time=0.01)
    assert roof.origin.startswith("measured") and roof.peak_flops > 0
    assert json.loads(cache_path().read_text())  # written anew, whole


def test_a_disturbed_run_says_so_with_its_figures(result):
    from dataclasses import replace

    from cnncost.torch.bench import run_checks

    slowed = replace(result, forward_after=result.forward_median * 1.5)
    reasons = run_checks(slowed, load=5.0, cores=2)
    assert any("before the layers" in r and "+50%" in r for r in reasons)
    assert any(
        f"load was 5.0 as the run began, with {result.device.threads} threads of ours on 2 usable cores" in r
        for r in reasons
    )
    text = render(bench_document(replace(result, disturbed=reasons), cache=None), "table")
    assert "DISTURBED, treat the ratios with care" in text


def test_reports_have_every_layer_and_the_summary(result):
    text = render(bench_document(result, cache=None), "table")
    for name in (
        "conv",
        "relu",
        "pool",
        "flat",
        "fc",
        "Rank correlation in context",
        "Whole forward",
        "in context ms",
        "alone ms",
        "Between the layers",
        "Threads",
    ):
        assert name in text
    assert "| conv " in render(bench_document(result, cache=None), "md")
    records = bench_records(result)
    assert records[0]["flops"] == 2 * 2 * 8 * 16 * 16 * 27 and records[0]["alone_s"] > 0
    assert records[0]["in_context_s"] > 0 and records[0]["threads"] == result.device.threads


def test_a_failing_layer_is_reported_and_the_rest_still_run(cache_dir, monkeypatch):
    real = clock_module.torch_builder

    def broken(op, one_sample=True):
        if op == "max_pool2d":

            def build(*shapes, **attrs):
                raise RuntimeError("no kernel for this layer")

            return build
        return real(op, one_sample)

    monkeypatch.setattr(clock_module, "torch_builder", broken)
    result = bench(TINY, min_run_time=0.01, forward_min_time=0.01)
    errors = {t.cost.name: t.error for t in result.layers}
    assert errors == {"conv": None, "relu": None, "pool": "no kernel for this layer", "flat": None, "fc": None}
    assert "failed: no kernel for this layer" in render(bench_document(result, cache=None), "table")


def test_ranks_and_spearman_by_hand():
    assert ranks([10, 30, 20, 20]) == [1, 4, 2.5, 2.5]
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1)
    assert spearman([1, 2], [1, 2]) is None


def test_bytes_moved_counts_inputs_weights_and_output():
    from cnncost import propagate

    fc = propagate(TINY).layer("fc")
    assert bytes_moved(fc, 1, 4) == (512 + 5130 + 10) * 4  # 8*8*8 in, 512*10+10 weights, 10 out


def test_bad_device_and_dtype():
    with pytest.raises(CnnCostError, match="bench times fp32, fp16, bf16, not 'int8'"):
        bench(TINY, dtype="int8")
    if not torch.cuda.is_available():
        with pytest.raises(CnnCostError, match="no CUDA device is available"):
            bench(TINY, device="cuda")


@pytest.mark.slow
def test_bench_cli(cache_dir, capsys, tmp_path):
    path = tmp_path / "bench.json"
    assert (
        main(
            [
                "bench",
                "alexnet-paper",
                "--input",
                "3x67x67",
                "--min-time",
                "0.01",
                "--forward-time",
                "0.01",
                "-o",
                str(path),
            ]
        )
        == 0
    )
    records = json.loads(path.read_text())
    assert [r["layer"] for r in records][:3] == ["conv1", "relu1", "norm1"]
    assert main(["bench", "alexnet", "--dtype", "int8"]) == 2
    assert "bench times fp32" in capsys.readouterr().err


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_bench_on_cuda(cache_dir):
    result = bench(TINY, device="cuda", min_run_time=0.01, forward_min_time=0.01)
    assert all(t.median > 0 for t in result.layers)
    assert dict(result.device.settings).keys() == {"TF32 matmul", "TF32 cuDNN", "cuDNN benchmark", "matmul precision"}
    assert all(t.in_context > 0 and t.kernel is not None for t in result.layers if t.cost.op != "flatten")
    assert "TF32 matmul" in result.roof.key  # the roof is measured under the layers' settings


@pytest.mark.slow
def test_bench_check_reports_each_check_and_fails_only_on_a_fail(cache_dir, capsys):
    """Whether each timing check passes depends on the machine's load (benchmarks/ measure that); here: every check
    is reported, and the exit code is 1 exactly when one of them failed."""
    argv = ["bench", "resnet-bottleneck", "--input", "256x14x14", "--device", "cpu", "--check"]
    code = main([*argv, "--min-time", "0.01", "--forward-time", "0.01"])
    lines = [line for line in capsys.readouterr().out.split("\n") if line.startswith(("PASS", "FAIL"))]
    assert any("in-context layers sum to the whole forward within 10%" in line for line in lines)
    assert code == (1 if any(line.startswith("FAIL") for line in lines) else 0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the check runs instead of skipping")
def test_the_cuda_check_skips_with_its_reason_without_a_gpu(capsys):
    assert main(["bench", "resnet50", "--device", "cuda", "--check"]) == 0
    assert capsys.readouterr().out.startswith("SKIP  bench --check on cuda: no CUDA device here")


def test_the_callers_module_is_left_as_it_was(cache_dir):
    from cnncost.torch.forward import time_whole_forward

    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).train()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    time_whole_forward(cnncost.profile(module, input=(3, 8, 8), dtype="fp16"), module, min_run_time=0.01)
    assert module.training and next(module.parameters()).dtype == torch.float32  # not cast to fp16, not in eval
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())


@pytest.mark.slow
def test_bench_takes_a_torch_module_and_a_spec_file_with_batch_and_dtype(cache_dir, capsys, tmp_path):
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    assert (
        main(
            [
                "bench",
                f"{fixtures / 'unet.py'}:UNet",
                "--input",
                "3x16x16",
                "--batch",
                "2",
                "--min-time",
                "0.002",
                "--forward-time",
                "0.01",
                "--format",
                "json",
            ]
        )
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert records[0]["batch"] == 2 and all(r["in_context_s"] and r["in_context_s"] > 0 for r in records)
    spec = tmp_path / "net.toml"
    assert main(["spec", "conv3x3-x2", "-o", str(spec)]) == 0
    assert (
        main(
            [
                "bench",
                str(spec),
                "--input",
                "16x8x8",
                "--dtype",
                "bf16",
                "--min-time",
                "0.002",
                "--forward-time",
                "0.01",
                "--format",
                "json",
            ]
        )
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert {r["dtype"] for r in records} == {"bf16"} and records[0]["layer"] == "conv1" and len(records) == 4


def test_a_fold_at_a_depth_adds_up_each_blocks_timings(result):
    """Two blocks of a conv and a ReLU, then a head, timed 1, 2, ... ms: at depth 1, block b1 is one row whose times
    (1 + 2 ms alone, 0.5 + 1 ms in context), MACs, FLOPs and bytes are its layers' sums."""
    from dataclasses import replace

    from cnncost.report.timings import bench_rows, folded_timings
    from cnncost.torch.bench import LayerTiming

    graph = Graph.build(
        "blocks",
        [
            layer("conv2d", "b1.conv", out_channels=8, kernel_size=3, padding=1),
            layer("relu", "b1.relu"),
            layer("conv2d", "b2.conv", out_channels=8, kernel_size=3, padding=1),
            layer("relu", "b2.relu"),
            layer("flatten", "flat"),
            layer("linear", "fc", out_features=10),
        ],
        input=(3, 8, 8),
    )
    costs = cnncost.propagate(graph).layers
    timings = tuple(
        LayerTiming(cost, (i + 1) / 1e3, 0.0, 1000 * (i + 1), (i + 1) / 2e3, in_context=(i + 1) / 2e3)
        for i, cost in enumerate(costs)
    )
    folded = folded_timings(timings, 1)
    assert [t.cost.name for t in folded] == ["b1", "b2", "flat", "fc"]
    block = folded[0]
    assert block.median == pytest.approx(0.003) and block.in_context == pytest.approx(0.0015)
    assert block.bytes_moved == 3000 and block.predicted == pytest.approx(0.0015) and block.ratio == pytest.approx(2)
    assert block.cost.macs == costs[0].macs and block.cost.flops == costs[0].flops + costs[1].flops
    row = bench_rows(replace(result, layers=folded), cache=None)[0]
    assert row[:2] == ["b1", "block of 2 layers"] and row[6:8] == ["1.500", "3.000"]  # in context and alone, ms
