"""Other tools' counts, layer by layer: what torchinfo, fvcore, ptflops, thop and torch's FlopCounterMode report for
each layer cnncost profiles, so that a total under a tool's convention is that tool's total on the same network.

Each convention is a rule per layer (cost.op, its shapes and attributes, as the engine computed them) in the tool's
unit: multiply-adds for most, FLOPs for FlopCounterMode. The rules are the tools' own, as measured on one-layer
networks (benchmarks/README.md, "What each tool counts"); where a tool's figure depends on how a model is written
(ptflops counts an nn.ReLU module and the F.relu inside it twice), the rule follows a model written with modules,
as torchvision's and cnncost's own torch builders are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from .errors import UnknownNameError, close_matches
from .results import LayerCost, Note, Profile, Totals

CONVS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
WEIGHTED = (*CONVS, "linear")
BATCH_NORMS = ("batch_norm1d", "batch_norm2d", "batch_norm3d")
WINDOW_POOLS = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d")
ADAPTIVE_AVERAGE_POOLS = ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "global_avg_pool2d")


def _out(cost: LayerCost) -> int:
    """Output elements, the batch included."""
    return cost.output_shape.numel * cost.scale


def _in(cost: LayerCost) -> int:
    """Elements of the first input, the batch included."""
    return cost.input_shapes[0].numel * cost.scale if cost.input_shapes else 0


def _bias(cost: LayerCost) -> int:
    """One addition per output element of a conv or linear layer with a bias."""
    return _out(cost) if cost.op in WEIGHTED and cost.attributes.get("bias", True) else 0


def _affine(cost: LayerCost) -> bool:
    return bool(cost.attributes.get("affine", True))


def cnncost_rule(cost: LayerCost) -> int:
    """cnncost's MACs: convolutions, linear layers, matrix products; no bias."""
    return cost.macs


def paper_rule(cost: LayerCost) -> int:
    """The multiply-adds papers and torchvision print: conv and linear layers, no bias."""
    return cost.macs if cost.op in WEIGHTED else 0


def flopcounter_rule(cost: LayerCost) -> int:
    """FlopCounterMode's FLOPs: 2 per multiply-add of convs and matrix products; nothing else."""
    return 2 * cost.macs


def torchinfo_rule(cost: LayerCost) -> int:
    """torchinfo's mult-adds: conv and linear with their bias; any other layer with parameters, its parameter count."""
    if cost.op in WEIGHTED:
        return cost.macs + _bias(cost)
    return cost.params


def fvcore_rule(cost: LayerCost) -> int:
    """fvcore's 'flops' (multiply-adds): conv and linear without bias; batch norm 1 per element (2 with affine, in
    eval mode); adaptive average pooling 1 per input element; the rest skipped."""
    if cost.op in BATCH_NORMS:
        return _in(cost) * (2 if _affine(cost) else 1)
    if cost.op in ADAPTIVE_AVERAGE_POOLS:
        return _in(cost)
    return cost.macs if cost.op in WEIGHTED else 0


def ptflops_rule(cost: LayerCost) -> int:
    """ptflops (pytorch backend): conv and linear with bias; batch norm 1 per element (2 with affine); ReLU and pools
    twice their elements, as its module hook and its patched functional both count them; ReLU6 and SiLU once (one
    of the two counts it)."""
    if cost.op in WEIGHTED:
        return cost.macs + _bias(cost)
    if cost.op in BATCH_NORMS:
        return _in(cost) * (2 if _affine(cost) else 1)
    if cost.op == "relu":
        return 2 * _out(cost)
    if cost.op in ("relu6", "hardtanh", "silu"):  # once: the module hook or the patched functional, not both
        return _out(cost)
    if cost.op in WINDOW_POOLS or cost.op in ADAPTIVE_AVERAGE_POOLS[:3]:
        return 2 * _in(cost)
    return 0


def ptflops_aten_rule(cost: LayerCost) -> int:
    """ptflops (aten backend): aten convolutions and matrix products with their bias; nothing else."""
    return cost.macs + _bias(cost) if cost.op in WEIGHTED else 0


def thop_rule(cost: LayerCost) -> int:
    """thop: conv and linear without bias; batch norm 2 per element (4 with affine); average pooling 1 per output
    element, adaptive average pooling (window + 1) per output element; ReLU, max pooling and module types it has no
    rule for, 0."""
    if cost.op in WEIGHTED:
        return cost.macs
    if cost.op in BATCH_NORMS:
        return _in(cost) * (4 if _affine(cost) else 2)
    if cost.op in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
        return _out(cost)
    if cost.op in ADAPTIVE_AVERAGE_POOLS[:3]:
        window = max(1, _in(cost) // max(1, _out(cost)))
        return (window + 1) * _out(cost)
    return 0


@dataclass(frozen=True)
class Convention:
    """A tool's way of counting: its name, its unit, and its rule per layer."""

    name: str
    tool: str
    unit: str
    rule: Callable[[LayerCost], int]

    def total(self, profile: Profile) -> int:
        """The tool's total on the profiled network."""
        return sum(self.rule(cost) for cost in profile.layers)


CONVENTIONS = {
    convention.name: convention
    for convention in (
        Convention("cnncost", "cnncost", "MACs", cnncost_rule),
        Convention("paper", "papers and torchvision", "MACs", paper_rule),
        Convention("flopcounter", "torch.utils.flop_counter.FlopCounterMode", "FLOPs", flopcounter_rule),
        Convention("torchinfo", "torchinfo 1.8", "mult-adds", torchinfo_rule),
        Convention("fvcore", "fvcore 0.1.5", "MACs", fvcore_rule),
        Convention("ptflops", "ptflops 0.7.5 (pytorch backend)", "MACs", ptflops_rule),
        Convention("ptflops-aten", "ptflops 0.7.5 (aten backend)", "MACs", ptflops_aten_rule),
        Convention("thop", "thop 0.1.1", "MACs", thop_rule),
    )
}


def under(profile: Profile, name: str) -> Profile:
    """The profile with every layer's MACs as the named tool counts them, and the total its total; for a tool that
    counts FLOPs (FlopCounterMode), the FLOPs instead."""
    chosen = convention(name)
    if chosen.name == "cnncost":
        return profile
    field = "flops" if chosen.unit == "FLOPs" else "macs"
    layers = tuple(
        cost._replace(flops=chosen.rule(cost)) if field == "flops" else cost._replace(macs=chosen.rule(cost))
        for cost in profile.layers
    )
    total = Totals.of(layers, profile.total.input_bytes)
    note = Note(
        f"{'FLOPs' if field == 'flops' else 'MACs'} as {chosen.tool} counts them ({chosen.unit}, the "
        f"'{chosen.name}' convention): {' '.join((chosen.rule.__doc__ or '').split())}",
        "convention",
    )
    return dataclasses.replace(
        profile, layers=layers, total=total, notes=(*profile.notes, note), convention=chosen.name
    )


def convention(name: str) -> Convention:
    """The convention of that name; an unknown name lists the known ones."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown convention {name!r}{close_matches(name, CONVENTIONS)}; known: {', '.join(CONVENTIONS)}"
        ) from None
