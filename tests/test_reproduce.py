"""cnncost reproduce: printed values, verdicts, the conventions found by computing, and reports/ kept current."""

from fractions import Fraction
from pathlib import Path

import pytest

import cnncost
from cnncost.cli import main
from cnncost.reproductions import TOPICS, build, write_all
from cnncost.reproductions.printed import Printed, evaluate
from cnncost.reproductions.verdict import CONVENTION, EXACT, NO_CONVENTION, ROUNDING, Candidate, Term, judge

REPORTS = Path(__file__).parent.parent / "reports"


@pytest.fixture(scope="module")
def reports():
    return {topic: build(topic) for topic in TOPICS}


def find(report, item, quantity, shown=None):
    """The one check of report on item and quantity (and printed as shown, when several are)."""
    found = [
        c
        for c in report.checks
        if c.item == item and c.quantity == quantity and (shown is None or c.printed.shown() == shown)
    ]
    assert len(found) == 1, [c.printed.shown() for c in found]
    return found[0]


# --- printed values ------------------------------------------------------------------------------------------------


def test_a_printed_value_stands_for_what_rounds_to_it():
    printed = Printed("73", "M")
    assert printed.interval() == (72_500_000, 73_500_000)
    assert printed.contains(72_855_552) and printed.contains(72_500_000) and not printed.contains(73_500_000)
    assert Printed("7.5", "MB").interval() == (Fraction(745, 100) * 2**20, Fraction(755, 100) * 2**20)
    assert Printed("7.5", "MB").in_unit("MB (10^6 bytes)").interval() == (7_450_000, 7_550_000)
    assert Printed("500", "MB", step="100").stands_for() == "[450 MB, 550 MB)"
    assert Printed("72", "%").interval() == (Fraction(715, 1000), Fraction(725, 1000))


def test_whole_counts_and_arithmetic_stand_for_one_value():
    assert Printed("23,296").interval() == (23_296, 23_296)
    assert evaluate("(9216 × 4096) + 4096") == 37_752_832
    assert Printed("(9216 × 4096) + 4096").value == 37_752_832
    assert Printed("25C²HW").at(C=64, H=56, W=56).value == 25 * 64 * 64 * 56 * 56
    assert Printed("17HWC²").at(C=3, H=5, W=7).value == 17 * 5 * 7 * 9


def test_malformed_arithmetic_is_refused():
    from cnncost.errors import CnnCostError

    with pytest.raises(CnnCostError, match="only whole numbers"):
        evaluate("2 ** 8")


# --- verdicts ------------------------------------------------------------------------------------------------------


def test_verdict_kinds():
    assert judge(Printed("784", "KB"), 784 * 1024).kind == EXACT
    assert judge(Printed("73", "M"), 72_855_552).kind == ROUNDING
    without_bias = Candidate("biases left out", 9216 * 4096)
    assert judge(Printed("37,749", "k"), 37_752_832, [without_bias]).convention == "biases left out"
    assert judge(Printed("145", "M"), 149_520_384).kind == NO_CONVENTION


def test_causes_the_numbers_point_to():
    # 9216*4096 + 4096 = 37,752,832; printed 37,725,832: '52' and '25' swapped
    assert "transposed digits" in judge(Printed("37,725,832"), 37_752_832).cause
    # 271,351,808 + 86,704,128 (the 3x3 branch) = 358,055,936, which rounds to 358 M
    verdict = judge(Printed("358", "M"), 271_351_808, terms=[Term("branch2", 86_704_128), Term("x", 1)])
    assert verdict.kind == NO_CONVENTION and "branch2 (86,704,128)" in verdict.cause
    assert "truncated" in judge(Printed("3.8", "G"), 3_857_973_248).cause  # 3.858 G truncates to 3.8
    assert judge(Printed("5", "M"), 6_998_552).cause == "The numbers point to no single cause."


