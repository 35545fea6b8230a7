"""Devices and predicted latency: the catalog's sources and rates, the latency model's arithmetic and invariants,
its calibration reproducible from the shipped files, and --target in every command that takes it."""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncost
from cnncost.cli import main
from cnncost.errors import UnknownNameError
from cnncost.targets.catalog import CATALOG, RATES, Target, catalog
from cnncost.targets.latency import Calibration, Work, calibrations, predict_work, roofline_seconds
from cnncost.targets.predict import find_target, validation
from cnncost.targets.work import KINDS, layer_work

DEVICES = list(catalog())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the catalog -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES)
def test_every_figure_has_a_source(device):
    with CATALOG.open("rb") as handle:
        entry = tomllib.load(handle)[device]
    figures = set(entry) - {"name", "kind", "notes", "sources"}
    assert {"fp32", "bandwidth"} <= figures
    for figure in figures:
        assert len(entry["sources"].get(figure, "").strip()) >= 8, f"{device}.{figure} has no source"


@pytest.mark.parametrize("device", DEVICES)
def test_rates_are_consistent(device):
    rates = catalog()[device].rates
    pairs = [  # (faster, slower): tensor cores never below the plain cores, fp16 never below fp32
        ("tf32_tensor", "fp32"),
        ("fp16_tensor", "fp16"),
        ("fp16_tensor", "fp32"),
        ("bf16_tensor", "bf16"),
        ("bf16_tensor", "fp32"),
        ("fp16_tensor", "tf32_tensor"),
        ("fp16", "fp32"),
        ("int8_tensor", "fp16_tensor"),
    ]
    for faster, slower in pairs:
        if faster in rates and slower in rates:
            assert rates[faster] >= rates[slower], f"{device}: {faster} {rates[faster]:g} < {slower} {rates[slower]:g}"
    assert set(rates) <= set(RATES)


def test_the_devices_the_catalog_promises():
    promised = {"t4", "l4", "a100-sxm-40gb", "a100-sxm-80gb", "h100-sxm", "rtx-3090", "rtx-4090", "rtx-5090"}
    promised |= {"rtx-pro-6000-max-q", "jetson-orin-nano", "jetson-agx-orin", "i9-10940x", "i7-12700h"}
    assert promised <= set(DEVICES)
    assert {catalog()[d].group for d in DEVICES} == {"gpu", "cpu"}


def test_an_unknown_target_is_named_with_the_close_ones():
    with pytest.raises(UnknownNameError, match=r"unknown target 'rtx4090' \(did you mean: rtx-4090"):
        find_target("rtx4090")


def test_geforce_autocast_runs_at_the_fp32_accumulate_rate():
    rtx4090 = catalog()["rtx-4090"]
    # Ada whitepaper: 165.2 TFLOPS fp16 with FP32 accumulate (what autocast runs), 330.3 with FP16 accumulate
    assert rtx4090.matrix_rate("fp16", "conv") == (165.2e12, "fp16_tensor")
    assert rtx4090.matrix_rate("fp32", "conv") == (82.6e12, "tf32_tensor")  # cuDNN's TF32 default for convolutions
    assert rtx4090.matrix_rate("fp32", "matmul") == (82.6e12, "fp32")  # torch's default: no TF32 for products
    assert catalog()["i9-10940x"].matrix_rate("fp16", "conv")[1] == "fp32"  # no tensor cores: the plain rate


# --- the model's arithmetic --------------------------------------------------------------------------------------

TOY = Target("toy", "toy", "desktop-gpu", {"fp32": 1e12, "fp16_tensor": 4e12}, bandwidth=1e11)
TOY_MODEL = Calibration(
    "gpu",
    compute_efficiency={"conv": 0.5, "matmul": 0.5, "grouped conv": 0.25},
    memory_efficiency=dict.fromkeys(KINDS[:-1], 0.8),
    depth_half=64.0,
    overhead=2e-6,
)


