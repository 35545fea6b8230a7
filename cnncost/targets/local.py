"""`local`: the machine cnncost runs on as a latency target, its peaks the roofline `cnncost bench` measures here
and caches."""

from __future__ import annotations

from .catalog import Target


def local_target() -> Target:
    """This machine's CPU at fp32: the FLOP/s of its fastest large matmul and the bandwidth of a large copy, at
    torch's thread count, each figure sourced to the measurement (needs torch; a GPU here is not a target yet)."""
    from ..trace import require_torch

    require_torch()  # one line naming the install where torch is missing
    from ..torch.device import device_cache
    from ..torch.roofline import fp32_roof  # measures (or reads the cached) roof: torch's work

    roof = fp32_roof("cpu")
    source = f"measured on this machine: {roof.method}; {roof.origin or 'measured now'}"
    figures: dict[str, float | str] = {"fp32": roof.peak_flops, "bandwidth": roof.bandwidth}
    sources = dict.fromkeys(figures, source)
    cache, cache_name = device_cache("cpu")
    if cache:
        figures["cache"] = cache
        sources["cache"] = f"{cache_name}, as the system reports it"
    return Target(
        id="local",
        name=f"this machine ({roof.key.split(' | ')[0]}, {roof.key.split(' | ')[2]})",
        kind="local-cpu",
        rates={"fp32": roof.peak_flops},
        bandwidth=roof.bandwidth,
        figures=figures,
        sources=sources,
    )
