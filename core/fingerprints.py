"""Stable short hashes of JSON-able parts: what identifies a teacher, a run, a slicer's inputs or a set of
verdicts, so that a changed input is a new identity and never mixes with old results."""
from __future__ import annotations

import hashlib
import json


def digest(*parts, length: int = 16) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:length]


def full_digest(value) -> str:
    """The whole SHA-256 of one JSON-able value (a run config's, which run ids are built from)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def teacher_key(name: str, kind: str, config: dict) -> str:
    """A teacher's id: its name and a hash of its kind and config, so a changed prompt or model is a new
    teacher whose labels never mix with the old ones."""
    return f"{name}-{hashlib.sha256(json.dumps([kind, config], sort_keys=True).encode()).hexdigest()[:10]}"
