"""cnncost's analytic engine beside torchinfo, fvcore, ptflops, thop and FlopCounterMode, in one process.

For each network, every tool profiles it once per round, in turn (cnncost, which takes milliseconds, 15 times, for
their median), for --rounds rounds; the figures are medians over the rounds and each ratio is the median of
(peer's time / cnncost's time) within a round. The peers take the nn.Module that cnncost.torch.network.build_module
makes from cnncost's own graph (torchvision is not needed: the built-in graphs match torchvision's layer for layer),
on the CPU, batch 1, fp32, as a user would call them.

Prints, in Markdown: the time per profile and its ratio to cnncost's; the multiply-add totals each tool reports;
what each tool counts for a network of one layer of each type.

    pip install -e '.[bench]'
    python benchmarks/bench_peers.py [--rounds 15] [--models alexnet vgg16 googlenet resnet50 resnet152]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import torch
from _common import log, machine, markdown, median_seconds, ms, ratio, rounds, seconds

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the peers are called as the tests call them
import cnncost
from cnncost import Graph, layer
from cnncost.torch.network import build_module
from tests.peers import PEERS, flop_counter_count, quiet, versions

MODELS = ("alexnet", "vgg16", "googlenet", "resnet50", "resnet152")
CNNCOST = "cnncost profile(name)"
PROPAGATE = "cnncost propagate(graph)"
TRACED = "cnncost profile(nn.Module)"
META = "FlopCounterMode (meta)"
FORWARD = "forward pass alone, no profiler"


def torch_module(graph: Graph, device: str = "cpu"):
    """The graph as an nn.Module in eval mode, and a random input batch of one on the same device."""
    result = cnncost.propagate(graph)
    module = build_module(graph, result, device)
    return module, torch.randn(1, *result.input_shape.dims, device=device)


def compare(name: str, n_rounds: int) -> tuple[dict[str, list[float]], dict[str, tuple[int, int]]]:
    """Times of every tool on one network, by round; and what each reports (MACs, params)."""
    graph = cnncost.create(name)
    module, x = torch_module(graph)
    meta_module, meta_x = torch_module(graph, "meta")
    shape = graph.default_input.dims
    ours = cnncost.profile(name)
    counts = {CNNCOST: (ours.total.macs, ours.total.params)}
    candidates = {
        CNNCOST: lambda: median_seconds(lambda: cnncost.profile(name), 15),
        PROPAGATE: lambda: median_seconds(lambda: cnncost.propagate(graph), 15),
        TRACED: lambda: median_seconds(lambda: cnncost.profile(module, input=shape), 3),
    }
    for peer, count in PEERS.items():
        counts[peer] = count(module, x)  # a first call outside the timing: imports, caches
        candidates[peer] = lambda count=count: seconds(lambda: count(module, x))
    counts[META] = flop_counter_count(meta_module, meta_x)
    candidates[META] = lambda: seconds(lambda: flop_counter_count(meta_module, meta_x))
    candidates[FORWARD] = lambda: seconds(lambda: forward(module, x))
    traced = cnncost.profile(module, input=shape)
    counts[TRACED] = (traced.total.macs, traced.total.params)
    return rounds(candidates, n_rounds, lambda line: log(f"{name} {line}")), counts


def forward(module, x) -> None:
    with torch.no_grad():
        module(x)


def time_cell(times: dict[str, list[float]], tool: str) -> str:
    value = statistics.median(times[tool])
    text = f"{ms(value)} ms" if value < 1 else f"{value:.3g} s"
    return text if tool == CNNCOST else f"{text} ({times_x(ratio(times, tool, CNNCOST))})"


def times_x(value: float) -> str:
    return f"{value:,.0f}x" if value >= 10 else f"{value:.2g}x"


def delta(value: int, reference: int) -> str:
    if value == reference:
        return f"{value:,}"
    return f"{value:,} ({(value - reference) / reference:+.2%})"


PROBES = (  # (what, layers, input): a network of one layer
    ("conv2d 3x3, 16 -> 16, bias", [layer("conv2d", "conv", out_channels=16, kernel_size=3, padding=1)], (16, 16, 16)),
    (
        "conv2d 3x3, 16 -> 16, no bias",
        [layer("conv2d", "conv", out_channels=16, kernel_size=3, padding=1, bias=False)],
        (16, 16, 16),
    ),
    ("linear 256 -> 10, bias", [layer("linear", "fc", out_features=10)], (256,)),
    ("batch_norm2d", [layer("batch_norm2d", "bn")], (16, 16, 16)),
    ("relu", [layer("relu", "relu")], (16, 16, 16)),
    ("max_pool2d 2x2", [layer("max_pool2d", "pool", kernel_size=2)], (16, 16, 16)),
    ("avg_pool2d 2x2", [layer("avg_pool2d", "pool", kernel_size=2)], (16, 16, 16)),
    ("adaptive_avg_pool2d to 1x1", [layer("adaptive_avg_pool2d", "pool", output_size=1)], (16, 16, 16)),
    ("global_avg_pool2d (x.mean)", [layer("global_avg_pool2d", "pool")], (16, 16, 16)),
    ("add (x + x)", [layer("add", "sum", "input", "input")], (16, 16, 16)),
    ("concat (x, x)", [layer("concat", "cat", "input", "input")], (16, 16, 16)),
)


def probe_rows() -> list[list[str]]:
    """For one layer of each type on a 16x16x16 input (4,096 elements): cnncost's MACs and FLOPs, each peer's count."""
    rows = []
    for what, layers, shape in PROBES:
        graph = Graph.build("probe", layers, input=shape)
        result = cnncost.propagate(graph)
        module, x = torch_module(graph)
        rows.append(
            [
                what,
                f"{result.total.macs:,}",
                f"{result.total.flops:,}",
                *(f"{count(module, x)[0]:,}" for count in PEERS.values()),
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args()
    quiet()
    print(f"{machine()}\n\n{versions()}; {args.rounds} rounds, CPU, batch 1, fp32\n")
    times, counts = {}, {}
    for name in args.models:
        times[name], counts[name] = compare(name, args.rounds)
    tools = [CNNCOST, PROPAGATE, TRACED, *PEERS, META, FORWARD]
    print("### Time per profile (median over rounds; in brackets, how many times cnncost profile(name)'s time)\n")
    print(
        markdown(["tool", *args.models], [[tool, *(time_cell(times[m], tool) for m in args.models)] for tool in tools])
    )
    print("\nHow many times faster than torchinfo's summary (median of the ratios within a round):\n")
    print(
        markdown(
            ["cnncost", *args.models],
            [
                [tool, *(times_x(ratio(times[m], "torchinfo", tool)) for m in args.models)]
                for tool in (CNNCOST, PROPAGATE, TRACED)
            ],
        )
    )
    print("\n### Multiply-adds each tool reports (in brackets, the difference from cnncost)\n")
    macs_tools = [CNNCOST, TRACED, *PEERS, META]
    rows = [[tool, *(delta(counts[m][tool][0], counts[m][CNNCOST][0]) for m in args.models)] for tool in macs_tools]
    print(markdown(["tool", *args.models], rows))
    print("\n### Parameters each tool reports\n")
    rows = [
        [tool, *(delta(counts[m][tool][1], counts[m][CNNCOST][1]) for m in args.models)]
        for tool in [CNNCOST, TRACED, *PEERS]
    ]
    print(markdown(["tool", *args.models], rows))
    print("\n### What each tool counts: a network of one layer, input 16x16x16 (4,096 elements) or 256 features\n")
    print(markdown(["layer", "cnncost MACs", "cnncost FLOPs", *PEERS], probe_rows()))


if __name__ == "__main__":
    main()
