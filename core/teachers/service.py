"""Getting a run's teachers to label its data set: building each from its spec (the simulated teacher with the
truth frame it corrupts, LLM teachers with the call cache and few-shot examples, the corrected teacher from
human verdicts, the aggregate teacher from the run's other teachers), labeling what is missing, and dry-run
cost estimates."""
from __future__ import annotations

import time

import pandas as pd

from core.errors import ConfigError
from core.progress import Progress
from core.store import DatasetInfo, Store
from core.teachers.aggregate import AggregateParams, AggregateTeacher
from core.teachers.base import Teacher, teacher_id
from core.teachers.call_cache import StoreCallCache
from core.teachers.corrected import CorrectedTeacher
from core.teachers.few_shot import few_shot_examples, few_shot_rows
from core.teachers.labeling import label_missing, register
from core.teachers.registry import TEACHERS, TeacherContext, build_teacher


def truth_frame(store: Store, dataset: DatasetInfo, examples: pd.DataFrame) -> pd.DataFrame:
    """Examples with their user columns and their stored slices' buckets (as `slice:<name>`): what a
    simulated teacher's noise model may read."""
    columns = store.example_columns(dataset.dataset_id)
    stored = store.slices(dataset.dataset_id)
    if not stored.empty:
        buckets = stored.pivot(index="example_id", columns="slice", values="bucket").add_prefix("slice:")
        columns = columns.merge(buckets.reset_index(), on="example_id", how="outer")
    return examples.merge(columns, on="example_id", how="left").set_index("example_id")


def make_teacher(store: Store, spec, dataset: DatasetInfo, examples: pd.DataFrame, pool: pd.DataFrame,
                 teacher_ids: dict[str, str], encode=None) -> Teacher:
    """The teacher a spec (name, kind, params) describes; `teacher_ids` holds the run's teachers built so far
    (a corrected teacher needs its base, an aggregate its members)."""
    source = TEACHERS.plugin(spec.kind).info["source"]
    if source == "teachers":
        params = AggregateParams.model_validate(spec.params)  # validated against the kind when the config was read
        missing = [m for m in params.teachers if m not in teacher_ids]
        if missing:
            raise ConfigError(f"teacher {spec.name!r}: aggregates {missing}, which are not other teachers of this run")
        simulated = store.teachers().set_index("teacher_id")["simulated"]
        labels = pd.DataFrame({m: store.teacher_labels(teacher_ids[m], dataset.dataset_id).set_index("example_id")["label"]
                               for m in params.teachers}).reindex(examples["example_id"])
        return AggregateTeacher(spec.name, {m: (teacher_ids[m], bool(simulated[teacher_ids[m]])) for m in params.teachers},
                                labels, dataset.label_set, params.method)
    if source == "verdicts":
        base_id = teacher_ids[spec.params["base"]]
        simulated = bool(store.teachers().set_index("teacher_id").loc[base_id, "simulated"])
        teacher = CorrectedTeacher(spec.name, base_id, simulated, store.teacher_labels(base_id, dataset.dataset_id),
                                   store.verdicts(dataset.dataset_id), dataset.label_set)
        if spec.params.get("verdicts") not in (None, teacher.fingerprint):
            raise ConfigError(f"teacher {spec.name!r}: the verdicts changed since this config was written; "
                              "apply them again")
        return teacher
    context = TeacherContext(
        label_set=dataset.label_set,
        truth=truth_frame(store, dataset, examples) if TEACHERS.plugin(spec.kind).info["simulated"] else None,
        encode=encode, cache=StoreCallCache(store),
        few_shot=few_shot_examples(pool, int(spec.params.get("few_shot", 0)), dataset.label_set.names))
    return build_teacher(spec.kind, spec.name, spec.params, context)


def label_with_teachers(store: Store, specs, dataset: DatasetInfo, examples: pd.DataFrame, pool: pd.DataFrame,
                        encode=None, progress: Progress | None = None, timings: dict | None = None) -> dict[str, str]:
    """Each spec's teacher labels what it has not labeled yet; returns teacher name -> teacher id."""
    teacher_ids: dict[str, str] = {}
    # an aggregate needs its members first, a corrected teacher its base (which may be an aggregate)
    built_later = {"teachers": 1, "verdicts": 2}
    for spec in sorted(specs, key=lambda s: built_later.get(TEACHERS.plugin(s.kind).info["source"], 0)):
        started = time.perf_counter()
        if TEACHERS.plugin(spec.kind).info["source"] == "import":
            teacher_ids[spec.name] = store.recorded_teacher_id(dataset.dataset_id, spec.name)
        else:
            teacher = make_teacher(store, spec, dataset, examples, pool, teacher_ids, encode)
            teacher_ids[spec.name] = register(store, teacher)
            label_missing(store, dataset.dataset_id, teacher, dataset.label_set, examples, progress=progress)
        if timings is not None:
            timings[f"label:{spec.name}"] = round(time.perf_counter() - started, 3)
    return teacher_ids


def few_shot_ids(specs, pool: pd.DataFrame, label_names: list[str]) -> set[str]:
    """The rows whose gold label some teacher's prompt shows."""
    counts = [int(spec.params.get("few_shot", 0)) for spec in specs]
    return set(few_shot_rows(pool, max(counts, default=0), label_names)["example_id"]) if any(counts) else set()


def estimate_cost(store: Store, specs, dataset: DatasetInfo, examples: pd.DataFrame, pool: pd.DataFrame) -> pd.DataFrame:
    """A dry run: for each teacher that can estimate (LLM teachers), the calls and cost labeling would take."""
    rows = []
    for spec in specs:
        if TEACHERS.plugin(spec.kind).info["source"] != "config":
            continue
        teacher = make_teacher(store, spec, dataset, examples, pool, {})
        if hasattr(teacher, "estimate"):
            done = store.labeled_example_ids(teacher_id(teacher), dataset.dataset_id)
            rows.append(teacher.estimate([t for i, t in zip(examples["example_id"], examples["text"]) if i not in done],
                                         dataset.label_set))
    return pd.DataFrame(rows)
