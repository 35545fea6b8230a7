"""Recurrent layers: LSTM, GRU and Elman RNN over a sequence, and their one-step cells.

At every step each layer and direction multiplies the input by G·H×I weights and the previous state by G·H×H
weights (G gates: LSTM 4, GRU 3, RNN 1). MACs = steps · G·H·(I + H) per layer and direction, plus an LSTM's
projection H·P; FLOPs = 2·MACs plus the gates' elementwise work per hidden unit and step: LSTM 13 (4 sums of the
two products, 4 gate activations, c = f·c + i·g as 3, tanh(c), o·tanh(c)), GRU 11, RNN 2 (a sum and the
nonlinearity). Biases are not counted.
"""

from __future__ import annotations

from functools import partial

from ..errors import ShapeError
from ..shapes import Shape
from .common import require_positive
from .registry import Example, OpCost, register

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
POINTWISE = {"lstm": 13, "gru": 11, "rnn": 2}


def _steps(x: Shape, op: str, input_size: int, batch_first: bool) -> tuple[int, int]:
    """(batch, steps) of T×I (unbatched), N×T×I (batch_first) or T×N×I."""
    if len(x.dims) not in (2, 3) or x.dims[-1] != input_size:
        raise ShapeError(
            f"{op} expects T×{input_size} or, with a batch, {'N×T' if batch_first else 'T×N'}×{input_size}, got {x}"
        )
    if len(x.dims) == 2:
        return 1, x.dims[0]
    return (x.dims[0], x.dims[1]) if batch_first else (x.dims[1], x.dims[0])


def recurrent(
    x: Shape,
    op: str,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bias: bool,
    batch_first: bool,
    bidirectional: bool,
    proj_size: int = 0,
) -> OpCost:
    """Outputs (sequence, h_n[, c_n]); params and MACs summed over layers and directions."""
    for what, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        require_positive(f"{op} {what}", value)
    if type(proj_size) is not int or not 0 <= proj_size < hidden_size:
        raise ShapeError(f"{op} proj_size must be a whole number from 0 below hidden_size, got {proj_size!r}")
    batch, steps = _steps(x, op, input_size, batch_first)
    gates, directions = GATES[op], 2 if bidirectional else 1
    state = proj_size or hidden_size
    # the first layer reads the input; each of the num_layers - 1 others the last one's directions x state
    first = gates * hidden_size * (input_size + state) + hidden_size * proj_size
    other = gates * hidden_size * (directions * state + state) + hidden_size * proj_size
    per_step = first + (num_layers - 1) * other
    params = directions * (per_step + num_layers * (2 * gates * hidden_size if bias else 0))
    macs = directions * batch * steps * per_step
    pointwise = num_layers * directions * batch * steps * hidden_size * POINTWISE[op]
    batched = len(x.dims) == 3
    sequence = list(x.dims)
    sequence[-1] = directions * state
    states = (num_layers * directions, *((batch,) if batched else ()))
    also = (Shape((*states, state)),) + ((Shape((*states, hidden_size)),) if op == "lstm" else ())
    return OpCost(Shape(tuple(sequence), also=also), params=params, macs=macs, flops=2 * macs + pointwise)


def recurrent_tensors(attrs: dict) -> int:
    """Per layer and direction: w_ih and w_hh, b_ih and b_hh with a bias, w_hr with a projection."""
    copies = attrs.get("num_layers", 1) * (2 if attrs.get("bidirectional") else 1)
    return copies * ((4 if attrs.get("bias", True) else 2) + (1 if attrs.get("proj_size") else 0))


_recurrent = partial(
    register,
    category="recurrent",
    keeps="every_input",
    field="anywhere",
    family="recurrent",
    parameter_tensors=recurrent_tensors,
)
_EXAMPLE = Example(((5, 3),), {"input_size": 3, "hidden_size": 4})


