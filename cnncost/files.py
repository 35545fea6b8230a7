"""Writing files so that no reader ever sees half of one, whatever the path names.

A regular file (or one a symlink points to) is replaced atomically: a temporary file beside it, written, flushed to
disk and renamed over it, keeping the file's permissions; a new file gets the permissions the process's umask gives
any new file. A file with several hard links is rewritten in place, so that every link still names it. Anything
else (a device such as /dev/null, a FIFO, a terminal) is written directly, and '-' or this process's standard
output (/dev/stdout) is written through standard output. A temporary file left by a process that was killed is
removed by the next write beside it, once an hour old. A file that several processes read, change and write back
(a baseline, the roofline cache) is changed under a lock (`locked`).
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    if found is not None and _is_stdout(found):  # /dev/stdout, /dev/fd/1: what the caller redirected it to, as it is
        _write_stdout(text)
        return
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


def _is_stdout(found: os.stat_result) -> bool:
    """Whether a path is this process's standard output (the same file, opened by the shell with its own mode:
    appending, say), which must be written through it rather than opened again or replaced."""
    try:
        out = os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real standard output (a test capturing it)
        return False
    return (out.st_dev, out.st_ino) == (found.st_dev, found.st_ino)


def _write_stdout(text: str | bytes) -> None:
    if isinstance(text, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text)


def _write_in_place(path: str | os.PathLike, text: str | bytes, truncate: bool) -> None:
    """Open the path as it is and write to it: a device or FIFO receives the bytes; a file is truncated first."""
    flags = os.O_WRONLY | (os.O_TRUNC if truncate else 0)
    handle = os.open(path, flags)
    try:
        _write_all(handle, text)
        if truncate:
            os.fsync(handle)
    finally:
        os.close(handle)


def _write_all(handle: int, text: str | bytes) -> None:
    """Every byte of text (UTF-8) written to the open file, however many writes that takes."""
    view = memoryview(text if isinstance(text, bytes) else text.encode("utf-8"))
    while view:
        view = view[os.write(handle, view) :]


def _replace(target: Path, text: str | bytes, found: os.stat_result | None) -> None:
    """A temporary file beside target, written, synced and renamed over it; the old file's mode kept."""
    folder = target.parent
    _remove_stale(folder, target.name)
    temporary = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    # created with 0666: the kernel applies the umask, as to any new file (the process's umask is never changed)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            _write_all(handle, text)
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
        if len(parts) == 3 and parts[0].isdigit() and not _running(int(parts[0])) and _stale(candidate):
            candidate.unlink(missing_ok=True)


STALE_SECONDS = 3600  # a temporary file untouched this long is no live write's (a writer in another container
# sharing the folder has a pid this process cannot see)


def _stale(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def _escape(name: str) -> str:
    """A file name as a glob pattern that matches it alone."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


def _running(pid: int) -> bool:
    """Whether a process of this id runs (or cannot be asked about: then it is left alone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):  # no such process; a pid no system gives
        return False
    except OSError:
        return True
    return True


MAX_NESTING = 64  # levels of lists and tables a file of cnncost's may hold (its own files hold at most 6)


def read_text(path: str | os.PathLike, what: str = "") -> str:
    """A text file's contents as UTF-8, or one line saying why it cannot be read (missing, unreadable, not UTF-8)."""
    name = what or repr(str(path))
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise CnnCostError(f"cannot read {name}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CnnCostError(
            f"{Path(path).name}: not UTF-8 text (byte {data[error.start]:#04x} on line {line})"
        ) from None


def parse_document(text: str, kind: str, name: str) -> object:
    """A JSON or TOML document's data, or one line naming the file: not valid, or nested too deep."""
    import json
    import tomllib

    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except RecursionError:
        raise CnnCostError(f"{name}: nested more than {MAX_NESTING} levels deep") from None
    except ValueError as error:  # json.JSONDecodeError and tomllib.TOMLDecodeError are ValueErrors
        raise CnnCostError(f"{name}: not valid {kind}: {error}") from None
    if _depth(data) > MAX_NESTING:
        raise CnnCostError(f"{name}: nested more than {MAX_NESTING} levels deep")
    return data


def _depth(data: object) -> int:
    """How deep lists and tables nest in data (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:
                stack.extend((item, depth + 1) for item in value)
    return deepest


LOCK_TIMEOUT = 120  # seconds to wait for another process's change to a shared file


@contextmanager
def locked(path: str | os.PathLike) -> Iterator[None]:
    """Hold the lock of path (a hidden .NAME.lock file beside it) while reading, changing and writing it back, so
    that parallel runs keep each other's changes."""
    from filelock import FileLock, Timeout

    target = Path(os.path.realpath(path))  # two links to one file share its lock
    if target.exists() and not target.is_file():  # a device, a FIFO: written directly, nothing to merge
        yield
        return
    if not target.parent.is_dir():
        raise CnnCostError(f"cannot write {str(path)!r}: no folder {str(target.parent)!r}")
    if not os.access(target.parent, os.W_OK):
        raise CnnCostError(f"cannot write {str(path)!r}: its folder {str(target.parent)!r} is not writable")
    lock_path = target.parent / f".{target.name}.lock"
    try:  # made here first: filelock waits out its timeout on a lock file it cannot make (in /proc, say)
        os.close(os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o666))
    except OSError as error:
        raise CnnCostError(f"cannot write {str(path)!r}: {error.strerror or error} (its lock {lock_path})") from None
    lock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT)
    try:
        with lock:
            yield
    except Timeout:
        raise CnnCostError(f"{target}: another cnncost has held its lock for {LOCK_TIMEOUT} s") from None
