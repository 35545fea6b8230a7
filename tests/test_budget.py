"""Budgets: sizes with units, assert_budget in a user's own tests, `cnncost check` exit codes."""

from fractions import Fraction

import pytest

import cnncost
from cnncost import BudgetExceeded, CnnCostError, Graph, assert_budget, check_budget, layer, profile
from cnncost.budget import parse_bytes, parse_count, parse_seconds
from cnncost.cli import main


def test_units():
    assert parse_count("5M") == 5_000_000
    assert parse_count("1.5G") == 1_500_000_000
    assert parse_count("600k") == 600_000
    assert parse_count(42) == 42
    assert parse_bytes("120MB") == 120 * 1024 * 1024  # MB = 1024 KB, as in every cnncost table
    assert parse_bytes("512") == 512
    assert parse_seconds("20ms") == Fraction(1, 50)
    assert parse_seconds(0.5) == Fraction(1, 2)  # a Python number is seconds
    with pytest.raises(CnnCostError, match="give a unit"):
        parse_seconds("20")  # 20 s or 20 ms? refused
    for bad, parse in (
        ("5X", parse_count),
        ("MB", parse_bytes),
        ("1.5.2G", parse_count),
        ("-3M", parse_count),
        ("10 parsecs", parse_seconds),
    ):
        with pytest.raises(CnnCostError, match="malformed"):
            parse(bad)


def test_assert_budget_passes_within_and_names_every_broken_budget():
    resnet50 = profile("resnet50")
    assert_budget(resnet50, max_params="30M", max_macs="5G", max_memory="120MB")
    with pytest.raises(BudgetExceeded) as raised:
        assert_budget(resnet50, max_params="20M", max_macs="5G", max_flops="8G")
    message = str(raised.value)
    assert "params 25,557,032 > limit 20,000,000 (20M)" in message
    assert f"FLOPs {resnet50.total.flops:,} > limit 8,000,000,000 (8G)" in message  # 8,217,631,232
    assert "MACs" not in message  # within its budget
    assert isinstance(raised.value, AssertionError)  # so pytest shows it as a failed assertion


def test_latency_needs_a_timed_run():
    with pytest.raises(CnnCostError, match="a latency budget needs a timed run"):
        assert_budget(profile("alexnet"), max_latency="10ms")
    with pytest.raises(CnnCostError, match="no budget given"):
        assert_budget(profile("alexnet"))


@pytest.mark.parametrize(
    "argv, code",
    [
        (["check", "resnet50", "--max-params", "30M", "--max-macs", "5G", "--max-memory", "120MB"], 0),
        (["check", "resnet50", "--max-params", "20M"], 1),
        (["check", "resnet50", "--max-macs", "4G", "--batch", "2"], 1),
        (["check", "resnet50", "--max-params", "lots"], 2),
        (["check", "resnet50"], 2),
        (["check", "resnet51", "--max-params", "30M"], 2),
    ],
)
def test_check_exit_codes(capsys, argv, code):
    assert main(argv) == code
    out, err = capsys.readouterr()
    if code == 1:
        assert err.startswith("cnncost: resnet50 is over budget: ") and "OVER" in out
    if code == 2:
        assert err.startswith("cnncost: error: ") and err.count("\n") == 1


@pytest.mark.slow
def test_check_latency_times_the_network(capsys, short_latency):
    pytest.importorskip("torch", reason="timing needs torch")
    assert main(["check", "resnet18", "--input", "3x32x32", "--max-latency", "100s"]) == 0
    assert "within latency" in capsys.readouterr().out
    assert main(["check", "resnet18", "--input", "3x32x32", "--max-latency", "1us"]) == 1


def test_exceeded_budget_in_a_users_test_reads_well():
    with pytest.raises(AssertionError, match="vgg16 is over budget: params 138,357,544 > limit 5,000,000 \\(5M\\)"):
        cnncost.assert_budget(cnncost.profile("vgg16"), max_params="5M")


