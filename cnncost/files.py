"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import CnnCostError


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
        if isinstance(text, bytes):
            with os.fdopen(handle, "wb") as binary:
                binary.write(text)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
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
