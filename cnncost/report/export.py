"""Machine-readable exports (CSV, JSON: raw integers) and Markdown (human units), written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import CnnCostError
from ..profile import Profile
from .columns import human_table, summary_lines
from .conventions import CONVENTIONS

FRAME_COLUMNS = ("name", "op", "inputs", "input_shape", "output_shape", "attributes", "params", "buffers", "macs",
                 "flops", "activation_bytes", "in_place", "counted")


def write_atomic(path: str | os.PathLike, text: str | bytes) -> None:
    """Write text (or bytes) to path through a temporary file in the same folder, so no reader sees half a file."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CnnCostError(f"cannot write {str(path)!r}: it is a directory")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise CnnCostError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    try:
        with (os.fdopen(handle, "wb") if isinstance(text, bytes)
              else os.fdopen(handle, "w", encoding="utf-8", newline="")) as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a written file should read as any other
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise CnnCostError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _deliver(text: str, path) -> str:
    if path is not None:
        write_atomic(path, text)
    return text


def _shapes(shapes) -> str:
    return ";".join(str(shape) for shape in shapes)


def layer_records(profile: Profile) -> list[dict[str, Any]]:
    """One plain dict per layer, the columns of FRAME_COLUMNS; integers stay integers."""
    return [
        {
            "name": cost.name, "op": cost.op, "inputs": ";".join(cost.inputs),
            "input_shape": _shapes(cost.input_shapes), "output_shape": str(cost.output_shape),
            "attributes": json.dumps(cost.attributes, sort_keys=True),
            "params": cost.params, "buffers": cost.buffers, "macs": cost.macs, "flops": cost.flops,
            "activation_bytes": cost.activation_bytes, "in_place": cost.in_place, "counted": cost.counted,
        }
        for cost in profile.layers
    ]


def to_frame(profile: Profile):
    """A pandas DataFrame, one row per layer, raw integers."""
    import pandas as pd

    return pd.DataFrame(layer_records(profile), columns=list(FRAME_COLUMNS))


def to_csv(profile: Profile, path=None) -> str:
    """CSV of to_frame() (one row per layer, raw integers)."""
    return _deliver(to_frame(profile).to_csv(index=False, lineterminator="\n"), path)


def profile_dict(profile: Profile) -> dict[str, Any]:
    """Metadata, totals and layers as plain data."""
    total = profile.total
    return {
        "name": profile.name,
        "input_shape": list(profile.input_shape.dims),
        "batch": profile.batch,
        "dtype": profile.dtype,
        "bytes_per_element": profile.bytes_per_element,
        "conventions": CONVENTIONS,
        "notes": list(profile.notes),  # how it was recorded; another tool's convention, where one was asked for
        "total": {
            "params": total.params, "trainable_params": total.trainable_params, "buffers": total.buffers,
            "macs": total.macs, "flops": total.flops, "activation_bytes": total.activation_bytes,
            "input_bytes": total.input_bytes, "param_bytes": total.param_bytes, "buffer_bytes": total.buffer_bytes,
            "total_bytes": total.total_bytes,
            "complete": not profile.uncounted,  # False: layers without a formula leave MACs and FLOPs unknown
            "uncounted": [cost.name for cost in profile.uncounted],
        },
        "layers": [
            {
                "name": cost.name, "op": cost.op, "inputs": list(cost.inputs),
                "input_shapes": [list(shape.dims) for shape in cost.input_shapes],
                "output_shape": list(cost.output_shape.dims), "attributes": cost.attributes,
                "params": cost.params, "buffers": cost.buffers, "macs": cost.macs, "flops": cost.flops,
                "activation_bytes": cost.activation_bytes, "in_place": cost.in_place, "counted": cost.counted,
            }
            for cost in profile.layers
        ],
    }


def to_json(profile: Profile, path=None) -> str:
    """JSON of profile_dict()."""
    return _deliver(json.dumps(profile_dict(profile), indent=2) + "\n", path)


def to_markdown(profile: Profile, path=None, fold: bool = True, exact: bool = False, depth: int | None = None) -> str:
    """The human table (as in the terminal) in Markdown, then the totals and the conventions."""
    import pandas as pd

    cols, body, total = human_table(profile, fold, exact, depth)
    frame = pd.DataFrame(body + [total], columns=[column.header for column in cols])
    align = ["right" if column.numeric else "left" for column in cols]
    table = frame.to_markdown(index=False, colalign=align, disable_numparse=True)
    title = f"## {profile.name}: {profile.sample_input_shape}, batch {profile.batch}, {profile.dtype}"
    summary = "\n".join(f"- {label}: {value}" for label, value in summary_lines(profile))
    return _deliver(f"{title}\n\n{table}\n\n{summary}\n\n{CONVENTIONS}\n", path)