def test_no_budget_can_pass_on_uncounted_layers():
    pytest.importorskip("torch", reason="tracing needs torch")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
    import user_nets

    unknown = profile(user_nets.Unknown(), input=(3, 8, 8))
    for budget in ({"max_flops": "1G"}, {"max_macs": "1G"}, {"max_training_memory": "1GB"}):
        with pytest.raises(
            CnnCostError,
            match="budget cannot be checked: .* leaves out 2 layer\\(s\\) without a "
            "cost formula \\(special_i0, kthvalue\\)",
        ):
            assert_budget(unknown, **budget)
    # parameters and output sizes are torch's, whatever the formulas
    for budget in (
        {"max_params": "1M"},
        {"max_activations": "1GB"},
        {"max_peak_memory": "1GB"},
        {"max_weights": "1GB"},
    ):
        assert_budget(unknown, **budget)
    with pytest.raises(BudgetExceeded):  # already over on the layers it can count: over, whatever the rest costs
        assert_budget(unknown, max_macs="1k")


def tiny_chain():
    """input 1x4x4 -> conv2d to 2 channels, 1x1 with bias -> relu: every memory figure by hand (fp32)."""
    return cnncost.propagate(
        Graph.build(
            "tiny", [layer("conv2d", "conv", out_channels=2, kernel_size=1), layer("relu", "relu")], input=(1, 4, 4)
        )
    )


@pytest.mark.parametrize("optimizer, training", [("sgd", 224), ("momentum", 240), ("adam", 264)])
def test_memory_budgets_name_what_a_device_holds(optimizer, training):
    # input 16 elements = 64 B; conv output 2x4x4 = 32 elements = 128 B; relu output 128 B
    # activations (sum of outputs) 128 + 128 = 256; peak live: while relu runs, the input the caller holds (64 B),
    # the conv's output and its own = 320; weights: 2 weights + 2 biases = 4 params = 16 B
    # training, SGD: weights 16 + gradients 16 + kept for backward: the conv's input 64 and relu's output 128 = 224;
    # momentum: + one buffer per weight, 16 = 240; Adam: + two (32) + a 4-byte step per parameter tensor (2) = 264
    checks = check_budget(
        tiny_chain(),
        max_activations="256B",
        max_peak_memory=320,
        max_weights="16B",
        max_training_memory=training,
        optimizer=optimizer,
    )
    assert [(c.quantity.split(" (")[0], c.value, c.ok) for c in checks] == [
        ("activations", 256, True),
        ("weights", 16, True),
        ("peak memory", 320, True),
        ("training memory", training, True),
    ]
    with pytest.raises(BudgetExceeded, match="peak memory 320 bytes > limit 319 bytes"):
        assert_budget(tiny_chain(), max_peak_memory=319)
    with pytest.raises(BudgetExceeded, match=f"training memory .* {training:,} bytes > limit {training - 1:,} bytes"):
        assert_budget(tiny_chain(), max_training_memory=training - 1, optimizer=optimizer)


def test_memory_budgets_on_the_command_line(capsys):
    # resnet50 at batch 32, fp32: the figures `cnncost table resnet50 --batch 32 --memory` shows
    result = cnncost.profile("resnet50", batch=32)
    from cnncost.analysis import graph_of
    from cnncost.analysis.memory import inference_memory

    peak = inference_memory(graph_of(result), result).peak_bytes
    code = main(
        [
            "check",
            "resnet50",
            "--batch",
            "32",
            "--max-peak-memory",
            str(peak),
            "--max-weights",
            str(result.total.param_bytes + result.total.buffer_bytes),
            "--max-activations",
            str(result.total.activation_bytes),
        ]
    )
    assert code == 0 and capsys.readouterr().out.count("within ") == 3
    assert main(["check", "resnet50", "--batch", "32", "--max-peak-memory", str(peak - 1)]) == 1
    assert main(["check", "resnet50", "--max-training-memory", "1GB", "--optimizer", "lamb"]) == 2


def test_check_max_params_passes_on_a_model_with_an_op_without_a_formula(capsys):
    from pathlib import Path

    pytest.importorskip("torch")
    path = f"{Path(__file__).parent / 'fixtures' / 'user_nets.py'}:Unknown"
    assert main(["check", path, "--input", "3x8x8", "--max-params", "1M"]) == 0
    assert "within params" in capsys.readouterr().out
    assert main(["check", path, "--input", "3x8x8", "--max-macs", "1G"]) == 2
    assert "register_formula" in capsys.readouterr().err
