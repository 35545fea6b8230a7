"""Other tools' counts, layer by layer: what torchinfo, fvcore, ptflops, thop and torch's FlopCounterMode report for
each layer cnncost profiles, so that a total under a tool's convention is that tool's total on the same network.

Each convention is a rule per layer, in the tool's unit: multiply-adds for most, FLOPs for FlopCounterMode. The rules
are read from the tools' own source (torchinfo 1.8.0, fvcore 0.1.5.post20221221, ptflops 0.7.5, thop
0.1.1.post2209072238) and checked against the tools on the same modules (tests/test_conventions.py,
scripts/peer_parity.py). A rule sees a layer as the tool meets it when torch runs the network (a TorchLayer):

- fvcore and ptflops' aten backend count torch operators, whoever calls them: the rule reads the op and its shapes.
- torchinfo, thop and ptflops' default backend hook modules. A hook sees a module's call; a function called inside
  some other module's forward (F.adaptive_avg_pool2d at the end of a forward) is no module of theirs. A recorded
  layer's `module` is the class whose forward is that layer alone. thop and ptflops match a class exactly, so a
  subclass that keeps torch's name (timm's LayerNorm) is one they skip, which a class name does not tell: given
  `modules` (module_info(the nn.Module): ModuleInfo by path), the rules read the classes themselves; without, a name
  of torch.nn's is taken for torch.nn's class, and no module around a layer for one the tool treats apart.
- ptflops' default backend also counts some functions wherever they are called (F.relu, x.add(y), torch.matmul),
  but not the same arithmetic written otherwise (torch.relu, x + y, x @ y), which a recording cannot tell apart.

A layer whose count a rule cannot know gets None: under() marks it as a layer without a count ('?' in its row, '+?'
on the total) and says why, never a guess. ptflops always counts one sample (it makes its own input); at a batch, its
convention counts each sample as ptflops counts one. A built-in network (or a spec file) is counted as cnncost's
torch builders write it (cnncost.torch.builders): each layer one module of torch's class, arithmetic through
functions it holds.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from math import prod

from .errors import UnknownNameError, close_matches
from .layers import layer_type, layer_types
from .layers.registry import LAYER_TYPES
from .results import LayerCost, ModuleInfo, Modules, Note, Profile, Totals

SHIPPED = frozenset(layer_types())  # cnncost's own layer types, which the rules know; a user's formula is another
CONVS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
WEIGHTED = (*CONVS, "linear")
BATCH_NORMS = ("batch_norm1d", "batch_norm2d", "batch_norm3d")
INSTANCE_NORMS = ("instance_norm1d", "instance_norm2d", "instance_norm3d")
RECURRENT = ("lstm", "gru", "rnn")
CELLS = ("lstm_cell", "gru_cell", "rnn_cell")


def module_info(module) -> dict[str, ModuleInfo]:
    """What the tools read of each module of an nn.Module, by path, that cnncost's recording does not keep: each
    module's class, as thop and ptflops match it, and whether it holds no submodules, as torchinfo counts only those.
    Read from the module's own methods (named_modules, children): torch is not imported here."""
    return {
        path: ModuleInfo(class_kind(type(sub)), not any(True for _ in sub.children()))
        for path, sub in module.named_modules(remove_duplicate=False)  # a shared module under each name it has
    }


def class_kind(cls: type) -> str:
    """A class as a ModuleInfo names it: torch.nn's by its name ('LayerNorm'), any other by module and name."""
    return cls.__name__ if cls.__module__.startswith("torch.nn.modules.") else f"{cls.__module__}.{cls.__qualname__}"


UNRECORDED = "?"  # the class of a network that is one module whose forward is one call: the recording keeps none


@dataclass(frozen=True)
class TorchLayer:
    """One layer as the tools meet it when torch runs the network."""

    cost: LayerCost
    module: str | None  # the class whose forward is this layer alone (a ModuleInfo kind); None: a call among others
    inputs: tuple[tuple[int, ...], ...]  # torch's shapes, the batch included
    output: tuple[int, ...]
    params: int  # its module's parameters; for a module called again, those its first call counted
    leaf_scope: bool | None  # the module whose forward made the call holds no submodules; None: not known
    within: tuple[str, ...]  # the classes of the modules around it, outermost first, where known
    built: bool  # a built-in network or spec file, as cnncost's torch builders write it
    contiguous: bool | None  # its first input is contiguous; None: the views that made it do not tell

    @property
    def op(self) -> str:
        return self.cost.op

    def attr(self, key: str):
        """An attribute of the layer, or its formula's default where the layer does not set it."""
        attrs = self.cost.attributes
        return attrs[key] if key in attrs else _defaults(self.op, LAYER_TYPES.generation).get(key)

    def torch_dim(self, dim: int) -> int:
        """A dim of the layer's shapes as torch's tensor has it: one on past the batch a built-in network adds."""
        return dim + 1 if self.built and dim >= 0 and len(self.inputs[0]) > len(self.cost.input_shapes[0].dims) else dim

    @property
    def function(self) -> str:
        """The torch function a call among others made ('mul', 'bmm'), as its layer's name ends."""
        return _bare(self.cost.name).rsplit(".", 1)[-1]

    def calls(self, function: str) -> bool:
        """Whether the layer is a call of that torch function: a layer without a formula names it as its source."""
        return function in (self.attr("source"), self.function, *layer_type(self.op).torch_functions)

    @property
    def torch_class(self) -> str | None:
        """The module's class where it is torch.nn's own ('Conv2d'), else None: a class named by its module and name is
        another's, a name alone is taken for torch.nn's where torch.nn has a class of that name."""
        return self.module if self.module in torch_nn_classes() else None

    @property
    def class_name(self) -> str:
        """The module's class name without its module, as torchinfo reads it; '' for a call among others."""
        return self.module.rsplit(".", 1)[-1] if self.module is not None else ""


