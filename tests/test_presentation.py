"""The presentation layer: one document per command, rendered for a terminal (fitted to its width), a pipe, Markdown,
HTML, CSV and JSON; numbers a person reads; notebooks."""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import io
import json
import os
import pty
import re
import struct
import sys
import termios
from fractions import Fraction
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cnncost
from cnncost import units
from cnncost.cli import main
from cnncost.report.document import Screen
from cnncost.report.profile_table import profile_document
from cnncost.report.render import render
from cnncost.report.rows import table_rows
from cnncost.shapes import Shape

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def in_terminal(argv: list[str], columns: int = 100, lines: int = 40, env: dict | None = None) -> str:
    """What `python -m cnncost ARGV` prints in a pseudo-terminal of columns x lines."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its standard streams are the pseudo-terminal
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        os.execve(sys.executable, [sys.executable, "-m", "cnncost", *argv], {**os.environ, **(env or {})})
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode()
    return out.decode().replace("\r\n", "\n")


def on_screen(argv: list[str], columns: int, capsys, monkeypatch, lines: int = 40) -> str:
    """What main(ARGV) prints to a terminal of columns x lines, in this process: standard output taken for a colour
    terminal of that size (the tests above run the command in a real pseudo-terminal, for how it finds one)."""
    monkeypatch.setattr(Screen, "of", classmethod(lambda cls, stream, wide=False: cls(columns, lines, True)))
    assert main(argv) == 0
    monkeypatch.undo()
    return capsys.readouterr().out


def visible(text: str) -> list[str]:
    """The lines as a person sees them: escape codes removed."""
    return ANSI.sub("", text).split("\n")


def piped(argv: list[str]) -> str:
    """What main(ARGV) writes to a pipe: standard output is no terminal."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


# --- the terminal -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_100_column_terminal_gets_a_table_that_fits_and_says_what_it_hid():
    out = in_terminal(["table", "alexnet"], columns=100)
    shown = visible(out)
    assert max(len(line) for line in shown) <= 100
    said = " ".join(" ".join(shown).split())
    hidden = said[said.index("Hidden to fit 100 columns: ") :]
    assert "% memory" in hidden.split(".")[0] and "--wide shows every column" in hidden
    assert "┃ layer" in "\n".join(shown) and "\x1b[1m" in out  # bold headers on a terminal


@pytest.mark.slow
def test_wide_and_a_pipe_show_every_column():
    headers = ("% params", "% MACs", "% memory", "in C", "FLOPs M", "type")
    wide = "\n".join(visible(in_terminal(["table", "alexnet", "--wide"], columns=100)))
    assert all(header in wide for header in headers) and "Hidden" not in wide
    out = piped(["table", "alexnet"])
    assert all(header in out for header in headers) and "\x1b[" not in out


@pytest.mark.slow
def test_no_color_keeps_the_fit_and_drops_the_escape_codes():
    out = in_terminal(["table", "alexnet"], columns=100, env={"NO_COLOR": "1"})
    assert "\x1b[" not in out and max(len(line) for line in out.split("\n")) <= 100


@pytest.mark.slow
def test_a_long_network_folds_to_a_screenful_and_says_how_to_see_every_layer():
    out = "\n".join(visible(in_terminal(["table", "resnet152"], columns=120, lines=40)))
    body = [line for line in out.split("\n") if line.startswith("│") and "total" not in line]
    p = cnncost.profile("resnet152")
    assert len(body) == len(table_rows(p, depth=1)) <= 40
    assert "--all-layers lists every layer" in out and "layer3  │ block of" in out
    assert len(piped(["table", "resnet152"]).split("\n")) > len(table_rows(p))  # a pipe gets every row


NUMBER = re.compile(r"^[<>≤~+-]?\d[\d,]*(\.\d+)?(x|%|\+\?)?$")


