"""How profile time grows with the number of layers: generated chains and branching graphs of 10 to 10,000 layers.

chain:     conv 3x3 / relu, alternating, 16x8x8 throughout.
branching: blocks of five layers reading an earlier layer, not just the one before: a 3x3 conv and a 1x1 conv of the
           block's input, their add, the concat of the add with the block's input, and a 1x1 conv back to 16 channels.

For each size: Graph.build (resolving inputs and validating), propagate (the engine), and the terminal table
(render of the profile document, piped); medians of several runs, and the time per layer, which stays flat when
the cost grows linearly. Then the analyses on chains of up to 100,000 layers: --memory (inference and training
memory), --rf (receptive fields) and --training (the training step).

    python benchmarks/bench_scaling.py [--sizes 10 100 1000 10000] [--analysis-sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse

from _common import log, machine, markdown, median_seconds, ms

import cnncost
from cnncost import Graph, layer
from cnncost.analysis.memory import inference_memory, training_memory
from cnncost.analysis.receptive import receptive_fields
from cnncost.analysis.training import training_step
from cnncost.report.profile_table import profile_document
from cnncost.report.render import render

INPUT = (16, 8, 8)


def chain(n: int) -> list:
    return [
        layer("conv2d", f"conv{i}", out_channels=16, kernel_size=3, padding=1)
        if i % 2 == 0
        else layer("relu", f"relu{i}")
        for i in range(n)
    ]


def branching(n: int) -> list:
    nodes, source = [], "input"
    for b in range(n // 5):
        nodes += [
            layer("conv2d", f"b{b}.a", source, out_channels=16, kernel_size=3, padding=1),
            layer("conv2d", f"b{b}.b", source, out_channels=16, kernel_size=1),
            layer("add", f"b{b}.add", f"b{b}.a", f"b{b}.b"),
            layer("concat", f"b{b}.cat", f"b{b}.add", source),
            layer("conv2d", f"b{b}.out", out_channels=16, kernel_size=1),
        ]
        source = f"b{b}.out"
    return nodes


def repeats(n: int) -> int:
    return max(5, 20_000 // n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 100, 1000, 10_000])
    parser.add_argument("--analysis-sizes", nargs="+", type=int, default=[1000, 10_000, 100_000])
    args = parser.parse_args()
    print(f"{machine(with_torch=False)}\n")
    rows = []
    for kind, make in (("chain", chain), ("branching", branching)):
        for n in args.sizes:
            nodes = make(n)
            graph = Graph.build(kind, nodes, input=INPUT)
            result = cnncost.propagate(graph)
            assert len(result.layers) == n
            k = repeats(n)
            build = median_seconds(lambda: Graph.build(kind, nodes, input=INPUT), k)
            propagate = median_seconds(lambda: cnncost.propagate(graph), k)
            table = median_seconds(lambda: render(profile_document(result), "table"), max(3, k // 4))
            profile = build + propagate
            log(f"{kind} {n}: build {build:.3g} s, propagate {propagate:.3g} s, table {table:.3g} s")
            rows.append(
                [
                    kind,
                    f"{n:,}",
                    ms(build),
                    ms(propagate),
                    ms(profile),
                    f"{profile / n * 1e6:.1f}",
                    ms(table),
                    f"{table / n * 1e6:.1f}",
                ]
            )
    print(
        markdown(
            [
                "graph",
                "layers",
                "build ms",
                "propagate ms",
                "profile ms (build + propagate)",
                "profile us per layer",
                "table ms",
                "table us per layer",
            ],
            rows,
        )
    )
    print()
    analyses(args.analysis_sizes)


def analyses(sizes: list[int]) -> None:
    """--memory, --rf and --training on chains: each in time linear in the layers (the time per layer flat)."""
    rows = []
    for n in sizes:
        graph = Graph.build("chain", chain(n), input=INPUT)
        result = cnncost.propagate(graph)
        k = max(3, 20_000 // n)
        times = {
            "memory": median_seconds(lambda: (inference_memory(graph, result), training_memory(graph, result)), k),
            "rf": median_seconds(lambda: receptive_fields(graph, result), k),
            "training": median_seconds(lambda: training_step(result), k),
        }
        log(f"chain {n}: " + ", ".join(f"{name} {t:.3g} s" for name, t in times.items()))
        rows.append([f"{n:,}", *(f"{ms(t)} ({t / n * 1e6:.1f})" for t in times.values())])
    print(markdown(["chain layers", "--memory ms (us/layer)", "--rf ms (us/layer)", "--training ms (us/layer)"], rows))


if __name__ == "__main__":
    main()
