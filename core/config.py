"""The run configuration, read from TOML or YAML and validated, with messages that name the field."""
from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .students import STUDENT_KINDS


class ConfigError(ValueError):
    pass


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeacherSpec(Strict):
    """`kind`: recorded (labels imported with the data), simulated (noise model), zero_shot_embedding, claude
    (params: model, k, temperature, max_tokens, prompt_template, concurrency, requests_per_minute,
    tokens_per_minute, max_retries, prices, base_url, batch_threshold, few_shot: a number of gold-labeled
    examples from the training pool shown in the prompt, never from the test split), openai_compatible (the same params, with
    base_url required and api_key_env naming the key's environment variable), or
    corrected (another teacher of the run with human verdicts applied: params `base`, and `verdicts`, the
    fingerprint `apply_verdicts` writes). `params` go to the teacher (for simulated: the NoiseModel fields)."""

    name: str
    kind: Literal["recorded", "simulated", "zero_shot_embedding", "claude", "openai_compatible",
                  "corrected"]
    params: dict = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _not_gold(cls, name: str) -> str:
        if name == "gold" or not name.strip():
            raise ValueError("a teacher needs a name other than 'gold'")
        return name


class StudentSpec(Strict):
    kind: str = "tfidf_logreg"
    C: float | None = None
    label_modes: list[Literal["hard", "soft"]] = ["hard", "soft"]

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in STUDENT_KINDS:
            raise ValueError(f"unknown student {kind!r}; choose one of {list(STUDENT_KINDS)}")
        return kind


class TestSpec(Strict):
    """The gold test split: rows whose split column equals `split_value`; if there are none, a random
    `fraction` of the gold-labeled rows drawn with `seed` (the same for every training seed)."""

    split_value: str = "test"
    fraction: float = Field(0.25, gt=0, lt=1)
    seed: int = 0


class RunConfig(Strict):
    name: str
    dataset: str
    teachers: list[TeacherSpec] = Field(min_length=1)
    student: StudentSpec = StudentSpec()
    sizes: list[Union[int, Literal["all"]]] = [100, 200, 500, 1000, "all"]
    seeds: list[int] = Field([0, 1, 2], min_length=3)
    test: TestSpec = TestSpec()
    bootstrap: int = Field(1000, ge=100)

    @field_validator("sizes")
    @classmethod
    def _positive(cls, sizes):
        if not sizes or any(isinstance(s, int) and s < 2 for s in sizes):
            raise ValueError("sizes must be integers >= 2 or 'all'")
        return sizes

    @field_validator("teachers")
    @classmethod
    def _unique_names(cls, teachers):
        names = [t.name for t in teachers]
        if len(set(names)) != len(names):
            raise ValueError(f"teacher names must be unique, got {names}")
        for teacher in teachers:
            if teacher.kind == "corrected" and teacher.params.get("base") not in names:
                raise ValueError(f"corrected teacher {teacher.name!r} needs params.base naming another teacher of the run")
        return teachers

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'YAML'}: {exc}") from exc
    return parse_config(raw, source=str(path))


def parse_config(raw: dict, source: str = "config") -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: invalid run config\n{problems}") from exc