def test_no_report_calls_a_value_outside_the_printed_interval_exact_or_rounding(reports):
    for report in reports.values():
        for item in report.checks:
            kind, printed = item.verdict.kind, item.printed
            if kind == EXACT:
                assert item.computed == printed.value, item
            if kind == ROUNDING:
                assert printed.contains(item.computed) and item.computed != printed.value, item
            if kind == CONVENTION:
                assert item.verdict.value is not None and not printed.contains(item.computed), item
            if kind == NO_CONVENTION:
                assert item.verdict.value is None and not printed.contains(item.computed), item


# --- the findings, by hand -----------------------------------------------------------------------------------------


def test_alexnet_lecture_table(reports):
    alexnet = reports["alexnet"]
    conv4 = find(alexnet, "conv4", "macs", "145 M")
    assert conv4.computed == 13 * 13 * 256 * 3 * 3 * 384 == 149_520_384 and conv4.verdict.kind == NO_CONVENTION
    for layer, shown, weights in (
        ("fc6", "37,749 k", 9216 * 4096),
        ("fc7", "16,777 k", 4096 * 4096),
        ("fc8", "4,096 k", 4096 * 1000),
    ):
        check = find(alexnet, layer, "params", shown)
        assert check.verdict.convention == "biases left out" and check.verdict.value == weights
    assert find(alexnet, "conv1", "params", "23 k").verdict.kind == ROUNDING  # 64*3*11*11 + 64 = 23,296: biases in
    kinds = {c.verdict.kind for c in alexnet.checks if c.section == "the lecture's table"}
    assert kinds == {EXACT, ROUNDING, CONVENTION, NO_CONVENTION}


def test_alexnet_second_source(reports):
    alexnet = reports["alexnet"]
    assert find(alexnet, "conv1", "macs", "≈ 78M").verdict.kind == NO_CONVENTION  # 72,855,552 rounds to 73 M
    assert "one-digit slip" in find(alexnet, "conv1", "macs", "≈ 78M").verdict.cause
    assert find(alexnet, "fc6", "params", "(9216 × 4096) + 4096").verdict.kind == EXACT
    transposed = find(alexnet, "fc6", "params", "= 37,725,832").verdict
    assert transposed.kind == NO_CONVENTION and "'52' as '25'" in transposed.cause


def test_stem_totals(reports):
    stem = reports["stem"]
    # 3136 + 784 + 784 + 2352 + 588 KB = 7644 KB = 7.46 MB of 2^20 bytes (7.83 MB of 10^6 bytes)
    assert find(stem, "GoogLeNet stem", "memory").verdict.kind == ROUNDING
    assert find(stem, "GoogLeNet stem", "params").computed == 9_472 + 4_160 + 110_784
    flops = find(stem, "GoogLeNet stem", "macs").verdict
    # 118,013,952 + 12,845,056 + 346,816,512 MACs, + 1,806,336 + 1,354,752 pooling FLOPs = 480,836,608: 481, not 418
    assert flops.kind == NO_CONVENTION and "481" in flops.cause and "transposed" in flops.cause
    for quantity in ("memory", "params", "macs"):
        assert "conv3_3" in find(stem, "VGG-16", quantity).verdict.convention
    # 12,845,056*2 + 6,422,528*2 + 3,211,264*2 bytes (conv outputs without conv3_3) = 42.875 MB
    assert find(stem, "VGG-16", "memory").verdict.value == 44_957_696
    assert find(stem, "VGG-16", "params").verdict.value == 1_735_488 - 590_080
    assert find(stem, "VGG-16", "macs").verdict.value == 9_335_144_448 - 1_849_688_064 == 7_485_456_384
    assert find(stem, "vgg13, conv1_1..pool3", "macs").computed == 7_485_456_384


def test_a_coarse_figure_names_a_layer_only_with_a_precise_one(reports):
    from cnncost import profile
    from cnncost.reproductions.search import candidates

    # 1.1 M stands for +-4.5%: alone, it may not single out a layer; 7485 M (+-0.007%) may
    vgg = reports["stem"]
    assert find(vgg, "VGG-16", "params").verdict.kind == CONVENTION
    layers = profile("googlenet-paper").layers
    assert not any("layer left out" in c.convention for c in candidates(layers, "params", Printed("5", "M")))


