"""cnncost diff: two profiles layer by layer (matched by name), and their totals; an exported JSON profile compares
as the network it was exported from."""

from __future__ import annotations

import json

import pytest

import cnncost
from cnncost.cli import main
from cnncost.diff import diff_profiles

SPEC = """name = "net"
input = [3, 8, 8]

[[layers]]
name = "conv"
type = "conv2d"
out_channels = {width}
kernel_size = 3
padding = 1

[[layers]]
name = "relu"
type = "relu"

[[layers]]
name = "head"
type = "conv2d"
out_channels = 2
kernel_size = 1
"""


def test_resnet50_to_resnet101_adds_the_blocks_of_stage_3():
    before, after = cnncost.profile("resnet50"), cnncost.profile("resnet101")
    result = diff_profiles(before, after)
    assert result.totals["params"] == (before.total.params, after.total.params) == (25_557_032, 44_549_160)
    assert result.totals["macs"] == (before.total.macs, after.total.macs)
    added = [change.name for change in result.layers if change.status == "added"]
    assert len(added) == len(result.layers) == len(after.layers) - len(before.layers)  # 170: 17 blocks of 10
    assert result.groups("added") == [f"layer3.{i}" for i in range(6, 23)]
    assert sum(change.figures("params")[1] for change in result.layers) == 44_549_160 - 25_557_032


def test_a_widened_conv_lists_it_and_the_layers_whose_input_grew(tmp_path):
    (tmp_path / "a.toml").write_text(SPEC.format(width=4))
    (tmp_path / "b.toml").write_text(SPEC.format(width=8))
    result = diff_profiles(cnncost.profile(str(tmp_path / "a.toml")), cnncost.profile(str(tmp_path / "b.toml")))
    # conv: 4·3·9 + 4 = 112 -> 8·3·9 + 8 = 224 params; relu: output 4x8x8 -> 8x8x8;
    # head: 2·4 + 2 = 10 -> 2·8 + 2 = 18
    assert [(c.name, c.status, c.figures("params")) for c in result.layers] == [
        ("conv", "changed", (112, 224)),
        ("relu", "changed", (0, 0)),
        ("head", "changed", (10, 18)),
    ]
    assert result.layers[1].figures("activation_bytes") == (4 * 64 * 4, 8 * 64 * 4)
    assert [c.name for c in result.grown("params")] == ["conv", "head"]


def test_a_small_growth_shows_in_the_ratio(tmp_path, capsys):
    (tmp_path / "a.toml").write_text(SPEC.format(width=400))
    (tmp_path / "b.toml").write_text(SPEC.format(width=401))
    # params 30·w + 2: 12,002 -> 12,032, 1.0025x (three digits would print 1x)
    assert main(["diff", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"), "--format", "md"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| params")]
    assert rows and "12,002" in rows[0] and "12,032" in rows[0] and "1.002x" in rows[0]


def test_an_exported_profile_diffs_as_its_network(tmp_path, capsys):
    for name in ("resnet18", "resnet34"):
        assert main(["table", name, "--format", "json", "-o", str(tmp_path / f"{name}.json")]) == 0
    assert main(["diff", "resnet18", "resnet34", "--format", "json"]) == 0
    live = json.loads(capsys.readouterr().out)
    assert main(["diff", str(tmp_path / "resnet18.json"), str(tmp_path / "resnet34.json"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == live
    total = live[-1]
    assert total["layer"] == "total" and (total["params_before"], total["params_after"]) == (11_689_512, 21_797_672)


@pytest.mark.parametrize("fmt", ["table", "md", "csv"])
def test_every_format_names_both_sides(fmt, capsys):
    assert main(["diff", "resnet18", "resnet34", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "layer2.2" in out and ("resnet34" in out or fmt == "csv")


def test_the_same_network_has_no_layer_that_differs(capsys):
    assert main(["diff", "alexnet", "alexnet"]) == 0
    assert "No layer differs" in capsys.readouterr().out
    with pytest.raises(cnncost.CnnCostError, match="not a profile"):
        diff_profiles({"name": "x"}, cnncost.profile("alexnet"))


def test_renamed_layers_are_shown_and_a_baseline_is_not_a_profile(tmp_path, capsys):
    (tmp_path / "a.toml").write_text(SPEC.format(width=4))
    (tmp_path / "b.toml").write_text(SPEC.format(width=4).replace('name = "relu"', 'name = "act"'))
    result = diff_profiles(cnncost.profile(str(tmp_path / "a.toml")), cnncost.profile(str(tmp_path / "b.toml")))
    assert [(c.name, c.status, c.before["name"]) for c in result.layers] == [("act", "renamed", "relu")]
    (tmp_path / "baseline.json").write_text(json.dumps({"models": {"x": {}}}))
    assert main(["diff", str(tmp_path / "baseline.json"), "alexnet"]) == 2
    assert "is a baseline of 1 model(s) (x); diff takes one profile" in capsys.readouterr().err
