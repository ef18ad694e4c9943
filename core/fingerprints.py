"""Stable short hashes of JSON-able parts: what identifies a teacher, a run, a slicer's inputs or a set of
verdicts, so that a changed input is a new identity and never mixes with old results; and the version of the code
that computed something (a run, a stored page frame)."""
from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from pathlib import Path


def digest(*parts, length: int = 16) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:length]


def full_digest(value) -> str:
    """The whole SHA-256 of one JSON-able value (a run config's, which run ids are built from)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# What a run config may say that does not change its results: a teacher's price is read when a decision is
# priced, so setting or changing it keeps the run (its id, its fits) and only records the new price.
NOT_IDENTITY_TEACHER_FIELDS = ("price_per_1000_labels",)
# Where a run's fits run (`[compute]`: this process, local processes or a Dask cluster) gives the same numbers.
NOT_IDENTITY_FIELDS = ("compute",)


def run_config_digest(config: dict) -> str:
    """The whole digest of a run config (a `RunConfig.model_dump()`, or one stored) without the fields that do not
    change its results (a teacher's price, where the fits run), so a config written before those fields existed
    keeps its digest."""
    teachers = [{key: value for key, value in teacher.items() if key not in NOT_IDENTITY_TEACHER_FIELDS}
                for teacher in config.get("teachers", [])]
    kept = {key: value for key, value in config.items() if key not in NOT_IDENTITY_FIELDS}
    return full_digest({**kept, "teachers": teachers})


def teacher_key(name: str, kind: str, config: dict) -> str:
    """A teacher's id: its name and a hash of its kind and config, so a changed prompt or model is a new
    teacher whose labels never mix with the old ones."""
    return f"{name}-{hashlib.sha256(json.dumps([kind, config], sort_keys=True).encode()).hexdigest()[:10]}"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the code that runs (with '+dirty' for uncommitted changes under core/), else the package
    version. Read once per process."""
    from core import __version__

    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core"], cwd=root, capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return f"pseudolens {__version__}"
