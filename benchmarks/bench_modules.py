"""A user's own nn.Module: cnncost.profile(module) beside torchinfo's summary of the same module, and beside what
torch.fx's symbolic_trace costs alone and with the shape pass it needs (ShapeProp on a meta copy, cnncost's way
before it recorded), in one process.

The modules are torchvision's where torchvision is installed (an environment of its own: see scripts/README.md),
else the nn.Modules cnncost.torch.network.build_module makes from the built-in graphs. In each round every tool runs
once, in turn; the figures are medians over the rounds, each ratio the median of the ratios within a round.

    python benchmarks/bench_modules.py [--rounds 15] [--models resnet152 vgg16 resnet50 vit_b_16]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import warnings

import torch
import torch.fx
import torchinfo
from _common import log, machine, markdown, ratio, rounds, seconds

import cnncost
from cnncost.torch.network import build_module

SIZES = {"inception_v3": (3, 299, 299)}


def module_of(name: str) -> tuple[torch.nn.Module, str]:
    try:
        import torchvision

        return torchvision.models.get_model(name).eval(), "torchvision"
    except ImportError:
        graph = cnncost.create(name)
        return build_module(graph, cnncost.propagate(graph), "cpu"), "build_module"


def fx_shapes(module: torch.nn.Module, shape) -> None:
    """What cnncost did before it recorded: symbolic_trace, then ShapeProp on a copy of the module on the meta
    device (torch's meta kernels give every node's shape)."""
    from torch.fx.passes.shape_prop import ShapeProp

    traced = torch.fx.symbolic_trace(copy.deepcopy(module).to("meta"))
    ShapeProp(traced).propagate(torch.empty(1, *shape, device="meta"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--models", nargs="+", default=["resnet152", "vgg16"])
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows, kinds = [], set()
    for name in args.models:
        module, kind = module_of(name)
        kinds.add(kind)
        shape = SIZES.get(name, (3, 224, 224))
        candidates = {
            "cnncost": lambda: seconds(lambda: cnncost.profile(module, input=shape)),
            "torchinfo": lambda: seconds(lambda: torchinfo.summary(module, input_size=(1, *shape), verbose=0)),
        }
        try:
            torch.fx.symbolic_trace(module)
            candidates["fx"] = lambda: seconds(lambda: torch.fx.symbolic_trace(module))
            candidates["fx+ShapeProp"] = lambda: seconds(lambda: fx_shapes(module, shape))
        except Exception:  # noqa: BLE001  a module fx cannot trace
            pass
        for run in candidates.values():
            run()  # once before the rounds: imports, caches
        times = rounds(candidates, args.rounds, lambda line: log(f"{name} {line}"))
        median = {tool: statistics.median(values) for tool, values in times.items()}
        rows.append(
            [
                f"`{name}`",
                f"{median['cnncost'] * 1e3:.1f}",
                f"{median['torchinfo'] * 1e3:.1f}",
                f"{ratio(times, 'torchinfo', 'cnncost'):.2f}x",
                *(
                    (f"{median['fx'] * 1e3:.1f}", f"{median['fx+ShapeProp'] * 1e3:.1f}")
                    if "fx" in median
                    else ("cannot trace", "cannot trace")
                ),
            ]
        )
    print(
        f"{machine()}; torchinfo {torchinfo.__version__}; modules from {', '.join(sorted(kinds))}; "
        f"{args.rounds} rounds, CPU, batch 1\n"
    )
    print(
        markdown(
            [
                "model",
                "cnncost.profile(module) ms",
                "torchinfo.summary ms",
                "torchinfo / cnncost",
                "fx symbolic_trace alone ms",
                "fx + ShapeProp on meta ms",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