def torch_nn_classes() -> frozenset[str]:
    """The names of torch.nn's classes a rule may meet: those cnncost's layer types stand for, and those in the tools'
    tables."""
    return _torch_nn_classes(LAYER_TYPES.generation)


@cache
def _torch_nn_classes(generation: int) -> frozenset[str]:
    known = {spec.torch_module for spec in layer_types().values() if spec.torch_module}
    return frozenset(known | set(THOP_HOOKS) | set(PTFLOPS_HOOKS) | set(FORWARD_CALLS))


@cache
def _defaults(op: str, generation: int) -> dict:
    """The defaults of a layer type's attributes, from its formula's signature (of the registry at a generation)."""
    parameters = inspect.signature(layer_type(op).formula).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}


def _numel(dims: tuple[int, ...]) -> int:
    return prod(dims)


def _in(layer: TorchLayer) -> int:
    """Elements of the first input."""
    return _numel(layer.inputs[0]) if layer.inputs else 0


def _out(layer: TorchLayer) -> int:
    """Elements of the (first) output."""
    return _numel(layer.output)


def _bias(layer: TorchLayer) -> int:
    """One addition per output element of a conv or linear layer with a bias."""
    return _out(layer) if layer.op in WEIGHTED and layer.attr("bias") else 0


def _affine(layer: TorchLayer) -> bool:
    """A norm with a learned scale: batch, instance and group norm's affine, layer norm's elementwise_affine."""
    return bool(layer.attr("elementwise_affine") if layer.op in ("layer_norm", "rms_norm") else layer.attr("affine"))


# --- cnncost, papers, FlopCounterMode: the products alone ----------------------------------------------------------


def cnncost_rule(layer: TorchLayer) -> int | None:
    """cnncost's MACs: convolutions, linear layers, matrix products, attention; no bias."""
    return layer.cost.macs if layer.cost.counted else None


def paper_rule(layer: TorchLayer) -> int | None:
    """The multiply-adds papers and torchvision print: conv and linear layers, no bias."""
    if layer.op in WEIGHTED:
        return layer.cost.macs
    return 0 if layer.cost.counted else None


def flopcounter_rule(layer: TorchLayer) -> int | None:
    """FlopCounterMode's FLOPs: 2 per multiply-add of convs and matrix products; nothing else. Fused attention it
    counts on CUDA but not in torch's fused CPU kernels: unknown."""
    if layer.op in ("scaled_dot_product_attention", "multihead_attention") or not layer.cost.counted:
        return None
    return 2 * layer.cost.macs


# --- torchinfo ------------------------------------------------------------------------------------------------------

WEIGHT_AND_BIAS = (  # layer types whose modules name their parameters weight and bias, as torch.nn's do
    *WEIGHTED,
    *BATCH_NORMS,
    *INSTANCE_NORMS,
    "layer_norm",
    "group_norm",
    "rms_norm",
    "prelu",
    "embedding",
    "addmm",  # transformers' Conv1D
)


def torchinfo_rule(layer: TorchLayer) -> int | None:
    """torchinfo's mult-adds: per call of a module without submodules, its parameters named weight or bias × the
    output's first dim (× dims 0, 2, 3… in a class named *Conv*); an RNN's weight_* and bias_* × its first two dims;
    the rest (functions, a module's submodules), 0."""
    if layer.module is None:
        return _torchinfo_function(layer)
    if layer.module == UNRECORDED:
        return None
    if not layer.params or layer.torch_class == "MultiheadAttention":  # out_proj is a submodule: not a leaf
        return 0
    out = layer.output
    if layer.op in RECURRENT or layer.op in CELLS:
        return layer.params * _numel(out[:2])
    if layer.op not in WEIGHT_AND_BIAS:
        return None  # a module whose parameters' names are not known (timm's LayerScale has a gamma)
    return layer.params * (out[0] * _numel(out[2:]) if "Conv" in layer.class_name else out[0])


def _torchinfo_function(layer: TorchLayer) -> int | None:
    """A call among others counts the parameters it uses only where its module holds no submodules, and then with
    that module's output, which no one layer gives: unknown."""
    if not layer.params:
        return 0
    if layer.op == "parameter" and not re.search("weight|bias", layer.cost.name.rsplit(".", 1)[-1]):
        return 0  # a cls_token, a gamma: not a name torchinfo counts
    return 0 if layer.leaf_scope is False else None


# --- fvcore ---------------------------------------------------------------------------------------------------------