def work(kind: str, flops: float, macs: float, written: float, moved: float, read: float = 0) -> Work:
    """One layer's work; read: bytes of its inputs (0: none counted as cached)."""
    return Work(np.array([KINDS.index(kind)]), *(np.array([float(v)]) for v in (flops, macs, written, moved, read)))


def test_a_convolution_by_hand():
    # 64 output channels of 3x3x64 over 56x56: MACs 64*56*56*576 = 115,605,504; depth 576 MACs per output
    layer = work("conv", 2 * 115_605_504, 115_605_504, 64 * 56 * 56, 2 * (2 * 64 * 56 * 56) + 2 * 36_864)
    seconds, bound = predict_work(layer, TOY, "fp16", TOY_MODEL)
    # compute: 231,211,008 / (4e12 * 0.5 * 576 / (576 + 64)) = 231,211,008 / 1.8e12 = 128.45 us
    # memory: (802,816 + 73,728) bytes / (1e11 * 0.8) = 10.96 us; + 2 us per kernel
    assert seconds[0] == pytest.approx(231_211_008 / 1.8e12 + 2e-6)
    assert bound[0] == 0  # compute


def test_an_elementwise_layer_is_memory_bound_and_a_tiny_one_overhead_bound():
    relu = work("elementwise", 200_704, 0, 200_704, 4 * 200_704 * 2)  # fp32 read + write
    seconds, bound = predict_work(relu, TOY, "fp32", TOY_MODEL)
    assert seconds[0] == pytest.approx(1_605_632 / (1e11 * 0.8) + 2e-6)  # 20.07 us + 2 us
    assert bound[0] == 1  # memory
    tiny = work("elementwise", 10, 0, 10, 80)
    assert predict_work(tiny, TOY, "fp32", TOY_MODEL)[1][0] == 2  # 1 ns of work under a 2 us launch: overhead


def test_the_last_cache_is_credited_only_where_a_calibration_says():
    cached_toy = replace(TOY, figures={"l2": 4 * 2**20})  # a 4 MiB L2
    layer = work("elementwise", 0, 0, 2**20, 3 * 2**20, read=2**20)  # reads 1 MiB, writes 1 MiB, 1 MiB of weights
    shipped = predict_work(layer, cached_toy, "fp32", TOY_MODEL)[0][0]
    assert shipped == pytest.approx(3 * 2**20 / (1e11 * 0.8) + 2e-6)  # every byte from memory: 39.3 us + 2 us
    credited = predict_work(layer, cached_toy, "fp32", replace(TOY_MODEL, last_cache=True))[0][0]
    assert credited == pytest.approx(2 * 2**20 / (1e11 * 0.8) + 2e-6)  # the input from the L2: 26.2 us + 2 us


# --- invariants over the shipped calibrations --------------------------------------------------------------------

works = st.tuples(  # kind, FLOPs, MACs, elements written, bytes moved: whole numbers, as a layer's are
    st.sampled_from(range(len(KINDS))),
    st.integers(0, 10**12),
    st.integers(0, 10**11),
    st.integers(1, 10**9),
    st.integers(0, 10**10),
)


def one(kind, flops, macs, written, moved, read=None) -> Work:
    """A layer whose inputs are half the bytes it moves, unless read says."""
    read = moved // 2 if read is None else read
    return Work(*(np.array([value]) for value in (kind, flops, macs, written, moved, read)))


