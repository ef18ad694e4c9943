"""NAME=VALUE pairs as a user types them: `--llm-label gpt4=gpt4_label` on the command line, the Runs page's
"TEACHER=COLUMN, ..." box. One reading for both, so neither drops an entry the other would refuse."""
from __future__ import annotations

from core.errors import InputError


def name_value_pair(text: str) -> tuple[str, str]:
    """(name, value) from "name=value", both stripped. An entry without '=', with more than one (a teacher name
    cannot contain '=': it would be read back as another name), or with an empty side is an InputError naming it."""
    if "=" not in text:
        raise InputError(f"expected NAME=COLUMN, got {text!r}")
    if text.count("=") > 1:
        raise InputError(f"{text!r} has more than one '=': a teacher name cannot contain '=' "
                         "(nor a column named here); rename it")
    name, value = (part.strip() for part in text.split("=", 1))
    if not name or not value:
        raise InputError(f"expected NAME=COLUMN with both parts, got {text!r}")
    return name, value


def name_value_pairs(text: str) -> dict[str, str]:
    """Comma-separated NAME=VALUE entries (blank entries skipped); a name given twice is an InputError too."""
    pairs: dict[str, str] = {}
    for entry in (part for part in text.split(",") if part.strip()):
        name, value = name_value_pair(entry)
        if name in pairs:
            raise InputError(f"{name!r} is given twice ({name}={pairs[name]} and {entry.strip()}); name each once")
        pairs[name] = value
    return pairs
