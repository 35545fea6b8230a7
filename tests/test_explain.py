"""cnncost explain NAME VALUE: the convention behind a printed figure, found by the search the reproduction reports
use, with its arithmetic; a figure nothing reproduces gets 'no convention' and the nearest count."""

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
