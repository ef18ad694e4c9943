"""The run configuration, read from TOML or YAML and validated, with messages that name the field."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from core.evaluation.splits import EvaluationPlan, evaluation_plan, pool_and_test
from core.files import read_text, yaml_problem
from core.fingerprints import run_config_digest
from core.students import STUDENTS
from core.teachers import TEACHERS


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeacherSpec(Strict):
    """A teacher of the run: a registered `kind` (see `core.teachers.TEACHERS`: each kind's parameters, typed,
    with descriptions) and its `params`, validated against that kind when the config is read. The raw
    parameters are kept as written, so the run's id does not change when a default does. `price_per_1000_labels`
    (USD) prices a teacher whose labels were not bought through measured calls (recorded, simulated, offline);
    it is not part of the run's identity (`run_config_digest`), so setting it later keeps the run."""

    name: str
    kind: str
    params: dict = Field(default_factory=dict)
    price_per_1000_labels: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _known_kind_and_params(self) -> "TeacherSpec":
        try:
            TEACHERS.parse_params(self.kind, self.params, where="params")
        except ConfigError as exc:  # pydantic reports ValueErrors with the field's place in the config
            raise ValueError(str(exc)) from None
        return self

    @property
    def simulated(self) -> bool | None:
        return TEACHERS.plugin(self.kind).info["simulated"]

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
        try:
            STUDENTS.plugin(kind)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return kind


class TestSpec(Strict):
    """The gold test split: rows whose split column equals `split_value`; if there are none and the scheme is
    `split`, a random `fraction` of the gold-labeled rows drawn with `seed` (the same for every training seed).
    A config that sets `fraction` or `seed` under any other scheme is an error (`parse_config`): they would
    change nothing."""

    split_value: str = "test"
    fraction: float = Field(0.25, gt=0, lt=1)
    seed: int = 0

    def split(self, examples):
        """(training pool, gold test split) of a data set's examples."""
        return pool_and_test(examples, self.split_value, self.fraction, self.seed)


class EvaluationSpec(Strict):
    """How students are scored. `crossfit`: repeated stratified K-fold over the gold-labeled rows: every gold
    row is predicted, once per repeat, by students trained without it, and intervals cover folds, seeds and
    rows. `split`: the rows of the fixed test split only (see `test`), so intervals cover one split. `auto`:
    `split` when the data set has rows in a test split, else `crossfit`."""

    scheme: Literal["auto", "crossfit", "split"] = "auto"
    folds: int = Field(5, ge=2, le=20)
    repeats: int = Field(2, ge=1, le=20)
    seed: int = Field(0, ge=0)


class ComputeSpec(Strict):
    """Where the run's student fits run; never its numbers (not part of the run's identity, `run_config_digest`).
    `scheduler`: a Dask distributed scheduler's address (tcp://HOST:8786), used unless `--scheduler` or
    PSEUDOLENS_SCHEDULER says another. `n_jobs`: local processes when there is none; "auto" uses every core when
    the fits train on at least `core.compute.LOCAL_PROCESSES_FROM_ROWS` rows in all, else this process."""

    scheduler: str | None = None
    n_jobs: Union[int, Literal["auto"]] = Field("auto")

    @field_validator("n_jobs")
    @classmethod
    def _at_least_one(cls, n_jobs):
        if n_jobs != "auto" and n_jobs < 1:
            raise ValueError(f"n_jobs is a number of processes >= 1 or \"auto\", got {n_jobs}")
        return n_jobs


class RunConfig(Strict):
    name: str
    dataset: str
    teachers: list[TeacherSpec] = Field(min_length=1)
    student: StudentSpec = StudentSpec()
    sizes: list[Union[int, Literal["all"]]] = [100, 200, 500, 1000, "all"]
    seeds: list[int] = Field([0, 1, 2], min_length=3)
    test: TestSpec = TestSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    bootstrap: int = Field(1000, ge=100, le=100_000)  # 1e8 resamples would ask for 49 GiB
    compute: ComputeSpec = ComputeSpec()

    @field_validator("sizes")
    @classmethod
    def _positive(cls, sizes):
        if not sizes or any(isinstance(s, int) and s < 2 for s in sizes):
            raise ValueError("sizes must be integers >= 2 or 'all'")
        return sizes

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds):
        if len(set(seeds)) != len(seeds) or any(s < 0 for s in seeds):
            raise ValueError(f"seeds must be distinct integers >= 0, got {seeds}")
        return seeds

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
        return run_config_digest(self.model_dump())

    def plan(self, examples) -> EvaluationPlan:
        """Which rows each round of students learns from and is scored on."""
        return evaluation_plan(examples, self.evaluation.scheme, self.evaluation.folds, self.evaluation.repeats,
                               self.evaluation.seed, self.test.split_value, self.test.fraction, self.test.seed)


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    text = read_text(path, "config file", ConfigError)
    try:
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {yaml_problem(exc)}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a run config is a table of settings (name, dataset, teachers, ...), "
                          f"not {type(raw).__name__}")
    return parse_config(raw, source=str(path))


def parse_config(raw: dict, source: str = "config") -> RunConfig:
    try:
        config = RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(f"  - {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: invalid run config\n{problems}") from exc
    _random_split_settings_apply(raw, config, source)
    return config


def _random_split_settings_apply(raw: dict, config: RunConfig, source: str) -> None:
    """A random test split is drawn only under `evaluation.scheme = "split"`: `auto` cross-fits a data set
    without test rows (or uses the rows it has), so `test.fraction` or `test.seed` anywhere else would be
    silently ignored. Checked on what the user wrote, since a stored config carries every default."""
    written = [key for key in ("fraction", "seed") if key in (raw.get("test") or {})]
    if written and config.evaluation.scheme != "split":
        raise ConfigError(
            f"{source}: test.{written[0]} = {raw['test'][written[0]]!r} is set, but evaluation.scheme is "
            f"{config.evaluation.scheme!r}, which never draws a random test split (it cross-fits a data set without "
            f"rows in split {config.test.split_value!r}, and uses those rows where there are some); set "
            f"evaluation.scheme = \"split\" to score a random {config.test.fraction:.0%} test split, or remove "
            f"test.{' and test.'.join(written)}")