@settings(max_examples=200, deadline=None)
@given(works, st.floats(1, 100), st.sampled_from(DEVICES), st.sampled_from(["fp32", "fp16", "bf16"]))
def test_more_work_never_predicts_less_time(layer, factor, device, dtype):
    kind, flops, macs, written, moved = layer
    target = catalog()[device]
    model = calibrations()[target.group]
    base = predict_work(one(*layer), target, dtype, model)[0][0]
    assert predict_work(one(kind, flops * factor, macs, written, moved), target, dtype, model)[0][0] >= base
    more = int(moved * factor)
    assert predict_work(one(kind, flops, macs, written, more, moved // 2), target, dtype, model)[0][0] >= base
    assert predict_work(one(kind, flops, macs, written, more, more // 2), target, dtype, model)[0][0] >= base
    # no catalog device is predicted faster than its pure roofline (efficiencies are at most 1)
    assert base >= roofline_seconds(one(*layer), target, dtype)[0] * (1 - 1e-12)


@settings(max_examples=200, deadline=None)
@given(works, st.floats(1, 10), st.floats(1, 10), st.sampled_from(DEVICES), st.sampled_from(["fp32", "fp16"]))
def test_a_faster_device_never_predicts_slower(layer, rates_up, bandwidth_up, device, dtype):
    target = catalog()[device]
    faster = replace(
        target, rates={k: v * rates_up for k, v in target.rates.items()}, bandwidth=target.bandwidth * bandwidth_up
    )
    model = calibrations()[target.group]
    slow = predict_work(one(*layer), target, dtype, model)[0][0]
    assert predict_work(one(*layer), faster, dtype, model)[0][0] <= slow


@pytest.mark.parametrize("group", ["gpu", "cpu"])
def test_efficiencies_are_fractions_of_the_peak(group):
    model = calibrations()[group]
    for value in (*model.compute_efficiency.values(), *model.memory_efficiency.values()):
        assert 0 < value <= 1
    assert model.overhead > 0 and model.depth_half > 0


# --- a profile on a target ---------------------------------------------------------------------------------------


def test_profile_on_a_target_sums_its_layers():
    result = cnncost.profile("resnet50", batch=256, dtype="fp16", target="rtx-4090")
    assert result.total.predicted_seconds == pytest.approx(sum(c.predicted_seconds for c in result.layers))
    assert result.prediction.target == "rtx-4090" and result.prediction.dtype == "fp16"
    assert all(c.bound is None for c in result.layers if layer_work(c) is None)
    flatten = result.layer("flatten")
    assert flatten.predicted_seconds == 0.0 and flatten.bound is None  # a view runs no kernel
    # a 4x larger batch moves 4x the activations: more time, less than 4x (weights are read once either way)
    small = cnncost.profile("resnet50", batch=64, dtype="fp16", target="rtx-4090").total.predicted_seconds
    assert small < result.total.predicted_seconds < 4 * small
    assert cnncost.profile("resnet50", batch=256, dtype="fp16").total.predicted_seconds is None


def test_a_faster_target_predicts_every_layer_faster():
    on_t4 = cnncost.profile("mobilenet_v2", batch=32, dtype="fp16", target="t4")
    on_h100 = cnncost.profile("mobilenet_v2", batch=32, dtype="fp16", target="h100-sxm")
    for slow, fast in zip(on_t4.layers, on_h100.layers, strict=True):
        assert fast.predicted_seconds <= slow.predicted_seconds


def test_table_json_carries_the_predicted_seconds(capsys):
    code, out, _ = run(capsys, "table", "resnet50", "--target", "jetson-orin-nano", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["target"] == "jetson-orin-nano"
    assert data["total"]["predicted_seconds"] == pytest.approx(sum(x["predicted_seconds"] for x in data["layers"]))
    assert {x["bound"] for x in data["layers"]} <= {None, "compute", "memory", "overhead"}
    assert data["prediction"]["samples_per_second"] == pytest.approx(1 / data["total"]["predicted_seconds"])
    assert "unvalidated" in data["prediction"]["error"] or "within" in data["prediction"]["error"]


@pytest.mark.parametrize("fmt", ["table", "md", "html", "csv"])
def test_table_on_a_target_in_every_format(capsys, fmt):
    code, out, _ = run(capsys, "table", "resnet18", "--target", "rtx-4090", "--batch", "8", "--format", fmt)
    assert code == 0
    if fmt == "csv":
        assert out.splitlines()[0].split(",")[16:18] == ["predicted_seconds", "bound"] and ",memory," in out
    else:
        assert "pred ms" in out and "samples/s" in out and "NVIDIA GeForce RTX 4090" in out
    if fmt == "html":  # the share chart draws the predicted time beside memory, params and MACs
        assert ">predicted time</text>" in out


def test_check_max_latency_on_a_target_exits_by_the_prediction(capsys):
    predicted = cnncost.profile("resnet50", target="jetson-orin-nano").total.predicted_seconds
    over, under = f"{predicted * 2e3:.3f}ms", f"{predicted * 0.5e3:.3f}ms"
    code, out, _ = run(capsys, "check", "resnet50", "--max-latency", over, "--target", "jetson-orin-nano")
    assert code == 0 and "latency predicted on jetson-orin-nano" in out
    code, _, err = run(capsys, "check", "resnet50", "--max-latency", under, "--target", "jetson-orin-nano")
    assert code == 1 and "over budget" in err
    code, _, err = run(capsys, "check", "resnet50", "--max-latency", "5ms", "--target", "jetson-nano")
    assert code == 2 and err.count("\n") == 1 and "unknown target" in err


def test_a_configured_latency_budget_on_a_target(tmp_path, monkeypatch, capsys):
    predicted = cnncost.profile("resnet18", batch=4, target="t4").total.predicted_seconds
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.cnncost.models.small]\nsource = "resnet18"\nbatch = 4\ntarget = "t4"\n'
        f'max-latency = "{predicted * 1.5e3:.3f}ms"\n'
        f'[tool.cnncost.models.tight]\nsource = "resnet18"\nbatch = 4\ntarget = "t4"\n'
        f'max-latency = "{predicted * 0.5e3:.3f}ms"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert code == 1 and "small" in out and "tight" in err
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.small]\nsource = "resnet18"\ntarget = "t5"\nmax-latency = "1ms"\n'
    )
    code, _, err = run(capsys, "check")
    assert code == 2 and "target: 't5' is not a device" in err


def test_compare_and_diff_on_a_target(capsys):
    code, out, _ = run(capsys, "compare", "resnet50", "mobilenet_v2", "--target", "t4", "--format", "csv")
    first, second = csv.DictReader(io.StringIO(out))
    assert code == 0 and second["target"] == "t4" and second["prediction_error"].startswith("unvalidated")
    t4 = [cnncost.profile(n, target="t4").total.predicted_seconds for n in ("resnet50", "mobilenet_v2")]
    assert float(second["predicted_seconds_ratio"]) == pytest.approx(t4[1] / t4[0], abs=1e-6)
    code, out, _ = run(capsys, "diff", "resnet50", "resnet101", "--target", "t4", "--format", "csv")
    total = list(csv.DictReader(io.StringIO(out)))[-1]
    assert code == 0 and float(total["predicted_seconds_before"]) == pytest.approx(t4[0])
    assert total["target_before"] == total["target_after"] == "t4"


# --- cnncost targets ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "md", "html", "csv", "json"])
def test_targets_lists_every_device_in_every_format(capsys, fmt):
    code, out, _ = run(capsys, "targets", "--format", fmt)
    assert code == 0
    for device in DEVICES:
        assert device in out


def test_targets_of_one_device_gives_every_figure_its_source(capsys):
    code, out, _ = run(capsys, "targets", "rtx-3090", "--format", "json")
    (device,) = json.loads(out)
    assert code == 0 and device["figures"]["fp16_tensor"] == 71e12  # GA102 whitepaper, FP32 accumulate
    assert set(device["figures"]) == set(device["sources"])
    code, _, err = run(capsys, "targets", "rtx-9090")
    assert code == 2 and err.count("\n") == 1


# --- the calibration, refitted from the shipped files ------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("group", ["gpu", "cpu", "local"])
def test_the_calibration_is_reproducible_from_the_shipped_files(group):
    pytest.importorskip("scipy")
    from cnncost.targets.fit import calibration_batches, fit

    shipped = calibrations()[group]
    refitted = fit(calibration_batches(group), group)
    assert refitted.fitted_on == shipped.fitted_on
    for name in ("compute_efficiency", "memory_efficiency"):
        for kind, value in getattr(shipped, name).items():
            assert getattr(refitted, name)[kind] == pytest.approx(value, rel=1e-3), f"{name}[{kind}]"
    assert refitted.depth_half == pytest.approx(shipped.depth_half, rel=1e-3)
    assert refitted.overhead == pytest.approx(shipped.overhead, rel=1e-3)
    assert math.isfinite(refitted.overhead)


def test_every_export_carries_each_layers_prediction():
    result = cnncost.profile("resnet18", target="t4")
    frame = result.to_frame()
    assert frame["predicted_seconds"].sum() == pytest.approx(result.total.predicted_seconds)
    assert list(frame["bound"][:2]) == [result.layers[0].bound, result.layers[1].bound]
    data = result.to_dict()
    assert data["target"] == "t4" and data["layers"][0]["predicted_seconds"] == result.layers[0].predicted_seconds
    assert "predicted_seconds" not in cnncost.profile("resnet18").to_frame()


@pytest.mark.slow
@pytest.mark.torch
def test_local_is_this_machine_at_its_measured_roof():
    pytest.importorskip("torch")
    from cnncost.torch.roofline import fp32_roof

    result = cnncost.profile("resnet18", target="local")
    roof = fp32_roof()  # the roof bench measures here (cached): local's rates
    local = find_target("local")
    assert local.rates == {"fp32": roof.peak_flops} and local.bandwidth == roof.bandwidth
    assert all("measured on this machine" in local.sources[f] for f in ("fp32", "bandwidth"))
    assert result.prediction.kind == "local-cpu" and result.total.predicted_seconds > 0
    assert (
        "the machine `local` was fitted on" in result.prediction.error
        and "elsewhere, unvalidated" in result.prediction.error
    )


def test_a_faster_mode_of_a_device_is_never_predicted_slower():
    # the Jetson Orin Nano's 25 W Super mode lists every rate and bandwidth at least as high as its 15 W mode
    nano, fast = catalog()["jetson-orin-nano"], catalog()["jetson-orin-nano-super"]
    assert set(nano.rates) == set(fast.rates) and all(fast.rates[k] >= v for k, v in nano.rates.items())
    for dtype in ("fp32", "fp16", "bf16"):
        slow = cnncost.profile("resnet50", batch=8, dtype=dtype, target="jetson-orin-nano").total.predicted_seconds
        quick = cnncost.profile("resnet50", batch=8, dtype=dtype, target="jetson-orin-nano-super")
        assert quick.total.predicted_seconds < slow


def test_a_dtype_the_device_lists_no_rate_for_is_said_and_unvalidated(capsys):
    on_t4 = cnncost.profile("resnet18", dtype="bf16", target="t4")  # Turing: no bf16 at all
    assert "t4 lists no bf16 rate" in " ".join(on_t4.notes)
    assert on_t4.prediction.rates.startswith("convolutions and products at fp32 8.1 TFLOP/s")
    laptop = cnncost.profile("resnet18", dtype="fp16", target="i7-12700h").prediction  # validated at fp32 only
    assert not laptop.validated and laptop.error == "unvalidated at fp16: the model's error was measured at fp32 (±11%)"
    fp16 = cnncost.profile("resnet18", dtype="fp16", target="rtx-4090").prediction
    assert fp16.validated and fp16.rates.startswith("convolutions and products at fp16_tensor 165 TFLOP/s")
    fp32 = cnncost.profile("resnet18", target="rtx-4090").prediction  # the error was measured at fp16 (AMP)
    assert not fp32.validated and fp32.rates.startswith("convolutions at tf32_tensor 82.6 TFLOP/s, products at fp32")
    code, _, err = run(capsys, "table", "resnet18", "--target", "t4", "--dtype", "bf16", "--format", "csv")
    assert code == 0 and "t4 lists no bf16 rate" in err


def test_a_folded_row_shows_its_slowest_layers_bound_in_every_format(capsys):
    result = cnncost.profile("resnet18", target="rtx-4090")
    layer4 = [c for c in result.layers if c.name.startswith("layer4")]
    slowest = max(layer4, key=lambda c: c.predicted_seconds).bound
    assert slowest != layer4[-1].bound  # the row's last layer (the final ReLU) is bound otherwise
    code, out, _ = run(capsys, "table", "resnet18", "--target", "rtx-4090", "--depth", "1", "--format", "json")
    (row,) = [r for r in json.loads(out)["rows"] if r["name"] == "layer4"]
    assert row["bound"] == slowest
    assert row["predicted_seconds"] == pytest.approx(sum(c.predicted_seconds for c in layer4))
    code, out, _ = run(capsys, "table", "resnet18", "--target", "rtx-4090", "--depth", "1", "--format", "md")
    (line,) = [line for line in out.splitlines() if line.startswith("| layer4 ")]
    assert line.rstrip(" |").endswith(slowest)


def test_a_network_that_runs_no_kernel_predicts_zero(tmp_path, capsys):
    (tmp_path / "flat.toml").write_text('input = [3, 8, 8]\n[[layers]]\nname = "flat"\ntype = "flatten"\n')
    code, out, _ = run(capsys, "table", str(tmp_path / "flat.toml"), "--target", "t4", "--format", "md")
    assert code == 0 and "no layer runs a kernel" in out


def test_diff_of_exports_says_when_their_devices_differ(tmp_path, capsys):
    for name, device in (("a", "t4"), ("b", "rtx-4090")):
        assert main(["table", "resnet18", "--target", device, "-o", str(tmp_path / f"{name}.json")]) == 0
    code, out, _ = run(capsys, "diff", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "md")
    assert code == 0 and "predicted ms (different devices)" in out and "their change is the devices'" in out
    code, _, err = run(capsys, "diff", str(tmp_path / "a.json"), "resnet34", "--target", "rtx-4090")
    assert code == 2 and "exported on t4" in err
    data = json.loads((tmp_path / "a.json").read_text())
    data["total"]["predicted_seconds"] = 1e308
    (tmp_path / "c.json").write_text(json.dumps(data))
    code, _, err = run(capsys, "diff", str(tmp_path / "c.json"), str(tmp_path / "b.json"))
    assert code == 2 and "predicted_seconds must be a number of seconds (0 or more)" in err


def test_targets_are_named_in_any_case_and_checked(tmp_path, monkeypatch, capsys):
    assert find_target("T4") is catalog()["t4"]
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.small]\nsource = "resnet18"\ntarget = "T4"\nmax-latency = "1s"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "check")[0] == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.small]\nsource = "resnet18"\ntarget = "rtx4090"\nmax-latency = "1s"\n'
    )
    code, _, err = run(capsys, "check")
    assert code == 2 and "did you mean: rtx-4090" in err
    code, _, err = run(capsys, "check", "resnet18", "--target", "t4", "--max-params", "20M")
    assert code == 2 and "give --max-latency too" in err
    with pytest.raises(cnncost.CnnCostError, match="kind must be one of"):
        cnncost.profile("resnet18", target=replace(TOY, kind="embedded-npu"))