def box_cells(lines: list[str]) -> list[list[str]]:
    """The cells of every body row of the box tables in lines."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in lines
        if line.startswith("│") and line.rstrip().endswith("│")
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["formulas"],
        ["compare", "googlenet", "vgg16", "--until", "28x28"],
        ["reproduce", "alexnet"],
        ["reproduce", "networks"],
        ["conventions", "resnet18"],
        ["diff", "resnet18", "resnet34"],
        ["table", "alexnet", "--rf", "--memory", "--bars"],
        ["table", "resnet152", "--all-layers", "--rf", "--memory"],
    ],
    ids=lambda argv: " ".join(argv),
)
@pytest.mark.parametrize("columns", [80, 100])
def test_every_command_fits_the_terminal_and_cuts_no_number_or_name(argv, columns, capsys, monkeypatch):
    shown = visible(on_screen(argv, columns, capsys, monkeypatch))
    assert max(len(line) for line in shown) <= columns
    assert main(argv) == 0
    full = box_cells(capsys.readouterr().out.split("\n"))
    numbers = {cell for row in full for cell in row if NUMBER.match(cell)}
    names = {row[0] for row in full}
    for row in box_cells(shown):
        if row[0]:  # a row whose text wraps goes on in lines whose first cell is empty
            assert row[0] in names and all(cell in numbers for cell in row if NUMBER.match(cell)), row


def test_the_heaviest_cells_are_marked_and_zero_cells_dimmed():
    document = profile_document(cnncost.profile("alexnet"))
    grid = document.blocks[0]
    marked = {(grid.rows[r][0], grid.headers[c]) for r, c in grid.marked}
    assert marked == {("conv1", "memory KB"), ("fc6", "params k"), ("conv2", "MACs M")}
    out = render(document, "table", Screen(width=200, height=50, color=True))
    assert "\x1b[2m" in out  # the dim zero cells of the pooling rows


# --- files say what the screen says -------------------------------------------------------------------------------


def md_table(text: str) -> list[list[str]]:
    """The first pipe table of a Markdown text, as cells."""
    lines = [line for line in text.split("\n\n")[1].split("\n") if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_markdown_is_the_same_with_and_without_rf_apart_from_the_added_columns(capsys):
    assert main(["table", "alexnet", "--format", "md"]) == 0
    plain = md_table(capsys.readouterr().out)
    assert main(["table", "alexnet", "--format", "md", "--rf"]) == 0
    with_rf = md_table(capsys.readouterr().out)
    assert with_rf[0][len(plain[0]) :] == ["RF", "jump", "start"]
    assert [row[: len(plain[0])] for row in with_rf[2:]] == plain[2:]  # the rule row's widths may differ
    assert plain[-1][0] == with_rf[-1][0] == "**total**"


def test_csv_and_json_honour_depth_and_say_what_the_figures_are_of(tmp_path, capsys):
    path = tmp_path / "resnet18.csv"
    assert main(["table", "resnet18", "--depth", "1", "--batch", "4", "--dtype", "fp16", "-o", str(path)]) == 0
    frame = pd.read_csv(path, keep_default_na=False)
    p = cnncost.profile("resnet18", batch=4, dtype="fp16")
    assert list(frame["name"]) == [row.name for row in table_rows(p, fold=False, depth=1)]
    assert frame["params"].sum() == p.total.params and frame["macs"].sum() == p.total.macs
    assert frame.loc[frame["name"] == "layer1", "op"].item() == "block"
    assert set(frame["batch"]) == {4} and set(frame["dtype"]) == {"fp16"} and set(frame["input"]) == {"3x224x224"}
    assert main(["table", "resnet18", "--depth", "1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["depth"] == 1 and [row["name"] for row in data["rows"]] == list(frame["name"])
    assert len(data["layers"]) == len(p.layers) and data["convention"] == "cnncost"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["-o", "out.xlsx"], "cnncost does not write .xlsx files"),
        (["--format", "md", "-o", "out.csv"], "--format md contradicts the file name out.csv"),
        (["--format", "csv", "-o", "out.json"], "name it out.csv"),
    ],
)
def test_a_file_of_another_format_is_refused(tmp_path, capsys, monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    assert main(["table", "alexnet", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err
    assert list(tmp_path.iterdir()) == []


# --- numbers a person reads ---------------------------------------------------------------------------------------


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(min_value=0, max_value=3))
@pytest.mark.slow
def test_a_value_that_is_not_zero_never_prints_as_zero(value, decimals):
    text = units.fixed(value, decimals)
    assert (text == "0") == (value == 0)
    assert value == 0 or re.search("[1-9]", text)  # '<0.1' for a tiny value, never 0.0
    assert not re.fullmatch(r"-0(\.0*)?", text)


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**12))
def test_a_ratio_that_is_not_one_never_prints_as_one(before, after):
    text = units.ratio(Fraction(after, before))
    assert (text == "1") == (after == before)
    assert after == before or float(text) != 1


def test_ratios_show_a_small_change():
    # 28,666,028 / 28,589,128 = 1.00269: three digits would say 1, four say 1.003
    assert units.ratio(Fraction(28_666_028, 28_589_128)) == "1.003"
    assert units.ratio(Fraction(5, 2)) == "2.5" and units.ratio(Fraction(1, 3)) == "0.333"
    assert units.ratio(Fraction(10**9 + 1, 10**9)) == "1.000000001"


def test_decimals_are_one_rule_per_column():
    assert [units.kilobytes(n) for n in (802_816, 186_624, 4_000, 0)] == ["784.0", "182.3", "3.9", "0"]
    assert units.millions(640) == "<0.1" and units.thousands(276) == "0.3" and units.percent(0.0004) == "<0.1"
    grid = profile_document(cnncost.profile("alexnet")).blocks[0]
    for column, header in enumerate(grid.headers):  # every number of a quantity column has that column's decimals
        if header.split()[0] in ("memory", "params", "MACs", "FLOPs", "%"):
            cells = [row[column].lstrip("<≤") for row in (*grid.rows, grid.footer)]
            assert all(cell == "0" or re.fullmatch(r"[\d,]+\.\d", cell) for cell in cells), (header, cells)


@pytest.mark.parametrize("name", ["alexnet", "se_resnet50", "mobilenet_v3_large", "squeezenet1_0"])
def test_a_cell_shows_0_exactly_when_its_quantity_is_0(name):
    p = cnncost.profile(name)
    grid = profile_document(p).blocks[0]
    rows = table_rows(p)
    for header, quantity in (
        ("memory KB", "activation_bytes"),
        ("params k", "params"),
        ("MACs M", "macs"),
        ("FLOPs M", "flops"),
    ):
        column = grid.headers.index(header)
        for row, cells in zip(rows, grid.rows, strict=True):
            assert (cells[column].rstrip("+?") == "0") == (row.total(quantity) == 0), (name, row.name, header)


def test_the_summary_states_a_small_count_once():
    graph = cnncost.Graph.build("tiny", [cnncost.layer("linear", "fc", out_features=12)], input=(22,))
    facts = dict(profile_document(cnncost.profile(graph)).blocks[1].items)
    assert facts["Total params"] == "276"  # 22 x 12 + 12


# --- notebooks and HTML -------------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The tags, table rows and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parsed(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def test_a_profile_shows_itself_in_a_notebook():
    p = cnncost.profile("alexnet")
    page = parsed(p._repr_html_())
    assert page.rows[0][:3] == ["layer", "type", "in C"] and page.rows[-1][0] == "total"
    assert len(page.rows) == 1 + len(table_rows(p)) + 1 + 0 and "<script" not in p._repr_html_()
    text = "".join(page.text)
    assert "61,100,840" in text and "KB = 1024 bytes" in text
    assert repr(p) == "Profile('alexnet', 3x227x227, batch 1, fp32: 22 layers, 61,100,840 params, 716,767,232 MACs)"


def test_the_activation_headline_counts_each_storage_once():
    """AlexNet's outputs add up to 2,432,160 bytes; flatten is a view of pool5's storage (256·6·6·4 = 36,864 bytes)
    and the dropouts write in place: the storages hold 2,432,160 - 36,864 = 2,395,296 bytes (2.28 MB)."""
    from cnncost.analysis.storage import activation_storage_bytes
    from cnncost.report.columns import summary_lines

    p = cnncost.profile("alexnet")
    assert p.total.activation_bytes == 2_432_160 and activation_storage_bytes(p) == 2_395_296
    lines = dict(summary_lines(p))
    assert lines["Activation size (each storage once)"] == "2.28 MB"
    assert lines["Sum of layer outputs (views too)"] == "2.32 MB"
    # input 618,348 + storages 2,395,296 + params 244,403,360 bytes = 247,416,004 bytes = 235.96 MB
    assert lines["Estimated total size"] == "235.96 MB"
    plain = cnncost.Graph.build("plain", [cnncost.layer("conv2d", "conv", out_channels=4, kernel_size=3)], (3, 8, 8))
    assert "Sum of layer outputs (views too)" not in dict(summary_lines(cnncost.propagate(plain)))  # no view
    total = p.to_dict()["total"]  # the exports carry the same figures as the table
    assert total["activation_storage_bytes"] == 2_395_296 and total["estimated_total_bytes"] == 247_417_004


def test_a_long_profile_folds_in_a_notebook_as_on_a_screen():
    """ResNet-152's 515 layers: folded to the deepest depth whose rows fit 60 lines, said so, and no header that
    looks clickable (a notebook runs no script, so nothing would sort)."""
    from cnncost.report.profile_table import screen_depth

    p = cnncost.profile("resnet152")
    html = p._repr_html_()
    depth = screen_depth(p, fold=True, lines=60)
    assert depth is not None and len(parsed(html).rows) == 1 + len(table_rows(p, depth=depth)) + 1
    assert f"Folded to depth {depth} to fit a screen" in html and "profile.to_html(path)" in html
    assert "cursor" not in html and "aria-sort" not in html and len(html) < 60 * 1024


def test_a_shape_behaves_as_a_tuple():
    shape = cnncost.profile("resnet18").input_shape
    assert tuple(shape) == (3, 224, 224) and shape == (3, 224, 224) and shape[0] == 3 and len(shape) == 3
    assert str(shape) == "3x224x224" and {shape: 1}[(3, 224, 224)] == 1 and shape != Shape((3, 224))


def test_html_report_is_one_self_contained_sortable_page(tmp_path, capsys):
    path = tmp_path / "report.html"
    assert main(["table", "resnet18", "-o", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    page = parsed(text)
    tags = [tag for tag, _ in page.tags]
    assert tags.count("table") == 1 and "script" in tags and "svg" in tags
    assert not any(attrs.get("src") or attrs.get("href") for _, attrs in page.tags)  # nothing fetched
    assert "sortBy" in text and dict(page.tags[tags.index("table")][1])["class"] == "sortable"
    p = cnncost.profile("resnet18")
    assert len([rect for tag, rect in page.tags if tag == "rect" and "y" in rect]) >= 3 * len(table_rows(p))
    assert "11,689,512" in "".join(page.text)


@pytest.mark.slow
def test_files_get_every_row_even_from_a_terminal(tmp_path):
    out = in_terminal(["table", "resnet152", "--format", "md"], columns=100, lines=40)
    assert out.count("\n| ") == 1 + len(table_rows(cnncost.profile("resnet152"))) + 1  # header, rows, total


def test_json_rows_are_the_layers_of_profile_dict_and_blocks_summed(capsys):
    assert main(["table", "resnet18", "--depth", "1", "--rf", "--memory", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {row["name"]: row for row in data["rows"]}
    assert by_name["conv1"]["input_shapes"] == [[3, 224, 224]] and by_name["conv1"]["rf_h"] == 7
    layer1 = by_name["layer1"]
    inside = [layer for layer in data["layers"] if layer["name"].startswith("layer1.")]
    assert layer1["op"] == "block" and layer1["layers"] == len(inside)
    assert layer1["macs"] == sum(layer["macs"] for layer in inside) and layer1["output_shape"] == [64, 56, 56]
    assert layer1["kept_bytes"] == sum(layer["kept_bytes"] for layer in inside)


@pytest.mark.parametrize(
    "argv", [["check", "resnet18", "--max-params", "20M"], ["compare", "resnet18", "resnet34"], ["list", "vgg1*"]]
)
def test_other_commands_write_html_pages(tmp_path, argv):
    path = tmp_path / "out.html"
    assert main([*argv, "-o", str(path)]) == 0
    page = parsed(path.read_text(encoding="utf-8"))
    assert "table" in [tag for tag, _ in page.tags] and len(page.rows) >= 2


@pytest.mark.parametrize("name, expected", [(".csv", "csv"), ("table", "table")])
def test_a_file_name_without_a_stem_or_suffix(tmp_path, name, expected):
    path = tmp_path / name
    assert main(["table", "alexnet", "-o", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("name,op,") if expected == "csv" else "┏" in text


def test_a_folder_is_not_a_file_name(tmp_path, capsys):
    assert main(["table", "alexnet", "-o", f"{tmp_path}/"]) == 2
    assert "is a folder" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_benchmark_scripts_import(monkeypatch):
    pytest.importorskip("torch", reason="the benchmark scripts time with torch")
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
    for script in ("bench_scaling", "bench_views"):
        assert callable(importlib.import_module(script).main)


def test_the_terminal_states_the_conventions_in_a_line_and_markdown_in_full(capsys):
    from cnncost.cli import main
    from cnncost.counting import COUNTING_BRIEF, COUNTING_RULES

    assert main(["table", "alexnet"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert COUNTING_BRIEF in out and COUNTING_RULES not in out and "KB = 1024 bytes" in out
    assert main(["table", "alexnet", "--format", "md"]) == 0
    assert COUNTING_RULES in " ".join(capsys.readouterr().out.split())


def test_a_byte_column_moves_to_the_unit_that_fits():
    """KB while the largest value has at most 6 whole digits in KB, then MB, then GB (1024 each)."""
    from cnncost import units
    from cnncost.cli import main

    assert units.byte_unit(999_999 * 1024) == ("KB", 1024)
    assert units.byte_unit(1_000_000 * 1024) == ("MB", 1024**2)
    assert units.byte_unit(10**6 * 1024**2) == ("GB", 1024**3)
    # ResNet-50 at batch 256: conv1's output is 256·64·112·112·4 bytes = 784 MB, the total over a million KB
    document = profile_document(cnncost.profile("resnet50", batch=256))
    table = document.blocks[0]
    column = table.headers.index("memory MB")
    assert table.rows[0][column] == "784.0" and "memory KB" not in table.headers
    assert "memory KB" in profile_document(cnncost.profile("alexnet")).blocks[0].headers
    assert main(["table", "resnet50", "--batch", "8", "--memory", "--format", "md"]) == 0