def fvcore_rule(layer: TorchLayer) -> int | None:
    """fvcore's 'flops' (one per multiply-add), per aten op of a jit trace: conv, linear and matrix products
    without bias; batch norm 1 per element (2 with affine, in eval); layer, group and instance norm 4 (5 with
    affine); 2-d nearest upsampling 1 and bilinear 4 per output element, grid sampling 4; adaptive 2-d average
    pooling 1 per input element; the rest (attention kernels, activations, additions), 0; a function cnncost has no
    formula of its own for (one a user registered), unknown."""
    op = layer.op
    if not layer.cost.counted or op not in SHIPPED:
        return 4 * _out(layer) if layer.calls("grid_sample") else None  # aten::grid_sampler: assumed bilinear
    if op in WEIGHTED:
        return layer.cost.macs
    if op == "matmul":
        a, b = layer.inputs[:2]
        return _numel(a) * b[-1] if len(b) > 1 else None  # fvcore's handler asserts on a vector
    if op == "addmm":  # aten::addmm; aten::baddbmm (3-d operands) has no handler
        return layer.cost.macs if len(layer.inputs[1]) == 2 else 0
    if op == "einsum":
        return _fvcore_einsum(layer)
    if op in BATCH_NORMS:
        return _in(layer) * (2 if _affine(layer) else 1)
    if op in ("layer_norm", "group_norm", *INSTANCE_NORMS):
        return _in(layer) * (5 if _affine(layer) else 4)
    if op == "interpolate":
        return _fvcore_interpolate(layer)
    if op == "adaptive_avg_pool2d":
        return _in(layer)
    if op == "multihead_attention":
        return None  # traced as its parts, or as one fused op when torch takes its fast path
    return 0