def test_the_targets_list_names_local_in_every_format(capsys):
    code, out, _ = run(capsys, "targets", "--format", "json")
    assert code == 0 and json.loads(out)[-1]["id"] == "local"
    code, out, _ = run(capsys, "targets", "--format", "md")
    (line,) = [line for line in out.splitlines() if line.startswith("| local ")]
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[2] == "measured" and cells[6] == "measured" and cells[3] == "-"  # fp32 and bandwidth


def test_second_round_the_fitted_devices_and_other_machines_say_what_their_error_is():
    own = cnncost.profile("resnet18", dtype="fp16", target="rtx-3090").prediction
    assert own.validated and "on this device" in own.error and "pt113" in own.error  # its other torch versions' files
    other_machine = replace(find_target("t4"), id="local", name="this machine (Other CPU, 8 threads)", kind="local-cpu")
    text, typical = validation(other_machine, "fp32")
    assert typical is None and text.startswith("unvalidated on this machine: `local` was fitted and checked on")


@pytest.mark.parametrize(
    "changes, words",
    [
        (dict(rates={"fp32": 1e13, "fp16_tensor": 0.0}), "fp16_tensor must be a number from"),
        (dict(rates={"fp32": 1e13, "fp16_tensor": float("nan")}), "fp16_tensor must be a number from"),
        (dict(rates={"fp32": True}), "fp32 must be a number from"),
        (dict(rates={"fp32": "fast"}), "fp32 must be a number from"),
        (dict(rates=None), "rates must be a dict"),
        (dict(bandwidth=1e-300), "bandwidth must be a number from"),
        (dict(kind="local-cpu"), "kind must be one of"),
    ],
)
def test_a_target_of_ones_own_is_checked(changes, words):
    with pytest.raises(cnncost.CnnCostError, match=words):
        cnncost.profile("resnet18", target=replace(TOY, **changes))


