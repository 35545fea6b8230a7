"""What a layer asks of a device: the kind of kernel it runs, its FLOPs, and the elements it reads and writes.

The latency model (cnncost.targets.latency) reads nothing else of a layer, so a network's work can be saved as a
table (benchmarks/calibration) and the model fitted on it without the network at hand.
"""

from __future__ import annotations

from typing import NamedTuple

from ..layers import layer_type
from ..results import LayerCost

# the kinds of kernel a layer runs, each with its own efficiency (README: predicted latency)
KINDS = ("conv", "grouped conv", "matmul", "normalization", "elementwise", "pooling", "data movement", "unknown")
MATRIX_KINDS = ("conv", "matmul")  # the kinds a tensor core (or a CPU's matrix kernels) runs
KIND_OF_CATEGORY = {
    "convolution": "conv",
    "linear": "matmul",
    "attention": "matmul",
    "recurrent": "matmul",
    "normalization": "normalization",
    "activation": "elementwise",
    "elementwise": "elementwise",
    "pooling": "pooling",
    "reduction": "pooling",
    "resampling": "pooling",
    "data movement": "data movement",
    "unknown": "unknown",
}
NO_KERNEL_OPS = ("dropout",)  # the identity at inference: torch launches nothing


class LayerWork(NamedTuple):
    """One layer's work for the whole batch: its kernel kind, FLOPs and MACs, and the elements it moves."""

    kind: str
    flops: int
    macs: int
    read_elements: int  # its inputs (weights passed as inputs included)
    write_elements: int  # its outputs
    weight_elements: int  # its own parameters and buffers

    @property
    def depth(self) -> float:
        """MACs per output element: the reduction a matrix kernel runs per output (C·k·k for a convolution)."""
        return self.macs / self.write_elements if self.write_elements else 0.0


def kernel_kind(cost: LayerCost) -> str | None:
    """The kind of kernel the layer runs; None for one that runs none (a view, a source, dropout at inference)."""
    kind = layer_type(cost.op)
    if kind.view or kind.category in ("source", "view") or cost.op in NO_KERNEL_OPS:
        return None
    found = KIND_OF_CATEGORY[kind.category]
    if found == "conv" and cost.attributes.get("groups", 1) > 1:
        return "grouped conv"
    if cost.op == "embedding":
        return "data movement"  # a gather of rows, not a product
    return found


def layer_work(cost: LayerCost) -> LayerWork | None:
    """The layer's work: inputs × scale read, outputs × scale written, its own weights; None where no kernel runs."""
    kind = kernel_kind(cost)
    if kind is None:
        return None
    read = sum(shape.numel for shape in cost.input_shapes) * cost.scale
    written = (cost.input_shape.numel if cost.in_place else cost.output_shape.total_numel) * cost.scale
    return LayerWork(kind, cost.flops, cost.macs, read, written, cost.params + cost.buffers)
