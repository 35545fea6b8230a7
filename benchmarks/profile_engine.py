"""Where a profile's time goes: pyinstrument over many cnncost.profile(NAME) calls, and the same time split by hand.

pip install -e '.[bench]'
python benchmarks/profile_engine.py [--model resnet152] [--calls 300]
"""

from __future__ import annotations

import argparse

from _common import machine, markdown, median_seconds, ms

import cnncost
from cnncost.graph import INPUT
from cnncost.layers import layer_type
from cnncost.results import LayerCost, Totals


def split(name: str, repeat: int = 50) -> list[list[str]]:
    """Medians of: building the graph, the formulas alone, the per-layer records alone, the totals; and the whole."""
    graph = cnncost.create(name)
    result = cnncost.propagate(graph)
    env = {INPUT: result.input_shape, **{cost.name: cost.output_shape for cost in result.layers}}
    calls = [(layer_type(node.op).formula, tuple(env[s] for s in node.inputs), node.attributes) for node in graph.nodes]
    layers = list(result.layers)

    def formulas():
        for formula, inputs, attributes in calls:
            formula(*inputs, **attributes)

    def records():
        for c in layers:
            LayerCost(
                name=c.name,
                op=c.op,
                inputs=c.inputs,
                attrs=c.attrs,
                input_shapes=c.input_shapes,
                output_shape=c.output_shape,
                params=c.params,
                buffers=c.buffers,
                macs=c.macs,
                flops=c.flops,
                activation_bytes=c.activation_bytes,
                in_place=c.in_place,
                counted=c.counted,
            )

    parts = {
        "create(name): the zoo's nodes, Graph.build, validate": lambda: cnncost.create(name),
        "the formulas alone (one call per layer)": formulas,
        "the LayerCost records alone (one per layer)": records,
        "the totals": lambda: Totals.of(layers, 0),
        "propagate(graph), all of it": lambda: cnncost.propagate(graph),
        "profile(name), all of it": lambda: cnncost.profile(name),
    }
    return [[part, ms(median_seconds(function, repeat))] for part, function in parts.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet152")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    from pyinstrument import Profiler

    print(f"{machine(with_torch=False)}; {args.model}: {len(cnncost.create(args.model).nodes)} layers\n")
    print(markdown(["part", "median ms"], split(args.model)))
    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(args.calls):
            cnncost.profile(args.model)
    print(f"\npyinstrument, {args.calls} calls of cnncost.profile({args.model!r}):\n")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
