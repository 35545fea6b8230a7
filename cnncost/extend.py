"""Your own cost formulas: a layer type for a torch function cnncost has no formula for (F.grid_sample, F.unfold, a
custom op), used by the table, the totals, budgets, training, memory and the other tools' conventions.

    import torch.nn.functional as F
    from cnncost import OpCost, Shape, register_formula

    @register_formula("grid_sample", torch_function=F.grid_sample)
    def grid_sample(x: Shape, grid: Shape, *, mode: str = "bilinear") -> OpCost:
        '''N×C×H×W sampled at N×h×w×2 points: bilinear, 4 taps of a multiply and an add per output element.'''
        out = Shape((x.dims[0], x.dims[1], grid.dims[1], grid.dims[2]))
        return OpCost(out, flops=(8 if mode == "bilinear" else 0) * out.numel)

The formula takes the shapes of the call's tensors, in order (a recorded module's shapes include the batch), and
any of the function's other arguments it names as keyword attributes; it returns the output shape (checked against
torch's) and integer counts. In a project's configuration, `[tool.cnncost.formulas]` names them:
`grid_sample = "costs:grid_sample"` (the function of torch.nn.functional or torch of that name, and the formula).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CnnCostError
from .layers import layer_types
from .layers.registry import CATEGORIES, LAYER_TYPES, Example, OpCost, register

Formula = Callable[..., OpCost]

# What autograd keeps for a registered op, as cnncost.analysis.memory names the rules: its inputs unless told
KEEPS = ("every_input", "input", "output", "nothing")


def register_formula(
    name: str,
    formula: Formula | None = None,
    *,
    torch_function: Callable | None = None,
    keeps: str = "every_input",
    category: str = "unknown",
    example: Example | None = None,
) -> Any:
    """Register formula as the layer type `name`, and as what a call of torch_function in a recorded module becomes;
    keeps says what autograd keeps for backward (every_input, input, output or nothing). Used as a decorator
    without formula. Registering the same formula again changes nothing; another under a taken name is refused."""

    def decorate(formula: Formula) -> Formula:
        _register(name, formula, torch_function, keeps, category, example)
        return formula

    return decorate(formula) if formula is not None else decorate


def _register(
    name: str, formula: Formula, torch_function: Callable | None, keeps: str, category: str, example: Example | None
) -> None:
    existing = layer_types().get(name)
    if existing is not None:
        if _same_function(existing.formula, formula):
            return
        raise CnnCostError(f"a layer type {name!r} is registered already: give your formula another name")
    if keeps not in KEEPS:
        raise CnnCostError(f"keeps={keeps!r}: one of {', '.join(KEEPS)}")
    if category not in CATEGORIES:
        raise CnnCostError(f"category={category!r}: one of {', '.join(CATEGORIES)}")
    function_name = _function_name(torch_function) if torch_function is not None else None
    register(
        name,
        category=category,
        example=example or Example(((1,),)),
        keeps=keeps,
        field="anywhere",  # every output element may depend on every input element
        torch_functions=(function_name,) if function_name else (),
    )(formula)
    if torch_function is not None:
        _register_handler(name, torch_function)


def _same_function(a: Callable, b: Callable) -> bool:
    """The same function, or the same one imported again (a configuration read twice): its file and name."""
    if a is b:
        return True
    code_a, code_b = getattr(a, "__code__", None), getattr(b, "__code__", None)
    return (
        code_a is not None
        and code_b is not None
        and (code_a.co_filename, a.__qualname__) == (code_b.co_filename, getattr(b, "__qualname__", None))
    )


def _function_name(function: Callable) -> str:
    """The name the recorder gives the function's calls (F.grid_sample: grid_sample)."""
    name = getattr(function, "__name__", None)
    if not name:
        raise CnnCostError(f"torch_function={function!r} has no name: give the function itself (F.grid_sample)")
    return name.lstrip("_")


def _register_handler(name: str, torch_function: Callable) -> None:
    """How a call of torch_function becomes a node: its tensors the inputs, its other arguments the attributes the
    formula names (by the function's signature, where Python can read it)."""
    from .trace.rules import HANDLERS, Lowered, tensors  # torch: only where a torch function is named

    try:
        parameters = list(inspect.signature(torch_function).parameters)
    except (TypeError, ValueError):  # a builtin without a signature: keyword arguments only
        parameters = []
    attributes = set(LAYER_TYPES[name].attributes)

    def lower(call, op: str):
        found: dict[str, Any] = {}
        inputs: list = []
        named = list(zip(parameters, call.args, strict=False)) + [(None, v) for v in call.args[len(parameters) :]]
        for key, value in [*named, *call.kwargs.items()]:
            held = tensors([value])
            if held:
                inputs += held
            elif key in attributes:
                found[key] = tuple(value) if isinstance(value, list) else value
        return Lowered(op, found, tuple(inputs))

    HANDLERS.add(name, lower)


def formulas_from_config(table: Any, folder: Path, where: str) -> None:
    """[tool.cnncost.formulas]: each torch function's name and its formula's 'module:function', imported from the
    configuration's folder and registered."""
    from .sources import _import

    if not isinstance(table, dict):
        raise CnnCostError(f'{where}: a table of torch function names and formulas, such as grid_sample = "costs:f"')
    for name, path in table.items():
        module_name, colon, attribute = str(path).rpartition(":")
        if not isinstance(path, str) or not colon or not module_name or not attribute:
            raise CnnCostError(f"{where}: {name}: a formula is 'module:function', got {path!r}")
        formula = getattr(_import(module_name, folder), attribute, None)
        if not callable(formula):
            raise CnnCostError(f"{where}: {name}: {module_name} has no function {attribute!r}")
        register_formula(name, formula, torch_function=_torch_function(name, where))


def _torch_function(name: str, where: str) -> Callable | None:
    """torch.nn.functional's function of that name, or torch's; None without torch (a spec file's type)."""
    from .trace import require_torch

    try:
        torch = require_torch()
    except CnnCostError:
        return None
    function = getattr(torch.nn.functional, name, None) or getattr(torch, name, None)
    if function is None:
        raise CnnCostError(f"{where}: {name}: neither torch.nn.functional nor torch has a function of that name")
    return function