def _fvcore_einsum(layer: TorchLayer) -> int | None:
    """einsum_flop_jit: the two forms of a batched product, their products; any other, numpy's einsum_path's
    'Optimized FLOP count' (each index's size multiplied, twice where one is summed, + 1) as it prints it, to 4
    significant digits, halved; for more than two operands the path numpy picks decides: unknown."""
    equation = str(layer.attr("equation")).replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    terms = lhs.split(",")
    if len(terms) > 2 or not arrow or "." in equation:
        return None
    operands = zip(terms, layer.inputs, strict=True)
    sizes = {letter: size for term, shape in operands for letter, size in zip(term, shape, strict=True)}
    if len(terms) == 2 and _letters(equation) in ("abc,abd->acd", "abc,adc->adb"):
        return prod(sizes.values())
    summed = bool(set(sizes) - set(rhs))
    cost = prod(sizes.values()) * (max(1, len(terms) - 1) + summed) + 1
    return int(float(f"{cost:.3e}") // 2)


def _letters(equation: str) -> str:
    """An equation with its letters renamed a, b, c… in order of first use, as fvcore compares them."""
    names: dict[str, str] = {}
    return "".join(names.setdefault(c, chr(97 + len(names))) if c.isalpha() else c for c in equation)


def _fvcore_interpolate(layer: TorchLayer) -> int:
    """aten::upsample_nearest2d 1, upsample_bilinear2d 4 per output element; area resizing is an adaptive average
    pool (1 per input element); other modes and ranks, 0."""
    if len(layer.output) != 4:
        return 0
    mode = layer.attr("mode")
    return _in(layer) if mode == "area" else {"nearest": 1, "bilinear": 4}.get(mode, 0) * _out(layer)


# --- ptflops, aten backend ------------------------------------------------------------------------------------------


def ptflops_aten_rule(layer: TorchLayer) -> int | None:
    """ptflops (aten backend): per dispatched aten op, convolutions with their bias; mm, bmm and addmm (with its
    bias) as torch dispatches them: a linear layer adds its bias but on a non-contiguous input of 3 or more dims
    (mm or bmm, then add); a vector times a matrix (mv) and fused attention kernels, 0; a function cnncost has no
    formula of its own for (one a user registered), unknown."""
    op = layer.op
    if not layer.cost.counted or op not in SHIPPED:
        return 0 if layer.calls("grid_sample") else None  # a function of the user's: what it dispatches, unknown
    if op == "multihead_attention":
        return None
    if op in CONVS:
        return layer.cost.macs + _bias(layer)
    if op == "linear":
        if len(layer.inputs[0]) <= 2 or layer.contiguous:
            return layer.cost.macs + _bias(layer)
        return layer.cost.macs if layer.contiguous is False else None
    if op == "matmul":
        return layer.cost.macs if len(layer.inputs[1]) > 1 else 0
    if op == "addmm":  # aten.addmm adds its bias's broadcast; aten.baddbmm is not in its table
        return layer.cost.macs + _out(layer) if len(layer.inputs[1]) == 2 else 0
    if op == "einsum":
        return layer.cost.macs  # contracted by bmm
    if op == "scaled_dot_product_attention":
        return 0 if len(layer.inputs[0]) == 4 else None  # 4-d: torch's fused CPU kernel; else its version decides
    return 0


# --- thop -----------------------------------------------------------------------------------------------------------


def _thop_conv(layer: TorchLayer) -> int:
    """count_convNd: output elements × input channels / groups × kernel positions."""
    kernel = layer.attr("kernel_size")
    positions = prod(kernel) if isinstance(kernel, (tuple, list)) else kernel ** (len(layer.output) - 2)
    return _out(layer) * (layer.inputs[0][1] // layer.attr("groups")) * positions


def _thop_norm(layer: TorchLayer) -> int:
    """count_normalization: 2 per input element, 4 with affine (batch, instance and layer norm)."""
    return 2 * _in(layer) * (2 if _affine(layer) else 1)


def _thop_softmax(layer: TorchLayer) -> int:
    """count_softmax: per row along dim, exp, add and divide: rows × (3·features − 1)."""
    features = layer.inputs[0][layer.torch_dim(layer.attr("dim"))]
    return _in(layer) // features * (3 * features - 1)


def _thop_adaptive_average(layer: TorchLayer) -> int:
    """count_adap_avgpool: (the window, input over output size as floats, + 1) × output elements, truncated."""
    window = prod(i / o for i, o in zip(layer.inputs[0][2:], layer.output[2:], strict=True))
    return int((window + 1) * _out(layer))


def _thop_upsample(layer: TorchLayer) -> int:
    """count_upsample: per output element by mode: nearest 1, linear 5, bilinear 11, bicubic 259, others 0."""
    per_element = {"nearest": 1, "linear": 5, "bilinear": 11, "bicubic": 259}
    return per_element.get(layer.attr("mode"), 0) * _out(layer)


def _rnn_cell_ops(kind: str, inputs: int, hidden: int, bias: bool) -> int:
    """thop's _count_rnn_cell, _count_gru_cell, _count_lstm_cell: gate products and biases, then the updates."""
    gate = (inputs + hidden) * hidden + hidden + (2 * hidden if bias else 0)
    if kind.startswith("rnn"):
        return gate
    if kind.startswith("gru"):
        return 3 * gate + 4 * hidden
    return 4 * gate + 4 * hidden


def _thop_recurrent(layer: TorchLayer) -> int | None:
    """count_rnn, count_gru, count_lstm: the cell's ops per layer and direction × steps × batch."""
    if layer.attr("proj_size"):
        return None
    hidden, bias = layer.attr("hidden_size"), layer.attr("bias")
    directions = 2 if layer.attr("bidirectional") else 1
    ops = directions * _rnn_cell_ops(layer.op, layer.attr("input_size"), hidden, bias)
    ops += (layer.attr("num_layers") - 1) * directions * _rnn_cell_ops(layer.op, hidden * directions, hidden, bias)
    return ops * _numel(layer.inputs[0][:2])


def _thop_cell(layer: TorchLayer) -> int:
    """count_rnn_cell, count_gru_cell, count_lstm_cell: the cell's ops × batch."""
    ops = _rnn_cell_ops(layer.op, layer.attr("input_size"), layer.attr("hidden_size"), layer.attr("bias"))
    return ops * layer.inputs[0][0]


def _names(*families: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for family in families for name in family)


def _nd(pattern: str) -> tuple[str, ...]:
    """'MaxPool{}d' for 1, 2 and 3 dims."""
    return tuple(pattern.format(n) for n in (1, 2, 3))


Hook = Callable[[TorchLayer], "int | None"]
THOP_HOOKS: dict[str, Hook] = {  # thop's register_hooks, by torch.nn class
    **dict.fromkeys(_names(_nd("Conv{}d"), _nd("ConvTranspose{}d")), _thop_conv),
    **dict.fromkeys(_names(_nd("BatchNorm{}d"), _nd("InstanceNorm{}d"), ("SyncBatchNorm", "LayerNorm")), _thop_norm),
    "PReLU": _in,
    "Softmax": _thop_softmax,
    **dict.fromkeys(_nd("AvgPool{}d"), _out),
    **dict.fromkeys(_nd("AdaptiveAvgPool{}d"), _thop_adaptive_average),
    "Linear": lambda layer: layer.inputs[0][-1] * _out(layer),
    **dict.fromkeys(("Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"), _thop_upsample),
    **dict.fromkeys(("RNN", "GRU", "LSTM"), _thop_recurrent),
    **dict.fromkeys(("RNNCell", "GRUCell", "LSTMCell"), _thop_cell),
}


def thop_rule(layer: TorchLayer) -> int | None:
    """thop: per call of a module whose class (torch.nn's own, matched exactly) it has a hook for: conv and linear
    without bias, batch, instance and layer norm 2 per element (4 with affine), average pooling 1 per output element,
    adaptive average pooling (window + 1) per output element, softmax 3 per element less 1 per row, upsampling by
    mode (nearest 1), RNNs' gates; ReLU, max pooling, other modules and functions, 0."""
    if layer.module == UNRECORDED:
        return None
    hook = THOP_HOOKS.get(layer.torch_class or "")
    return hook(layer) if hook is not None else 0


# --- ptflops, pytorch backend ---------------------------------------------------------------------------------------


def _ptflops_norm(layer: TorchLayer) -> int:
    """bn_flops_counter_hook: 1 per input element, 2 where the module's `affine` is set (layer norm has none)."""
    return _in(layer) * (2 if layer.torch_class != "LayerNorm" and _affine(layer) else 1)


def _ptflops_rnn_layer(kind: str, inputs: int, hidden: int, bias: bool) -> int:
    """rnn_flops for one layer: both products, the gates' other additions and products, both biases."""
    kind = kind.split("_")[0]
    gates, extra = {"rnn": (1, hidden), "gru": (3, 7 * hidden), "lstm": (4, 10 * hidden)}[kind]
    return gates * hidden * (inputs + hidden) + extra + (2 * gates * hidden if bias else 0)


def _ptflops_recurrent(layer: TorchLayer) -> int | None:
    """rnn_flops_counter_hook: each layer's ops (forward direction) × batch × steps, × 2 when bidirectional."""
    if layer.attr("proj_size"):
        return None
    hidden, bias = layer.attr("hidden_size"), layer.attr("bias")
    directions = 2 if layer.attr("bidirectional") else 1
    ops = sum(
        _ptflops_rnn_layer(layer.op, layer.attr("input_size") if i == 0 else hidden * directions, hidden, bias)
        for i in range(layer.attr("num_layers"))
    )
    return ops * _numel(layer.inputs[0][:2]) * directions


def _ptflops_cell(layer: TorchLayer) -> int:
    """rnn_cell_flops_counter_hook: the cell's ops × batch."""
    ops = _ptflops_rnn_layer(layer.op, layer.attr("input_size"), layer.attr("hidden_size"), layer.attr("bias"))
    return ops * layer.inputs[0][0]


def _products_and_bias(layer: TorchLayer) -> int:
    """conv_flops_counter_hook, linear_flops_counter_hook: the products, and 1 per output element for a bias."""
    return layer.cost.macs + _bias(layer)


PTFLOPS_HOOKS: dict[str, Hook] = {  # ptflops' MODULES_MAPPING, by torch.nn class
    **dict.fromkeys(_names(_nd("Conv{}d"), _nd("ConvTranspose{}d"), ("Linear",)), _products_and_bias),
    **dict.fromkeys(("ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU"), _out),
    **dict.fromkeys(_names(_nd("MaxPool{}d"), _nd("AvgPool{}d"), _nd("AdaptiveMaxPool{}d")), _in),
    **dict.fromkeys(_nd("AdaptiveAvgPool{}d"), _in),
    **dict.fromkeys(_names(_nd("BatchNorm{}d"), _nd("InstanceNorm{}d"), ("GroupNorm", "LayerNorm")), _ptflops_norm),
    "Upsample": _out,  # the elements of output[0], one sample's: ptflops runs one sample
    **dict.fromkeys(("RNN", "GRU", "LSTM"), _ptflops_recurrent),
    **dict.fromkeys(("RNNCell", "LSTMCell", "GRUCell"), _ptflops_cell),
    "MultiheadAttention": lambda layer: None,  # its hook, and F.softmax inside torch's slow path but not its fast one
}
# the Attention ptflops imports from timm.models.vision_transformer (defined in timm.layers.attention in timm 1.0):
# its hook replaces its submodules' counts
TIMM_ATTENTION = ("timm.layers.attention.Attention", "timm.models.vision_transformer.Attention")
FORWARD_CALLS = {  # the function each torch.nn class's forward calls that ptflops patches
    **{name: name.lower() for name in ("ReLU", "PReLU", "ELU", "GELU", "SiLU", "Softmax")},
    **{f"{kind}Pool{n}d": f"{kind.lower()}_pool{n}d" for kind in ("Max", "Avg") for n in (1, 2, 3)},
    **{f"Adaptive{kind}Pool{n}d": f"adaptive_{kind.lower()}_pool{n}d" for kind in ("Max", "Avg") for n in (1, 2, 3)},
    **dict.fromkeys(("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"), "interpolate"),
}
# The functions ptflops patches that are written one way (F.gelu; torch.mm and x.mm are both patched) ...
PATCHED = {
    *("gelu", "silu", "elu", "prelu", "relu6", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear"),
    *(f"{kind}_pool{n}d" for kind in ("max", "avg", "adaptive_max", "adaptive_avg") for n in (1, 2, 3)),
    *("mm", "bmm", "addmm"),
}
# ... and those also written a way it does not patch, which a recording cannot tell apart: F.relu or torch.relu,
# F.softmax or x.softmax(), x.add(y) or x + y, x.mul(y) or x * y, x.matmul(y) or x @ y, torch.baddbmm or x.baddbmm
SPELLED_TWO_WAYS = ("relu", "softmax", "add", "mul", "matmul", "baddbmm")
HOLDS_ITS_FUNCTION = ("GELUActivation",)  # transformers' keeps nn.functional.gelu from before ptflops patches it
BUILT_CALLS = {"interpolate": "interpolate", "addmm": "matmul"}  # cnncost's builders' functions looked up when called


def ptflops_rule(layer: TorchLayer) -> int | None:
    """ptflops (pytorch backend): a hook per call of a module of a class in its table (torch.nn's, matched exactly;
    timm's ViT Attention, whose submodules' hooks it then leaves out): conv and linear with bias, norms 1 per element
    (2 with affine, not layer norm), ReLU, GELU, ELU, PReLU, LeakyReLU and ReLU6 1 per element, pools 1 per input
    element, nn.Upsample 1 per output element, RNNs' gates; and wherever called, the functions it
    patches: F.relu, F.gelu, F.silu, F.elu, F.prelu, F.softmax, pools and F.interpolate 1 per element,
    torch.matmul, mm, bmm and addmm their products, x.add(y) and x.mul(y) 1 per element (not x + y, x * y, x @ y)."""
    if layer.module == UNRECORDED:
        return None
    hooked = _ptflops_hook(layer)
    called = _ptflops_function(layer)
    return None if hooked is None or called is None else hooked + called


def _ptflops_hook(layer: TorchLayer) -> int | None:
    """The module hooks' part: the module's own, or, inside timm's Attention, its hook's on the attention core."""
    if any(kind in TIMM_ATTENTION for kind in layer.within):
        return _timm_attention(layer) if layer.module is None else 0
    hook = PTFLOPS_HOOKS.get(layer.torch_class or "")
    return hook(layer) if hook is not None else 0


def _timm_attention(layer: TorchLayer) -> int:
    """timm_attention_counter_hook, on the attention call (F.scaled_dot_product_attention, or Q·Kᵀ): per head, Q
    scaled (N·d), Q·Kᵀ and the weights times V (N·N·d each), the softmax (N·N); × batch."""
    scores = layer.op == "matmul" and layer.output[-1] == layer.output[-2] != layer.inputs[0][-1]
    if layer.op != "scaled_dot_product_attention" and not scores:
        return 0
    batch, heads, tokens, width = layer.inputs[0]
    return batch * heads * (tokens * width + 2 * tokens * tokens * width + tokens * tokens)


def _ptflops_function(layer: TorchLayer) -> int | None:
    """The patched function the layer's call reaches, counted as ptflops' wrapper counts it: 0 for none, None where
    the call may be written either way."""
    if layer.torch_class is not None:
        function = FORWARD_CALLS.get(layer.torch_class, "")
    elif layer.built:
        function = BUILT_CALLS.get(layer.op, "")
    elif layer.class_name in HOLDS_ITS_FUNCTION:
        function = ""
    else:
        function = layer.function if layer.module is None else {"multiply": "mul"}.get(layer.op, layer.op)
        if function in SPELLED_TWO_WAYS:
            if layer.attr("inplace") and function in ("add", "mul"):
                return 0  # x += y, x.add_(y): not patched
            return None
        if function not in PATCHED:
            function = ""
    return _patched_count(layer, function) if function else 0


def _patched_count(layer: TorchLayer, function: str) -> int | None:
    """What ptflops' wrapper of a function adds: torch.matmul, mm and bmm the first operand's elements × the
    second's last dim, addmm also the bias's elements; F.interpolate its output's elements (a fractional scale: as
    given, so unknown but for a whole factor or its inverse); x.add and x.mul their output's; the others their
    input's."""
    operands = layer.inputs[1:3] if layer.op == "addmm" else layer.inputs[:2]
    if function in ("matmul", "mm", "bmm", "addmm"):
        bias = _in(layer) if function == "addmm" else 0
        return _numel(operands[0]) * operands[1][-1] + bias
    if function in ("add", "mul"):
        return _out(layer)
    if function.startswith(("interpolate", "upsample")):
        ratios = [Fraction(o, i) for o, i in zip(layer.output[2:], layer.inputs[0][2:], strict=True)]
        return _out(layer) if all(1 in (r.numerator, r.denominator) for r in ratios) else None
    return _in(layer)


# --- the conventions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Convention:
    """A tool's way of counting: its name, its unit, its rule per layer, and why a layer's count may be unknown."""

    name: str
    tool: str
    unit: str
    rule: Hook
    unknown_when: str = ""

    def counts(self, profile: Profile, modules: Modules | None = None) -> tuple[int | None, ...]:
        """Each layer's count as the tool makes it; None where the rule cannot know it."""
        return tuple(self.rule(layer) for layer in torch_layers(profile, modules))

    def total(self, profile: Profile, modules: Modules | None = None) -> int:
        """The tool's total on the profiled network, of the layers whose count is known (unknown() names the rest)."""
        return sum(count for count in self.counts(profile, modules) if count is not None)

    def unknown(self, profile: Profile, modules: Modules | None = None) -> tuple[str, ...]:
        """The layers whose count under the tool's rule cannot be known: the total leaves them out."""
        counts = self.counts(profile, modules)
        return tuple(cost.name for cost, count in zip(profile.layers, counts, strict=True) if count is None)


CONVENTIONS = {
    convention.name: convention
    for convention in (
        Convention("cnncost", "cnncost", "MACs", cnncost_rule),
        Convention("paper", "papers and torchvision", "MACs", paper_rule),
        Convention(
            "flopcounter",
            "torch.utils.flop_counter.FlopCounterMode",
            "FLOPs",
            flopcounter_rule,
            "FlopCounterMode counts fused attention on CUDA, not in torch's fused CPU kernels; which one runs is not "
            "known from the network.",
        ),
        Convention(
            "torchinfo",
            "torchinfo 1.8",
            "mult-adds",
            torchinfo_rule,
            "torchinfo counts the weights a function uses only inside a module without submodules, with that "
            "module's output, and a network that is one module by its class; the recording does not say which.",
        ),
        Convention(
            "fvcore",
            "fvcore 0.1.5",
            "MACs",
            fvcore_rule,
            "fvcore counts the aten ops of a jit trace; which ones these layers trace to is not known.",
        ),
        Convention(
            "ptflops",
            "ptflops 0.7.5 (pytorch backend)",
            "MACs",
            ptflops_rule,
            "ptflops counts F.relu, F.softmax, x.add(y), x.mul(y) and x.matmul(y) but not torch.relu, x.softmax(), "
            "x + y, x * y or x @ y, which do the same and which a recording cannot tell apart; it counts a module by "
            "its class, and the class of a network that is one module is not recorded.",
        ),
        Convention(
            "ptflops-aten",
            "ptflops 0.7.5 (aten backend)",
            "MACs",
            ptflops_aten_rule,
            "ptflops' aten backend counts the aten ops torch dispatches, which here depend on an input's layout or on "
            "torch's version.",
        ),
        Convention(
            "thop",
            "thop 0.1.1",
            "MACs",
            thop_rule,
            "thop counts a module by its class, and the class of a network that is one module is not recorded.",
        ),
    )
}


# --- the layers as torch runs them ----------------------------------------------------------------------------------

BUILT_AS_FUNCTIONS = ("interpolate", "pad")  # families cnncost's builders write as a function, not torch's class


def _bare(name: str) -> str:
    """A layer's name without the '#2' a second call adds: its module path (and function)."""
    return re.sub(r"#\d+", "", name)


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path else ""


def torch_layers(profile: Profile, modules: Modules | None = None) -> tuple[TorchLayer, ...]:
    """Every layer of the profile as the tools meet it; modules, where given, the recorded module's own by path."""
    by_name = {cost.name: cost for cost in profile.layers}
    modules = modules if modules is not None else profile.modules
    if not profile.shapes_include_batch:
        return tuple(_built_layer(cost, by_name) for cost in profile.layers)
    leaves = _leaf_scopes(profile)
    alone = _network_as_one_call(profile, leaves)
    strides: dict[str, tuple[int, ...] | None] = {}
    layers = []
    for cost in profile.layers:
        path = _bare(cost.name)
        scope = path if cost.module is not None else _parent(path)
        module, leaf = cost.module, leaves.get(scope)
        if cost.name == alone:  # the network is one module whose forward is this call: its class is not recorded
            module = modules[""].kind if modules is not None and "" in modules else UNRECORDED
        within: tuple[str, ...] = ()
        if modules is not None:
            module = modules[path].kind if cost.module is not None and path in modules else module
            leaf = modules[scope].leaf if scope in modules else None
            within = tuple(modules[p].kind for p in _ancestors(scope, cost.module is None) if p in modules)
        first = cost.inputs[0] if cost.inputs else None
        layout = _strides(first, cost.input_shapes[0].dims, by_name, strides) if first is not None else None
        layers.append(
            TorchLayer(
                cost,
                module,
                tuple(shape.dims for shape in cost.input_shapes),
                cost.output_shape.dims,
                _module_params(cost, by_name),
                leaf,
                within,
                False,
                _is_contiguous(cost.input_shapes[0].dims, layout) if cost.input_shapes else True,
            )
        )
    return tuple(layers)


def _ancestors(scope: str, inclusive: bool) -> list[str]:
    """The paths of the modules around a module, outermost ('') first; with inclusive, the module itself too."""
    parts = scope.split(".") if scope else []
    paths = ["", *(".".join(parts[: i + 1]) for i in range(len(parts)))]
    return paths if inclusive else paths[:-1]


def _module_params(cost: LayerCost, by_name: dict[str, LayerCost]) -> int:
    """The parameters of a layer's module: its own, or for a module called again those of its first call."""
    return by_name[cost.shares].params if cost.shares in by_name else cost.params


def _built_layer(cost: LayerCost, by_name: dict[str, LayerCost]) -> TorchLayer:
    """A layer of a built-in network: one module of torch's class (a function for interpolation and padding), its
    shapes with the batch in front."""
    spec = layer_type(cost.op)
    batch = () if spec.source == "shared" else (cost.scale,)
    return TorchLayer(
        cost,
        spec.torch_module if spec.family not in BUILT_AS_FUNCTIONS else None,
        tuple((*batch, *shape.dims) for shape in cost.input_shapes),
        (*batch, *cost.output_shape.dims),
        _module_params(cost, by_name),
        True,
        (),
        True,
        True,
    )


def _network_as_one_call(profile: Profile, leaves: dict[str, bool | None]) -> str | None:
    """The layer that is the whole network's one call (an nn.Linear profiled alone), if it is one module so."""
    if leaves.get("") is not True:
        return None
    calls = [cost.name for cost in profile.layers if _is_call(cost)]
    return calls[0] if len(calls) == 1 else None


def _is_call(cost: LayerCost) -> bool:
    """A layer that computes in a forward: neither a view, nor a tensor held, nor a copy."""
    return layer_type(cost.op).category not in ("view", "source") and cost.op != "copy"


def _leaf_scopes(profile: Profile) -> dict[str, bool | None]:
    """For each module whose forward made calls among others, whether it holds no submodules, where the names tell:
    a module below it (its layer, a deeper call, a parameter's path) says it does; so does a forward that made one
    call only (a module without submodules whose forward makes one call is that call's module); the network's own
    forward without any module below is a leaf (a module profiled alone)."""
    parents: set[str] = set()
    calls: dict[str, int] = defaultdict(int)  # calls among others per call of a forward (its name keeps '#2')
    for cost in profile.layers:
        path = _bare(cost.name)
        below = path if cost.module is not None else _parent(path)
        parents.update(_ancestors(below, False))
        if cost.module is None and _is_call(cost):
            calls[_parent(cost.name)] += 1
    once = {_bare(scope) for scope, count in calls.items() if count == 1 and scope}
    return {
        _bare(scope): False if _bare(scope) in parents or _bare(scope) in once else True if scope == "" else None
        for scope in calls
    }


def _strides(name: str, dims: tuple[int, ...], by_name: dict[str, LayerCost], memo: dict) -> tuple[int, ...] | None:
    """The strides of a layer's output as torch lays it out, where its makers tell: a computed output is contiguous,
    a permute permutes its input's strides, a reshape or flatten views its input where torch can and copies where
    not; an in-place layer keeps its input's; other views (slices, expands), unknown."""
    if name in memo:
        return memo[name]
    cost = by_name.get(name)
    found: tuple[int, ...] | None = _contiguous_strides(dims)
    viewed = cost is not None and cost.op != "item" and layer_type(cost.op).category == "view"  # item: computed
    if cost is not None and cost.inputs and (cost.in_place or viewed):
        parent = cost.input_shapes[0].dims
        before = _strides(cost.inputs[0], parent, by_name, memo)
        if cost.in_place:
            found = before
        elif before is None:
            found = None
        elif cost.op == "permute":
            found = tuple(before[d] for d in cost.attributes["dims"])
        elif cost.op in ("reshape", "flatten"):
            found = _view_strides(parent, before, dims) or _contiguous_strides(dims)
        else:
            found = None
    memo[name] = found
    return found


def _contiguous_strides(dims: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(dims):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def _is_contiguous(dims: tuple[int, ...], strides: tuple[int, ...] | None) -> bool | None:
    """torch's is_contiguous: every dim of size above 1 at the stride of a packed tensor."""
    if strides is None:
        return None
    expected = 1
    for size, stride in zip(reversed(dims), reversed(strides), strict=True):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def _view_strides(old: tuple[int, ...], strides: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...] | None:
    """torch's computeStride: the strides of a view of the new shape, or None where no view can give it."""
    if not old or not new or _numel(old) == 0:
        return None
    result = [0] * len(new)
    view_d, base, tensor_numel, view_numel = len(new) - 1, strides[-1], 1, 1
    for tensor_d in range(len(old) - 1, -1, -1):
        tensor_numel *= old[tensor_d]
        if tensor_d == 0 or (old[tensor_d - 1] != 1 and strides[tensor_d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                result[view_d] = view_numel * base
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                base, tensor_numel, view_numel = strides[tensor_d - 1], 1, 1
    return tuple(result) if view_d == -1 else None


# --- a profile under a convention -----------------------------------------------------------------------------------


def under(profile: Profile, name: str, modules: Modules | None = None) -> Profile:
    """The profile with every layer's MACs as the named tool counts them, and the total its total; for a tool that
    counts FLOPs (FlopCounterMode), the FLOPs instead. A layer whose count the tool's rule cannot know is marked as
    one without a count ('?'), and a warning names it."""
    chosen = convention(name)
    if chosen.name == "cnncost":
        return profile
    field = "flops" if chosen.unit == "FLOPs" else "macs"
    counts = chosen.counts(profile, modules)
    layers = tuple(_counted_as(cost, count, field, chosen) for cost, count in zip(profile.layers, counts, strict=True))
    notes = [
        Note(
            f"{'FLOPs' if field == 'flops' else 'MACs'} as {chosen.tool} counts them ({chosen.unit}, the "
            f"'{chosen.name}' convention): {' '.join((chosen.rule.__doc__ or '').split())}",
            "convention",
        )
    ]
    unknown = [cost.name for cost, count in zip(profile.layers, counts, strict=True) if count is None and cost.counted]
    if unknown:
        notes.append(Note(unknown_text(chosen, unknown), "warning"))
    total = Totals.of(layers, profile.total.input_bytes)
    return dataclasses.replace(
        profile, layers=layers, total=total, notes=(*profile.notes, *notes), convention=chosen.name
    )


def _counted_as(cost: LayerCost, count: int | None, field: str, chosen: Convention) -> LayerCost:
    """The layer with its count under the convention; one the rule cannot know becomes a layer without a count."""
    if not cost.counted:
        return cost
    if count is None:
        source = f"{cost.op}, as {chosen.name} counts it"
        return cost._replace(macs=0, counted=False, attrs=(*cost.attrs, ("source", source)))
    return cost._replace(flops=count) if field == "flops" else cost._replace(macs=count)


def unknown_text(chosen: Convention, names: list[str] | tuple[str, ...]) -> str:
    """Which layers the convention cannot count, and why."""
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{len(names)} layer(s) have no count under the '{chosen.name}' convention, so its total is a lower bound: "
        f"{listed}. {chosen.unknown_when}"
    ).strip()


def convention(name: str) -> Convention:
    """The convention of that name; an unknown name lists the known ones."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown convention {name!r}{close_matches(name, CONVENTIONS)}; known: {', '.join(CONVENTIONS)}"
        ) from None
