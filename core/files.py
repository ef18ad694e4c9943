"""Reading a user's small text files (label files, run configs) with errors that say which file and why, and
lock files that say a job is already running."""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.errors import InputError, StoreBusyError


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


def yaml_problem(exc) -> str:
    """Where and what a YAML parser's error is, in one line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"


@contextmanager
def held_lock(path: Path, what: str) -> Iterator[None]:
    """Holds an exclusive lock on `path` for the duration, or raises StoreBusyError saying `what` is already
    running. The operating system drops the lock when the holder dies, even by SIGKILL, so a killed run never
    leaves a stale lock (unlike a 'running' status in the database)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(f"{what} is already running in another process; wait for it to finish "
                                 "(or stop it), then run again to see or resume it") from None
        yield