def test_bottleneck_figures(reports):
    bottleneck = reports["bottleneck"]
    assert find(bottleneck, "conv3x3-256", "params").verdict.value == 256 * 256 * 9 == 589_824
    assert find(bottleneck, "reduce-conv3x3-256", "params").verdict.value == 256 * 64 + 64 * 9 * 256 == 163_840
    naive = find(bottleneck, "inception-naive", "macs")
    assert naive.verdict.kind == ROUNDING and naive.computed == 854_196_224
    twice = find(bottleneck, "inception-bottleneck", "macs").verdict
    assert twice.kind == NO_CONVENTION and "inception.branch2.1 (86,704,128)" in twice.cause
    assert find(bottleneck, "conv3x3-x2 against conv5x5, C=64, 56x56, MACs", "saving").verdict.kind == EXACT  # 7/25
    assert all(c.verdict.kind == EXACT for c in bottleneck.checks if c.section == "d. ResNet blocks")


def test_network_figures(reports):
    networks = reports["networks"]
    assert find(networks, "ResNet-34 (resnet34)", "macs").verdict.convention.startswith("projection shortcuts left out")
    assert find(networks, "ResNet-101 (resnet101-paper)", "macs").verdict.kind == ROUNDING
    torchvision = find(networks, "ResNet-101 (resnet101)", "macs").verdict
    # the verdict says what the text beside it says: the source's own network reproduces the figure
    assert torchvision.kind == CONVENTION and torchvision.convention == "the source's network is resnet101-paper"
    assert torchvision.value == cnncost.profile("resnet101-paper").total.macs
    assert "resnet101-paper, the network the source describes" in torchvision.cause
    storage = find(networks, "VGG-16 (vgg16)", "param_bytes")
    # 138,357,544 * 4 = 553,430,176 bytes = 527.8 MB of 2^20 bytes (in [450, 550)), 553.4 MB of 10^6 bytes (not)
    assert storage.computed == 138_357_544 * 4 and storage.verdict.kind == ROUNDING
    vgg = find(networks, "VGG-16 (vgg16)", "macs").verdict
    assert vgg.value == 15_470_264_320 - 1_849_688_064 and "conv3_3" in vgg.convention


# --- reports/ and the command line ---------------------------------------------------------------------------------


def test_reports_are_regenerated_byte_for_byte(tmp_path):
    written = write_all(tmp_path)
    assert [p.name for p in written] == [f"{t}.{suffix}" for t in TOPICS for suffix in ("md", "csv")] + ["README.md"]
    for path in written:
        assert path.read_bytes() == (REPORTS / path.name).read_bytes(), (
            f"reports/{path.name} is stale: run 'cnncost reproduce all' and commit reports/"
        )


def test_reproduce_prints_a_report(capsys):
    assert main(["reproduce", "alexnet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("AlexNet, cell by cell") and "│ conv4   │" in out and "149.52 ✗" in out


def test_reproduce_formats(capsys, tmp_path):
    assert main(["reproduce", "networks", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("report,section,item,quantity,source,printed")
    assert main(["reproduce", "stem", "-o", str(tmp_path / "stem.md")]) == 0
    assert (tmp_path / "stem.md").read_text(encoding="utf-8") == (REPORTS / "stem.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_reproduce_all_writes_a_folder(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["reproduce", "all", "--dir", str(tmp_path / "out")]) == 0
    written = [line.removeprefix("wrote ") for line in capsys.readouterr().out.splitlines()]
    assert (tmp_path / "out" / "README.md").exists() and str(tmp_path / "out" / "README.md") in written
    figures = [Path(name) for name in written if name.endswith(".png")]
    assert [p.name for p in figures] == ["alexnet.png", "vgg16.png", "resnet50.png", "compare.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in figures)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reproduce", "all", "-o", "x.md"], "reproduce all writes a folder"),
        (["reproduce", "lenet"], "invalid choice: 'lenet'"),
        (["reproduce", "alexnet", "-o", "alexnet.xlsx"], "cnncost does not write .xlsx files"),
        (["reproduce", "alexnet", "--format", "md", "-o", "alexnet.csv"], "--format md contradicts the file name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
