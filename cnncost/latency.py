"""A network's whole forward pass timed on a device, with torch: what a latency budget is checked against.

assert_budget(cnncost.time_forward(Net(), input=(3, 224, 224)), max_latency="20ms")
"""

from __future__ import annotations

from .graph import Graph
from .profiler import profile
from .sources import module_from
from .trace import require_torch


def time_forward(
    model,
    input=None,
    batch: int = 1,
    dtype: str | None = None,
    device: str = "cpu",
    min_run_time: float | None = None,
    training_forward: bool = False,
):
    """Profile model and time its whole forward pass with torch.utils.benchmark: what a latency budget is checked
    against, as in assert_budget(cnncost.time_forward(Net(), input=(3, 224, 224)), max_latency="20ms").

    Takes what profile takes; a built-in or spec network is built with cnncost's torch builders. The result has
    .profile and .forward_median (seconds). The caller's module is timed itself where it is on the device at the
    dtype already (in eval mode, each submodule's mode set back afterwards; its forward hooks run), else on a copy
    moved there; the global random state is as it was.
    """
    torch = require_torch()
    if callable(model) and not isinstance(model, (str, Graph, torch.nn.Module)):
        model = module_from(model, getattr(model, "__qualname__", type(model).__name__))
    from .torch.forward import time_whole_forward

    found = profile(model, input=input, batch=batch, dtype=dtype, training_forward=training_forward)
    return time_whole_forward(found, model, device, min_run_time)
