"""Figures (produced and valid, never compared byte for byte), inline bars in the table, and the table's fast path."""

import sys
import xml.etree.ElementTree as ElementTree

import pytest

import cnncost
from cnncost.cli import main
from cnncost.report.analysis_views import bar
from cnncost.report.plots import bars, category, takeaways

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_bar_by_hand():
    assert bar(0.5) == "█████     "  # 0.5 · 10 characters
    assert bar(1 / 16) == "▋         "  # 1/16 · 80 eighths = 5 eighths
    assert bar(0.001) == "▏         "  # 0.08 eighths rounds to 0, but a nonzero share shows
    assert bar(0.0) == " " * 10 and bar(1.0) == "█" * 10


def test_table_bars_scale_to_the_largest_row(capsys):
    code, out, err = run(capsys, "table", "alexnet", "--bars")
    assert code == 0 and err == ""
    fc6 = next(line for line in out.splitlines() if line.startswith("│ fc6 "))
    fc7 = next(line for line in out.splitlines() if line.startswith("│ fc7 "))
    assert "│ ██████████ │" in fc6  # the most parameters: a full bar
    assert "│ ████▌      │" in fc7  # 16,781,312 / 37,752,832 = 0.4445 of 80 eighths = 35.6, 36 eighths: 4 and a half
    assert "Bars: each row's share of the network's total" in out


def test_bars_have_no_csv_form(capsys):
    code, out, err = run(capsys, "table", "alexnet", "--bars", "--format", "csv")
    assert code == 2 and out == "" and err.count("\n") == 1 and "--bars" in err


def test_categories_and_stage_bars():
    assert [category(op) for op in ("conv2d", "linear", "relu", "max_pool2d", "add", "flatten")] == [
        "convolution",
        "fully connected",
        "activation",
        "pooling",
        "merge",
        "other",
    ]
    stages = bars(cnncost.profile("resnet50"), stages=True)
    assert [b.label.split()[0] for b in stages] == [
        "conv1",
        "bn1",
        "maxpool",
        "layer1",
        "layer2",
        "layer3",
        "layer4",
        "avgpool",
        "flatten",
        "fc",
    ]
    layer1 = dict((part[0], part[1:]) for part in stages[3].parts)
    assert layer1["convolution"][2] == sum(
        c.macs for c in cnncost.profile("resnet50").layers if c.name.startswith("layer1.") and c.op == "conv2d"
    )


@pytest.mark.torch
def test_a_modules_stages_are_opened_from_their_container():
    """A ConvNeXt as timm writes it: stem and stages are nn.Sequential. At depth 1 each opens one level: the stem's
    conv and norm, the two stages, the mean and the head, each stage's bar holding its blocks' MACs."""
    pytest.importorskip("torch")
    from tests.fixtures.modern import ConvNeXt

    p = cnncost.profile(ConvNeXt(), input=(3, 32, 32))
    found = bars(p, stages=False, depth=1)
    assert [b.label.split()[0] for b in found] == ["stem.0", "stem.1", "stages.0", "stages.1", "mean", "head"]
    stage = dict((part[0], part[1:]) for part in found[2].parts)
    assert stage["convolution"][2] == sum(
        c.macs for c in p.layers if c.name.startswith("stages.0.") and c.op == "conv2d"
    )
    assert [b.label.split()[0] for b in bars(p, stages=True)] == [b.label.split()[0] for b in found]


def test_takeaways_say_where_things_are():
    assert takeaways(cnncost.profile("alexnet")) == (
        "half the activation memory is in the first 3 of 13 layers; "  # 784 + 182.25 + 546.75 KB of 2,375.16 KB
        "96% of the parameters are in fully connected layers; 92% of the MACs are in convolutions"
    )


def test_missing_matplotlib_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    code, out, err = run(capsys, "plot", "alexnet", "-o", str(tmp_path / "a.png"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "pip install 'cnncost[plot]'" in err
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["plot"], "give an architecture name, or --compare"),
        (["plot", "alexnet", "--compare", "vgg16", "resnet50"], "give an architecture name, or --compare"),
        (["plot", "--compare", "vgg16"], "--compare needs two or more names"),
        (["plot", "alexnet", "-o", "alexnet.txt"], "name it .png, .svg or .pdf"),
        (["plot", "alexnett", "-o", "x.png"], "unknown architecture 'alexnett'"),
        (["plot", "alexnet", "--view", "rows"], "invalid choice: 'rows'"),
    ],
)
def test_bad_plot_input_is_one_line_and_exit_2(capsys, argv, message):
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


@pytest.mark.parametrize(
    "name, extra",
    [
        ("alexnet", []),
        ("resnet50", []),
        ("vgg16", ["--view", "stages"]),
        ("googlenet", ["--batch", "8", "--dtype", "fp16"]),
    ],
)
@pytest.mark.slow
def test_layer_figure_png(capsys, tmp_path, name, extra):
    pytest.importorskip("matplotlib")
    path = tmp_path / f"{name}.png"
    code, out, err = run(capsys, "plot", name, "-o", str(path), *extra)
    assert code == 0 and err == "" and out == f"wrote {path}\n"
    assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 20_000


@pytest.mark.slow
def test_layer_figure_svg_parses(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "alexnet.svg"
    assert run(capsys, "plot", "alexnet", "-o", str(path))[0] == 0
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert "fully connected" in path.read_text()  # the legend, as text


def test_compare_figure(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "compare.png"
    code, out, _ = run(capsys, "plot", "--compare", "vgg16", "googlenet", "resnet50", "-o", str(path))
    assert code == 0 and path.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.slow
def test_default_output_name(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "plot", "alexnet") == (0, "wrote alexnet.png\n", "")
    assert (tmp_path / "alexnet.png").read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.slow
def test_roofline_from_a_bench_run(capsys, tmp_path, small_roof):
    pytest.importorskip("matplotlib")
    path = tmp_path / "roof.svg"
    code, out, err = run(
        capsys,
        "plot",
        "conv3x3-x2",
        "--roofline",
        "--input",
        "8x16x16",
        "--min-time",
        "0.01",
        "--forward-time",
        "0.01",
        "-o",
        str(path),
    )
    assert code == 0 and err == ""
    text = path.read_text()
    assert ElementTree.parse(path).getroot().tag.endswith("svg") and "conv2" in text and "ridge" in text


@pytest.mark.parametrize(
    "name, stem",
    [
        ("resnet18", "resnet18"),
        ("sub/net.toml", "net"),
        ("net.json", "net"),
        ("sub/net.py:TinyNet", "net-TinyNet"),
        ("torchvision.models:resnet18", "torchvision.models-resnet18"),
    ],
)
def test_the_default_file_is_named_for_the_model_and_written_here(name, stem):
    from cnncost.commands.plot import file_stem

    assert file_stem(name) == stem and "/" not in stem and ":" not in stem


def test_control_characters_in_a_files_names_make_a_valid_svg(tmp_path, capsys):
    """A spec whose names hold control characters: escaped in the figure as in every view, so the SVG is XML."""
    import xml.dom.minidom

    pytest.importorskip("matplotlib")
    spec = tmp_path / "net.toml"
    spec.write_text(
        'name = "n\\u001b[2J"\ninput = [3, 8, 8]\n[[layers]]\nname = "a\\u0007b"\ntype = "conv2d"\n'
        "out_channels = 4\nkernel_size = 3\n"
    )
    assert run(capsys, "plot", str(spec), "-o", str(tmp_path / "net.svg"))[0] == 0
    xml.dom.minidom.parse(str(tmp_path / "net.svg"))
