"""bench on a tiny network with few repeats: structure and sanity of the figures, never a wall-clock threshold."""

import json
import math

import pytest

torch = pytest.importorskip("torch", reason="bench needs torch (pip install -e '.[test]')")

from cnncost import Graph, layer  # noqa: E402
from cnncost.cli import main  # noqa: E402
from cnncost.errors import CnnCostError  # noqa: E402
from cnncost.report.document import render  # noqa: E402
from cnncost.report.timings import bench_document, bench_records  # noqa: E402
from cnncost.torch import timing as bench_module  # noqa: E402
from cnncost.torch.timing import bench, bytes_moved, ranks, spearman  # noqa: E402

TINY = Graph.build("tiny", [
    layer("conv2d", "conv", out_channels=8, kernel_size=3, padding=1), layer("relu", "relu", inplace=True),
    layer("max_pool2d", "pool", kernel_size=2), layer("flatten", "flat"), layer("linear", "fc", out_features=10),
], (3, 16, 16))


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Keep the roofline cache out of the user's home."""
    path = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(path))
        yield path


@pytest.fixture(scope="module")
def result(cache_dir):
    return bench(TINY, batch=2, min_run_time=0.01, forward_min_time=0.01)


def test_every_layer_is_timed_with_finite_positive_figures(result):
    assert [t.cost.name for t in result.layers] == ["conv", "relu", "pool", "flat", "fc"]
    for t in result.layers:
        assert t.error is None
        assert math.isfinite(t.median) and t.median > 0 and t.iqr >= 0
    assert result.forward_median > 0 and result.layer_sum > 0
    assert result.roof.peak_flops > 0 and result.roof.bandwidth > 0


def test_units_are_consistent(result):
    conv = result.layers[0]
    assert conv.cost.flops == 2 * 2 * 8 * 16 * 16 * 27  # 2 FLOPs x batch 2 x 8x16x16 outputs x 27 weights
    # bytes: input 2*3*16*16 + weights 8*27+8 + output 2*8*16*16, 4 bytes each
    assert conv.bytes_moved == (2 * 3 * 16 * 16 + 224 + 2 * 8 * 16 * 16) * 4
    assert conv.flops_per_second == pytest.approx(conv.cost.flops / conv.median)
    assert conv.predicted == pytest.approx(max(conv.cost.flops / result.roof.peak_flops,
                                               conv.bytes_moved / result.roof.bandwidth))
    assert conv.ratio == pytest.approx(conv.median / conv.predicted)
    assert sum(result.share(t) for t in result.layers) == pytest.approx(1)
    assert result.layers[3].bytes_moved == 0 and result.layers[3].predicted is None  # flatten is a view


def test_roof_is_cached(result, cache_dir):
    cached = json.loads((cache_dir / "cnncost" / "roofline.json").read_text())
    assert result.roof.key in cached


def test_reports_have_every_layer_and_the_summary(result):
    text = render(bench_document(result, cache=None), "table")
    for name in ("conv", "relu", "pool", "flat", "fc", "Rank correlation, roof prediction vs time", "Whole forward"):
        assert name in text
    assert "| conv " in render(bench_document(result, cache=None), "md")
    records = bench_records(result)
    assert records[0]["flops"] == 2 * 2 * 8 * 16 * 16 * 27 and records[0]["median_s"] > 0


def test_a_failing_layer_is_reported_and_the_rest_still_run(cache_dir, monkeypatch):
    real = bench_module.torch_builder

    def broken(op, one_sample=True):
        if op == "max_pool2d":
            def build(*shapes, **attrs):
                raise RuntimeError("no kernel for this layer")
            return build
        return real(op, one_sample)

    monkeypatch.setattr(bench_module, "torch_builder", broken)
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


def test_bench_cli(cache_dir, capsys, tmp_path):
    path = tmp_path / "bench.json"
    assert main(["bench", "alexnet-paper", "--input", "3x67x67", "--min-time", "0.01", "-o", str(path)]) == 0
    records = json.loads(path.read_text())
    assert [r["layer"] for r in records][:3] == ["conv1", "relu1", "norm1"]
    assert main(["bench", "alexnet", "--dtype", "int8"]) == 2
    assert "bench times fp32" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_bench_on_cuda(cache_dir):
    result = bench(TINY, device="cuda", min_run_time=0.01, forward_min_time=0.01)
    assert all(t.median > 0 for t in result.layers)
    assert dict(result.device.settings).keys() == {"TF32 matmul", "TF32 cuDNN", "cuDNN benchmark"}
