"""The optimizers a training step is costed with: the state each keeps and the FLOPs of its update."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CnnCostError, close_matches


@dataclass(frozen=True)
class Optimizer:
    """An optimizer's state (tensors the size of the parameters, and bytes per parameter tensor: Adam's step) and the
    FLOPs of its step per trained parameter, as torch.optim's update computes it."""

    name: str
    label: str
    copies: int
    per_tensor_bytes: int = 0
    step_flops: int = 2


OPTIMIZERS = (
    Optimizer("sgd", "SGD", 0, step_flops=2),  # p += -lr * g
    Optimizer("momentum", "SGD + momentum", 1, step_flops=4),  # buf = m * buf + g; p += -lr * buf
    # exp_avg, exp_avg_sq, and a 0-dim fp32 step count per parameter tensor; m.lerp_(g, 1 - b1) 3,
    # v.mul_(b2).addcmul_(g, g, 1 - b2) 4, denom = v.sqrt() / c2 + eps 3, p.addcdiv_(m, denom, -step) 3
    Optimizer("adam", "Adam", 2, 4, step_flops=13),
    Optimizer("adamw", "AdamW", 2, 4, step_flops=14),  # Adam's, and the decoupled decay p *= 1 - lr * wd
)


def named_optimizer(name: str) -> Optimizer:
    """The optimizer of that name: sgd, momentum, adam or adamw."""
    for found in OPTIMIZERS:
        if found.name == name:
            return found
    raise CnnCostError(
        f"unknown optimizer {name!r}{close_matches(name, optimizer_names())}; known: {', '.join(optimizer_names())}"
    )


def optimizer_names() -> list[str]:
    """sgd, momentum, adam, adamw: the names the command line and the configuration take."""
    return [found.name for found in OPTIMIZERS]
