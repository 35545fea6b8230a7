"""The profilers a user would otherwise reach for, each called as its documentation shows, on a built nn.Module.

Every peer is a function (module, x) -> (multiply-adds, parameters) as the peer reports them, x a batch of one.
Install them with: pip install -e '.[bench]'
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable

import torch
from torch import nn

Count = Callable[[nn.Module, torch.Tensor], tuple[int, int]]


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def torchinfo_count(module: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """torchinfo.summary: forward hooks on every module, its 'Total mult-adds'."""
    import torchinfo

    stats = torchinfo.summary(module, input_data=x, verbose=0)
    return int(stats.total_mult_adds), int(stats.total_params)


def fvcore_count(module: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """fvcore's FlopCountAnalysis: a torch.jit trace, one count per traced op it has a handle for ('flops' = MACs)."""
    from fvcore.nn import FlopCountAnalysis, parameter_count

    analysis = FlopCountAnalysis(module, x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    return int(analysis.total()), int(parameter_count(module)[""])


def ptflops_count(module: nn.Module, x: torch.Tensor, backend: str = "pytorch") -> tuple[int, int]:
    """ptflops' get_model_complexity_info: module hooks (and patched functionals) with the pytorch backend,
    aten ops with the aten backend."""
    from ptflops import get_model_complexity_info

    with contextlib.redirect_stdout(io.StringIO()):
        macs, count = get_model_complexity_info(
            module, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False, verbose=False, backend=backend
        )
    return int(macs), int(count)


def ptflops_aten_count(module: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    return ptflops_count(module, x, backend="aten")


def thop_count(module: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """thop.profile: a forward hook per known module type; unknown types count zero."""
    import thop

    with contextlib.redirect_stdout(io.StringIO()):
        macs, count = thop.profile(module, inputs=(x,), verbose=False)
    for sub in module.modules():  # thop leaves its counters on the modules it had no rule for
        sub._buffers.pop("total_ops", None)
        sub._buffers.pop("total_params", None)
    return int(macs), int(count)


def flop_counter_count(module: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """torch.utils.flop_counter.FlopCounterMode: dispatched aten ops, FLOPs = 2 x MACs of convs and matrix products."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() // 2, params(module)


PEERS: dict[str, Count] = {
    "torchinfo": torchinfo_count,
    "fvcore": fvcore_count,
    "ptflops": ptflops_count,
    "ptflops (aten)": ptflops_aten_count,
    "thop": thop_count,
    "FlopCounterMode": flop_counter_count,
}

PACKAGES = ("torchinfo", "fvcore", "ptflops", "thop")


def versions() -> str:
    """The installed version of each peer."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def quiet() -> None:
    """Silence the peers' loggers (fvcore and iopath warn about every op they skip)."""
    for name in ("fvcore", "iopath", "ptflops"):
        logging.getLogger(name).setLevel(logging.ERROR)
