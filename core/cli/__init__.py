"""Command line: `python -m core --help` (also installed as `pseudolens`). Importing it loads nothing heavy;
each command imports what it uses. Every expected failure is one `PseudolensError` sentence and its exit code."""
from __future__ import annotations

import sys

from core.cli.commands import COMMANDS
from core.cli.parser import parser
from core.errors import EXIT_INTERRUPTED, PseudolensError, StoreError


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PseudolensError as exc:
        print(f"{'database error' if isinstance(exc, StoreError) else 'error'}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; finished labels and fits are kept, rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
