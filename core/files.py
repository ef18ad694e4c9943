"""Reading a user's small text files (label files, run configs) with errors that say which file and why, writing
a command's output file the same way, and lock files that say a job is already running."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.errors import InputError, StoreBusyError, StoreError


def read_text(path: Path, what: str, error: type[InputError]) -> str:
    """The file's UTF-8 text, or `error` naming the file: missing, a folder, or not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def write_output(path: Path, content: str | bytes, what: str) -> None:
    """Writes a command's output file (`what`: "the queue", "the report"), or InputError naming it and why not
    (a read-only file or folder, a missing folder, a full disk)."""
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {what} to {path}: {exc.strerror or exc}") from None


def yaml_problem(exc) -> str:
    """Where and what a YAML parser's error is, in one line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"


@contextmanager
def held_lock(path: Path, what: str) -> Iterator[None]:
    """Holds an exclusive lock on `path` for the duration, or raises StoreBusyError saying `what` is already
    running. The operating system drops the lock when the holder dies, even by SIGKILL, so a killed run never
    leaves a stale lock (unlike a 'running' status in the database); a run that ends removes the file."""
    while True:
        try:
            handle = open(path, "a")
        except OSError as exc:
            raise StoreError(f"cannot write the lock file {path} that says {what} is running: "
                             f"{exc.strerror or exc}; nothing was written") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StoreBusyError(f"{what} is already running in another process; wait for it to finish "
                                 "(or stop it), then run again to see or resume it") from None
        if _same_file(handle, path):
            break
        handle.close()  # the previous holder removed the file after we opened it: lock the one there now
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # still holding the lock, so no one else holds this file
        handle.close()


def _same_file(handle, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def lock_is_held(path: Path) -> bool:
    """Whether a live process holds the lock file at `path` (without creating it, and without waiting)."""
    try:
        handle = open(path, "r")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
