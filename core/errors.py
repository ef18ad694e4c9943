"""Every error pseudolens raises on purpose, one hierarchy, each kind with the CLI exit code it maps to.

Callers that show errors to people (the CLI, the dashboard) catch `PseudolensError` and print its message:
one sentence naming the file, row, column, config key or teacher parameter at fault. Anything else that
escapes is a bug."""
from __future__ import annotations

EXIT_USAGE = 2  # as argparse exits on a bad option
EXIT_INPUT = 3
EXIT_DATABASE = 4
EXIT_TEACHER = 5
EXIT_COMPUTE = 6
EXIT_INTERRUPTED = 130


class PseudolensError(Exception):
    """Base of every expected failure; `exit_code` is what the CLI returns for it."""

    exit_code = EXIT_INPUT


class InputError(PseudolensError):
    """The user's input (a file, a config, a label set, a command option) cannot be used; nothing was written."""


class UsageError(InputError):
    """A command option names something that does not apply here (e.g. a strategy this teacher cannot run)."""

    exit_code = EXIT_USAGE


class DataError(InputError):
    """Invalid input data. `problems` lists every problem found (up to a limit shown), each naming where it is."""

    MAX_SHOWN = 10

    def __init__(self, path, problems: list[str], outcome: str = "nothing was imported"):
        self.path = str(path)
        self.problems = problems
        shown = problems[:self.MAX_SHOWN]
        more = len(problems) - len(shown)
        lines = "\n".join(f"  - {p}" for p in shown) + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(f"{self.path}: {len(problems)} problem(s); {outcome}\n{lines}")


class LabelSetError(InputError):
    """A label set or label file that cannot be used."""


class ConfigError(InputError):
    """A run config, or a plug-in's parameters, that cannot be used."""


class NotFound(InputError):
    """A data set, run, teacher or other named thing that is not in the database."""


class StoreError(PseudolensError):
    """The database cannot be used: wrong file, newer schema, damaged, or busy."""

    exit_code = EXIT_DATABASE


class StoreBusyError(StoreError):
    """Another process holds the database's write lock for longer than we wait."""


class TeacherError(PseudolensError):
    """A teacher cannot label: a missing API key, a rejected request, retries used up."""

    exit_code = EXIT_TEACHER


class ComputeError(PseudolensError):
    """The Dask cluster a run was sent to cannot take its fits: no scheduler at the address, or no worker."""

    exit_code = EXIT_COMPUTE
