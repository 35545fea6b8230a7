"""Writing files so that no reader ever sees half of one, whatever the path names.

A regular file (or one a symlink points to) is replaced atomically: a temporary file beside it, written, flushed to
disk and renamed over it, keeping the file's permissions; a new file gets the permissions the process's umask gives
any new file. A file with several hard links is rewritten in place, so that every link still names it. Anything
else (a device such as /dev/null, a FIFO, a terminal, /dev/stdout) is written directly, and '-' is standard output.
A temporary file left by a process that was killed is removed by the next write beside it.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from pathlib import Path

from .errors import CnnCostError

STDOUT = "-"


def write_atomic(path: str | os.PathLike, text: str | bytes) -> None:
    """Write text (or bytes) to path as its kind of file asks: atomically to a regular file, directly to anything
    else, to standard output for '-'."""
    if str(path) == STDOUT:
        _write_stdout(text)
        return
    try:
        found = os.stat(path)  # through symlinks
    except FileNotFoundError:
        found = None
    except OSError as error:
        raise CnnCostError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    try:
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise CnnCostError(f"cannot write {str(path)!r}: it is a directory")
        if found is not None and not stat.S_ISREG(found.st_mode):
            _write_in_place(path, text, truncate=False)  # a device, a FIFO, a terminal: not a file to replace
        elif found is not None and found.st_nlink > 1:
            _write_in_place(path, text, truncate=True)
        else:
            _replace(Path(os.path.realpath(path)), text, found)
    except OSError as error:
        raise CnnCostError(f"cannot write {str(path)!r}: {error.strerror or error}") from None


def _write_stdout(text: str | bytes) -> None:
    if isinstance(text, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text)


def _write_in_place(path: str | os.PathLike, text: str | bytes, truncate: bool) -> None:
    """Open the path as it is and write to it: a device or FIFO receives the bytes; a file is truncated first."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    flags = os.O_WRONLY | (os.O_TRUNC if truncate else 0)
    handle = os.open(path, flags)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        if truncate:
            os.fsync(handle)
    finally:
        os.close(handle)


def _replace(target: Path, text: str | bytes, found: os.stat_result | None) -> None:
    """A temporary file beside target, written, synced and renamed over it; the old file's mode kept."""
    folder = target.parent
    _remove_stale(folder, target.name)
    temporary = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    # created with 0666: the kernel applies the umask, as to any new file (the process's umask is never changed)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            data = text if isinstance(text, bytes) else text.encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            if found is not None:
                os.fchmod(handle, stat.S_IMODE(found.st_mode))
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_stale(folder: Path, name: str) -> None:
    """Remove temporary files for name left by processes that no longer run (killed while writing)."""
    try:
        candidates = list(folder.glob(f".{_escape(name)}.*.tmp"))
    except OSError:
        return
    for candidate in candidates:
        parts = candidate.name[len(name) + 2 :].split(".")
        if len(parts) == 3 and parts[0].isdigit() and not _running(int(parts[0])):
            candidate.unlink(missing_ok=True)


def _escape(name: str) -> str:
    """A file name as a glob pattern that matches it alone."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _running(pid: int) -> bool:
    """Whether a process of this id runs (or cannot be asked about: then it is left alone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
