"""cnncost explain NAME VALUE: the convention behind a printed figure, found by the search the reproduction reports
use, with its arithmetic, among the other tools' complete totals and the network's built-in variants; a figure nothing
reproduces gets 'no convention' and the nearest count."""

from __future__ import annotations

import pytest

from cnncost.cli import main


@pytest.mark.parametrize(
    "argv, lines",
    [
        # ResNet-50: 4,089,184,256 MACs; "4.1G" stands for [4.05 G, 4.15 G)
        (
            ["resnet50", "4.1G"],
            [
                "printed 4.1 G ([4.05 G, 4.15 G)); cnncost counts 4,089,184,256",
                "verdict: rounding: 4,089,184,256 is in [4.05 G, 4.15 G)",
            ],
        ),
        # 2 x 4,089,184,256 = 8,178,368,512: FLOPs printed as if they were MACs
        (["resnet50", "8.2G"], ["verdict: convention: 1 MAC counted as 2 FLOPs: 8,178,368,512 is in [8.15 G, 8.25 G)"]),
        # 25,557,032 params less the FC layer's 2048·1000 + 1000 = 2,049,000: 23,508,032
        (
            ["resnet50", "23.5M", "--params"],
            ["verdict: convention: the FC layers left out: 23,508,032 is in [23.45 M, 23.55 M)"],
        ),
        (["alexnet", "61,100,840", "--params"], ["verdict: exact, cnncost's own count"]),
        # ResNet-50 as thop counts it: 4,133,742,592 (batch norm at 4 per element, the adaptive pool's window + 1)
        (
            ["resnet50", "4.134G"],
            ["verdict: convention: as thop 0.1.1 counts it (MACs): 4,133,742,592 is in [4.1335 G, 4.1345 G)"],
        ),
        # AlexNet at 3x224x224 (torchvision's size) has 714,188,480 MACs; at its own 3x227x227, 716,767,232
        (
            ["alexnet", "714M"],
            [
                "cnncost counts 716,767,232 at 3x227x227",
                "verdict: rounding at input 3x224x224 (not 3x227x227): 714,188,480 is in [713.5 M, 714.5 M)",
            ],
        ),
        # ResNet v1 (resnet50-paper, the stride in the first 1x1 conv) has 3,857,973,248 MACs; v1.5 4,089,184,256
        (
            ["resnet50", "3.86G"],
            [
                "verdict: rounding as resnet50-paper counts it (He et al. 2015, 'Deep residual learning', table 1 "
                "(stride in the first 1x1 conv)): 3,857,973,248 is in [3.855 G, 3.865 G)"
            ],
        ),
        # 3,857,973,248 = 3.858 G rounds to 3.9: the paper's "3.8" truncates it
        (
            ["resnet50", "3.8G"],
            [
                "verdict: no convention: 4,089,184,256 is outside [3.75 G, 3.85 G)",
                "also: resnet50-paper (He et al. 2015, 'Deep residual learning', table 1 (stride in the first 1x1 "
                "conv)) counts 3,857,973,248: Most likely truncated, not rounded",
            ],
        ),
        # GoogLeNet as the paper draws it: 1,582,671,872 MACs (torchvision's 1,498,376,192)
        (["googlenet", "1.58G"], ["verdict: rounding as googlenet-paper counts it"]),
        # nothing near 5 G: the nearest count is cnncost's plus the pooling FLOPs, 4,091,090,944, 18.2% under
        (
            ["resnet50", "5G"],
            [
                "verdict: no convention: 4,089,184,256 is outside [4.5 G, 5.5 G)",
                "nearest: pooling FLOPs added to the multiply-adds, 4,091,090,944, -18.2% from the printed value",
            ],
        ),
    ],
)
def test_explain_names_the_convention_and_its_arithmetic(capsys, argv, lines):
    assert main(["explain", *argv]) == 0
    out = capsys.readouterr().out
    for line in lines:
        assert line in out


def test_a_flops_figure_is_matched_against_the_tools_that_count_flops(capsys):
    # FlopCounterMode: 2 x 4,089,184,256 = 8,178,368,512 FLOPs; 4.1G of FLOPs is no multiply-add tool's figure
    assert main(["explain", "resnet50", "8.18G", "--flops"]) == 0
    assert "as torch.utils.flop_counter.FlopCounterMode counts it (FLOPs): 8,178,368,512" in capsys.readouterr().out
    assert main(["explain", "resnet50", "4.1G", "--flops"]) == 0
    assert "torchinfo" not in capsys.readouterr().out
    assert main(["explain", "resnet50", "0"]) == 2
    assert "a figure of 0" in capsys.readouterr().err


def test_a_figure_without_a_unit_it_knows_is_refused(capsys):
    assert main(["explain", "resnet50", "4.1Q"]) == 2
    assert "malformed figure '4.1Q': digits and a unit (k, M, G, KB, MB)" in capsys.readouterr().err


@pytest.mark.torch
def test_a_tools_total_is_named_only_where_its_rule_counts_every_layer(capsys):
    pytest.importorskip("torch")
    module = "tests/fixtures/peer_patterns.py:Residual"  # x + fc(x) on 4 tokens of 16
    # 4·16·16 = 1,024 products and 4·16 = 64 bias additions: ptflops' aten backend counts 1,088 on every layer; its
    # pytorch backend counts 1,088 too, and x.add(y) where this is x + y, which a recording cannot tell apart
    assert main(["explain", module, "1,088", "--input", "4x16"]) == 0
    out = capsys.readouterr().out
    assert "verdict: convention: as ptflops 0.7.5 (aten backend) counts it (MACs): 1,088" in out
    assert "pytorch backend) counts it" not in out
    assert main(["explain", module, "1,100", "--input", "4x16"]) == 0
    assert (
        "also: ptflops 0.7.5 (pytorch backend) counts at least 1,088 (MACs) and 1 layer(s) more that cnncost cannot "
        "count as it does" in capsys.readouterr().out
    )
    # torchinfo: the linear's 16·16 + 16 = 272 weights and biases × the output's first dim, 1 (not per token)
    assert main(["explain", module, "272", "--input", "4x16"]) == 0
    assert "as torchinfo 1.8 counts it (mult-adds): 272" in capsys.readouterr().out