@_recurrent("lstm", example=_EXAMPLE, torch_module="LSTM", torch_functions=("lstm",))
def lstm(
    x: Shape,
    *states: Shape,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> OpCost:
    """Outputs (sequence, h_n, c_n); MACs = T·4H·(I + H) per layer and direction (+ T·H·P with a projection);
    FLOPs = 2·MACs + 13 per hidden unit and step; params = 4H·(I + H) + 8H per layer and direction."""
    return recurrent(x, "lstm", input_size, hidden_size, num_layers, bias, batch_first, bidirectional, proj_size)


@_recurrent("gru", example=_EXAMPLE, torch_module="GRU", torch_functions=("gru",))
def gru(
    x: Shape,
    *states: Shape,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
) -> OpCost:
    """Outputs (sequence, h_n); MACs = T·3H·(I + H) per layer and direction; FLOPs = 2·MACs + 11 per hidden unit and
    step; params = 3H·(I + H) + 6H per layer and direction."""
    return recurrent(x, "gru", input_size, hidden_size, num_layers, bias, batch_first, bidirectional)


@_recurrent("rnn", example=_EXAMPLE, torch_module="RNN", torch_functions=("rnn_tanh", "rnn_relu"))
def rnn(
    x: Shape,
    *states: Shape,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bias: bool = True,
    batch_first: bool = False,
    dropout: float = 0.0,
    bidirectional: bool = False,
    nonlinearity: str = "tanh",
) -> OpCost:
    """Outputs (sequence, h_n); MACs = T·H·(I + H) per layer and direction; FLOPs = 2·MACs + 2 per hidden unit and
    step; params = H·(I + H) + 2H per layer and direction."""
    if nonlinearity not in ("tanh", "relu"):
        raise ShapeError(f"rnn nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return recurrent(x, "rnn", input_size, hidden_size, num_layers, bias, batch_first, bidirectional)


def cell(x: Shape, op: str, input_size: int, hidden_size: int, bias: bool) -> OpCost:
    """One step: the new state (and an LSTM's cell state)."""
    require_positive(f"{op}_cell input_size", input_size)
    require_positive(f"{op}_cell hidden_size", hidden_size)
    if len(x.dims) not in (1, 2) or x.dims[-1] != input_size:
        raise ShapeError(f"{op}_cell expects {input_size} or N×{input_size} inputs, got {x}")
    batch = x.dims[0] if len(x.dims) == 2 else 1
    gates = GATES[op]
    macs = batch * gates * hidden_size * (input_size + hidden_size)
    state = Shape((*x.dims[:-1], hidden_size))
    out = Shape(state.dims, also=(state,)) if op == "lstm" else state
    return OpCost(
        out,
        params=gates * hidden_size * (input_size + hidden_size) + (2 * gates * hidden_size if bias else 0),
        macs=macs,
        flops=2 * macs + batch * hidden_size * POINTWISE[op],
    )


_cell = partial(
    register,
    category="recurrent",
    keeps="every_input",
    field="anywhere",
    family="recurrent_cell",
    parameter_tensors=recurrent_tensors,
)
_CELL_EXAMPLE = Example(((3,),), {"input_size": 3, "hidden_size": 4})


@_cell("lstm_cell", example=_CELL_EXAMPLE, torch_module="LSTMCell", torch_functions=("lstm_cell",))
def lstm_cell(x: Shape, *states: Shape, input_size: int, hidden_size: int, bias: bool = True) -> OpCost:
    """Outputs (h, c); MACs = 4H·(I + H); FLOPs = 2·MACs + 13H; params = 4H·(I + H) + 8H."""
    return cell(x, "lstm", input_size, hidden_size, bias)


@_cell("gru_cell", example=_CELL_EXAMPLE, torch_module="GRUCell", torch_functions=("gru_cell",))
def gru_cell(x: Shape, *states: Shape, input_size: int, hidden_size: int, bias: bool = True) -> OpCost:
    """Output h; MACs = 3H·(I + H); FLOPs = 2·MACs + 11H; params = 3H·(I + H) + 6H."""
    return cell(x, "gru", input_size, hidden_size, bias)


@_cell("rnn_cell", example=_CELL_EXAMPLE, torch_module="RNNCell", torch_functions=("rnn_tanh_cell", "rnn_relu_cell"))
def rnn_cell(
    x: Shape, *states: Shape, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
) -> OpCost:
    """Output h; MACs = H·(I + H); FLOPs = 2·MACs + 2H; params = H·(I + H) + 2H."""
    return cell(x, "rnn", input_size, hidden_size, bias)
