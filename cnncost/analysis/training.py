"""What one training step costs, layer by layer: the forward pass, the backward pass and the optimizer's update.

The backward pass of a layer that multiplies (a convolution, a linear layer, a matrix product) is made of the same
products as its forward, once for each gradient it must give:
- the input gradient (a transposed convolution, grad_out @ W), as many MACs as the forward, when an input of the
  layer needs a gradient; a product of two activations gives one per input that needs one;
- the weight gradient (a convolution of the input with grad_out, x^T @ grad_out), as many MACs as the forward, when
  the layer has parameters that are trained.
A tensor needs a gradient when a trained parameter lies before it: the network's input does not, so the first
layers before any trained parameter compute no input gradient (torch's autograd skips them too), and frozen layers
(a module's parameters with requires_grad False, or the layers named by --freeze) compute no weight gradient.
Scaled dot-product attention's backward is 2 x its forward MACs (four batched products against two), as
FlopCounterMode counts it on CUDA (on the CPU it counts none). A module called twice trains its parameters at each
call: each call has its weight gradient, the parameters one update.

Left approximate: attention and recurrent layers with weights (nn.MultiheadAttention, LSTM, GRU) also compute
gradients inside themselves (the attention's products, the hidden state through time) that this count leaves out when
their input needs no gradient; and the network's input never needs one. A conv's or linear layer's weight frozen while
its bias trains computes no weight gradient (the bias's is a sum). Backward FLOPs are 2 per backward MAC, plus, for a
layer that passes a gradient on, its forward FLOPs that are not multiply-adds (an activation's, a norm's) once more.
Bias gradients are sums and, as in the forward, not counted. The optimizer's update costs step_flops per trained
parameter (optimizers.OPTIMIZERS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..layers import layer_type
from ..registries import Registry
from ..results import LayerCost, Profile, provides
from .gradients import gradient_flow
from .optimizers import Optimizer, named_optimizer

BackwardRule = Callable[[LayerCost, list[bool]], int]  # input-gradient MACs, given which inputs need a gradient
BACKWARD_RULES: Registry[BackwardRule] = Registry("backward rule")


@BACKWARD_RULES.register("products")
def products_backward(cost: LayerCost, needs: list[bool]) -> int:
    """A layer with weights: one product (grad_out @ W) for its input gradient; a product of activations: one per
    input that needs a gradient."""
    return cost.macs if cost.params or cost.shares else cost.macs * sum(needs)


@BACKWARD_RULES.register("attention")
def attention_backward(cost: LayerCost, needs: list[bool]) -> int:
    """Scaled dot-product attention: 2 x its forward MACs (four batched products against two), whatever needs a
    gradient."""
    return 2 * cost.macs


@dataclass(frozen=True)
class LayerTraining:
    """One layer's share of a training step."""

    name: str
    input_grad_macs: int
    weight_grad_macs: int
    backward_flops: int
    trained_params: int
    optimizer_flops: int

    @property
    def backward_macs(self) -> int:
        return self.input_grad_macs + self.weight_grad_macs


@dataclass(frozen=True)
class TrainingStep:
    """Forward, backward and optimizer costs of one training step, per layer and in total."""

    optimizer: Optimizer
    frozen: tuple[str, ...]  # the layers frozen by name (a module's own frozen parameters are in its profile)
    layers: tuple[LayerTraining, ...]
    forward_macs: int
    forward_flops: int

    def _sum(self, field: str) -> int:
        return sum(getattr(layer, field) for layer in self.layers)

    @property
    def input_grad_macs(self) -> int:
        return self._sum("input_grad_macs")

    @property
    def weight_grad_macs(self) -> int:
        return self._sum("weight_grad_macs")

    @property
    def backward_macs(self) -> int:
        return self.input_grad_macs + self.weight_grad_macs

    @property
    def backward_flops(self) -> int:
        return self._sum("backward_flops")

    @property
    def trained_params(self) -> int:
        return self._sum("trained_params")

    @property
    def optimizer_flops(self) -> int:
        return self._sum("optimizer_flops")

    @property
    def total_flops(self) -> int:
        """forward + backward + optimizer FLOPs."""
        return self.forward_flops + self.backward_flops + self.optimizer_flops

    def layer(self, name: str) -> LayerTraining:
        return next(layer for layer in self.layers if layer.name == name)


def _input_grad_macs(cost: LayerCost, needs: list[bool]) -> int:
    if not any(needs):
        return 0
    return BACKWARD_RULES[layer_type(cost.op).backward](cost, needs)


@provides("training")
def training_step(profile: Profile, optimizer_name: str = "adam", freeze=None) -> TrainingStep:
    """The cost of one training step of the profiled network with the named optimizer, freeze naming layers whose
    parameters are not trained (see gradients.frozen_layers)."""
    chosen = named_optimizer(optimizer_name)
    flow = gradient_flow(profile, freeze)
    layers = []
    for cost in profile.layers:
        needs = flow.input_needs(cost)
        input_macs = _input_grad_macs(cost, needs)
        weight_macs = cost.macs if flow.trains[cost.name] else 0
        passes_on = any(needs) or flow.trains[cost.name]
        elementwise = cost.flops - 2 * cost.macs if passes_on and cost.counted else 0
        trained = flow.trained[cost.name]
        layers.append(
            LayerTraining(
                cost.name,
                input_macs,
                weight_macs,
                2 * (input_macs + weight_macs) + max(elementwise, 0),
                trained,
                trained * chosen.step_flops,
            )
        )
    return TrainingStep(chosen, flow.frozen, tuple(layers), profile.total.macs, profile.total.flops)