def test_compare_and_diff_warn_of_a_rate_the_device_lacks(capsys):
    code, _, err = run(capsys, "compare", "resnet18", "resnet34", "--target", "i9-10940x", "--dtype", "fp16")
    assert code == 0 and "i9-10940x lists no fp16 rate" in err and "likely optimistic" in err
    code, out, err = run(capsys, "diff", "resnet18", "resnet34", "--target", "i7-12700h", "--format", "md")
    assert code == 0 and "Predicted times: typically within ±11% on a laptop CPU" in out
    code, _, err = run(capsys, "diff", "resnet18", "resnet34", "--target", "rtx4090")
    assert code == 2 and "did you mean: rtx-4090" in err


def test_diff_takes_an_export_that_runs_no_kernel(tmp_path, capsys):
    (tmp_path / "flat.toml").write_text('input = [3, 8, 8]\n[[layers]]\nname = "flat"\ntype = "flatten"\n')
    assert main(["table", str(tmp_path / "flat.toml"), "--target", "t4", "-o", str(tmp_path / "zero.json")]) == 0
    assert main(["table", str(tmp_path / "flat.toml"), "--target", "t4", "-o", str(tmp_path / "again.json")]) == 0
    code, out, _ = run(capsys, "diff", str(tmp_path / "zero.json"), str(tmp_path / "again.json"), "--format", "csv")
    total = list(csv.DictReader(io.StringIO(out)))[-1]
    assert code == 0 and float(total["predicted_seconds_before"]) == 0.0


def test_a_configured_target_needs_its_latency_limit(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cnncost.models.small]\nsource = "resnet18"\ntarget = "t4"\nmax-params = "20M"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "check")
    assert code == 2 and "give max-latency too" in err


def test_counts_of_a_device_print_whole(capsys):
    code, out, _ = run(capsys, "targets", "rtx-3090", "--format", "md")
    (line,) = [line for line in out.splitlines() if line.startswith("| cuda_cores ")]
    assert code == 0 and line.split("|")[2].strip() == "10,496"  # GA102 whitepaper: 10,496 CUDA cores


@pytest.mark.torch
def test_a_dtype_no_device_lists_is_said():
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU()).double()
    result = cnncost.profile(net, input=(3, 16, 16), target="i7-12700h")
    assert result.prediction.dtype == "fp64" and not result.prediction.validated
    assert "i7-12700h lists no fp64 rate" in " ".join(result.notes)
