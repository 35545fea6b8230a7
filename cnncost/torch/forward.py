"""The whole forward pass of a network, timed: what a latency budget is checked against."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from ..errors import CnnCostError, CnnCostWarning, first_line
from ..results import Profile
from ..shapes import dtype_name
from ..sources import import_module_object, is_module_path, load_source
from .clock import time_statement
from .device import check_device, keeps_random_state, random_input
from .network import build_module


@dataclass(frozen=True)
class ForwardTiming:
    """The whole forward pass of a network, timed: what a latency budget is checked against."""

    profile: Profile
    forward_median: float
    forward_iqr: float


MIN_RUN_TIME = 0.5  # seconds of repeats a whole forward pass is timed for, where no other time is asked


@keeps_random_state
def time_whole_forward(
    profile: Profile, model, device: str = "cpu", min_run_time: float | None = None
) -> ForwardTiming:
    """Median time of the network's forward pass at the profile's input, batch and dtype.

    A torch module (an nn.Module, or a 'pkg.mod:Net' path) is timed itself; any other network is built from its
    graph with cnncost's torch builders.
    """
    torch_dtype = check_device(device, profile.dtype)
    if isinstance(model, torch.nn.Module):
        module = _timeable(model, device, torch_dtype)
    elif isinstance(model, str) and is_module_path(model):
        module = import_module_object(model).to(device=device, dtype=torch_dtype).eval()
    else:
        with warnings.catch_warnings():  # the profile has said what the source's notes say
            warnings.simplefilter("ignore", CnnCostWarning)
            graph = load_source(model).graph
        module = build_module(graph, profile, device, torch_dtype)
    x = random_input(
        profile.input_shape.dims, None if profile.shapes_include_batch else profile.batch, device, torch_dtype
    )
    try:
        with torch.no_grad(), _in_eval_mode(module):
            seconds = MIN_RUN_TIME if min_run_time is None else min_run_time
            median, iqr = time_statement("module(x)", {"module": module, "x": x}, torch.get_num_threads(), seconds)
    except (RuntimeError, TypeError) as error:  # a module of several inputs, or one that fails on this input
        raise CnnCostError(
            f"{profile.name} cannot be timed on one random input of {profile.input_shape}: "
            f"{type(error).__name__}: {first_line(error)}"
        ) from None
    return ForwardTiming(profile, median, iqr)


def _timeable(model: torch.nn.Module, device: str, dtype: torch.dtype) -> torch.nn.Module:
    """The caller's module itself where it is on the device at the dtype already (its mode set back afterwards),
    else a copy moved there: moving or casting the caller's own module would change it."""
    tensors = [*model.parameters(), *model.buffers()]
    floats = [t for t in tensors if t.is_floating_point()]
    if all(t.device == torch.device(device) for t in tensors) and all(t.dtype == dtype for t in floats):
        return model
    try:
        twin = copy.deepcopy(model)
    except Exception as error:  # noqa: BLE001  a module holding what cannot be copied (a lock, a file, a generator)
        raise CnnCostError(
            f"{type(model).__name__} cannot be copied to time it on {device} at {dtype_name(dtype)} "
            f"({type(error).__name__}: {first_line(error)}); give it on that device and dtype, or time it where it is"
        ) from None
    return twin.to(device=device, dtype=dtype)


@contextmanager
def _in_eval_mode(module: torch.nn.Module) -> Iterator[None]:
    """The module and its submodules in eval mode, each set back as it was afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training
