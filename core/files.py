"""Reading a user's small text files (label files, run configs) with errors that say which file and why."""
from __future__ import annotations

from pathlib import Path

from core.errors import InputError


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
