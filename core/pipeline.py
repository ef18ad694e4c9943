"""A run from end to end, the services the CLI, the demo builder and the dashboard call: teachers label the
data set, students are fitted and scored, and the training pool is ranked for human review. Also the runs
built from others: verdicts applied to a teacher, and the controlled noise experiment."""
from __future__ import annotations

import time

from core.compute import Dispatch, dispatching, scheduler_address
from core.datasets.stored_embeddings import stored_encoder
from core.errors import InputError, NotFound
from core.evaluation.config import RunConfig
from core.evaluation.noise_experiment import noise_config
from core.evaluation.runs import evaluate_run, keep_plan, prompt_pool, run_id_for, scoring_plan
from core.evaluation.service import store_slice_tables, store_teacher_overview
from core.files import held_lock
from core.fingerprints import code_version
from core.paths import run_lock_path
from core.progress import Progress
from core.review.map import store_map_points
from core.review.queue import store_queue_heads
from core.review.ranking import rank_pool
from core.slices.service import compute_slices
from core.store import Store
from core.store.pages import SLICE_FRAMES
from core.teachers import TEACHERS
from core.teachers.corrected import majority_corrections, verdict_fingerprint
from core.teachers.service import estimate_cost, label_with_teachers


def label_mode_warnings(store: Store, config: RunConfig, dataset) -> list[str]:
    """Soft labels need a teacher's probabilities: a config that asks only for soft labels from a teacher that
    gives none cannot run (an error before any work); with hard labels too, the soft arm is left out, said."""
    messages = []
    for spec in config.teachers:
        if TEACHERS.plugin(spec.kind).info["source"] != "import" or "soft" not in config.student.label_modes:
            continue
        if store.teachers_with_probabilities(dataset.dataset_id, spec.name):
            continue
        if config.student.label_modes == ["soft"]:
            raise InputError(f"teacher {spec.name!r} has no probabilities or confidences (its column was imported "
                             "without --llm-confidence), so student.label_modes = ['soft'] cannot train on it; "
                             "add 'hard' or import a confidence column")
        messages.append(f"soft labels skipped for {spec.name}: it gives no probabilities or confidences")
    return messages


def run_experiment(store: Store, config: RunConfig, progress: Progress | None = None,
                   scheduler: str | None = None) -> str:
    """Runs (or resumes, or finds finished) the experiment of `config`; returns its run id. The run holds its
    lock file (`run_lock_path`) throughout, so a second start of the same config on the same database is
    refused, and a run left 'running' by a killed process is told apart from one in progress. Its fits run on
    the Dask cluster at `scheduler` (else PSEUDOLENS_SCHEDULER, else the config's `[compute] scheduler`: see
    `core.compute.scheduler_address`), connected before anything is written, or else on this machine."""
    n_jobs = None if config.compute.n_jobs == "auto" else config.compute.n_jobs
    with dispatching(scheduler_address(scheduler, config.compute.scheduler), n_jobs) as dispatch, \
            held_lock(run_lock_path(store.path, config.fingerprint()), f"run {config.name!r} on {store.path}"):
        return _run_experiment(store, config, progress, dispatch)


def _run_experiment(store: Store, config: RunConfig, progress: Progress | None, dispatch: Dispatch) -> str:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    dataset = store.dataset(config.dataset)
    examples = store.examples(dataset.dataset_id)
    warnings = label_mode_warnings(store, config, dataset)
    encode = stored_encoder(store, dataset.dataset_id, examples)
    teacher_ids = label_with_teachers(store, config.teachers, dataset, examples, prompt_pool(examples, config),
                                      encode, progress, timings)
    scored_examples, plan = scoring_plan(examples, config, dataset.label_set.names)

    run_id = run_id_for(config, dataset)
    status = store.start_run(run_id=run_id, name=config.name, dataset_id=dataset.dataset_id,
                             config=config.model_dump(), code_version=code_version(), teachers=teacher_ids)
    if status == "finished":
        return run_id
    plan = keep_plan(store, run_id, scored_examples, plan)
    try:
        warnings += evaluate_run(store, run_id, config, dataset, scored_examples, plan, teacher_ids, encode, timings,
                                 dispatch, progress)
        ranking_started = time.perf_counter()
        for name in teacher_ids:
            rank_pool(store, run_id, name)
        timings["rankings"] = round(time.perf_counter() - ranking_started, 3)
        page_frames_started = time.perf_counter()
        store_page_frames(store, run_id)  # so the dashboard's first visits read them instead of aggregating
        timings["page_frames"] = round(time.perf_counter() - page_frames_started, 3)
    except BaseException as exc:
        store.finish_run(run_id, "interrupted", timings, error=f"{type(exc).__name__}: {exc}",
                         compute=dispatch.record())
        raise
    timings["total"] = round(time.perf_counter() - started, 3)
    store.finish_run(run_id, "finished", timings, warnings=warnings, compute=dispatch.record())
    return run_id



def dry_run(store: Store, config: RunConfig):
    """The calls, tokens and cost labeling would take, per LLM teacher, without calling anything."""
    dataset = store.dataset(config.dataset)
    examples = store.examples(dataset.dataset_id)
    return estimate_cost(store, config.teachers, dataset, examples, prompt_pool(examples, config))


def apply_verdicts(store: Store, run_id: str, teacher: str, progress: Progress | None = None) -> str:
    """A new run like `run_id` whose teachers are `teacher` and `teacher` corrected by the human verdicts
    so far, so the learning curves show before and after side by side. Returns the new run's id."""
    config = RunConfig.model_validate(store.run(run_id)["config"])
    dataset = store.dataset(config.dataset)
    verdicts = store.verdicts(dataset.dataset_id)
    if verdicts.empty:
        raise InputError("there are no verdicts to apply yet")
    base = next((t for t in config.teachers if t.name == teacher), None)
    if base is None:
        raise NotFound(f"run {run_id} has no teacher {teacher!r} (its teachers: {[t.name for t in config.teachers]})")
    fingerprint = verdict_fingerprint(majority_corrections(verdicts, dataset.label_set))
    corrected = {"name": f"{teacher}+verdicts", "kind": "corrected", "params": {"base": teacher, "verdicts": fingerprint}}
    new = config.model_copy(update={"name": f"{config.name}-verdicts-{fingerprint[:6]}",
                                    "teachers": [base, type(base).model_validate(corrected)]})
    return run_experiment(store, new, progress)


def run_noise_experiment(store: Store, dataset_name: str, slice_name: str, bucket: str, rate: float,
                         progress: Progress | None = None, **options) -> str:
    return run_experiment(store, noise_config(store, dataset_name, slice_name, bucket, rate, **options), progress)


def compute_dataset_slices(store: Store, dataset_id: str, slicers, progress: Progress | None = None,
                           force: bool = False) -> dict[str, bool]:
    """`compute_slices`, then the slice tables of the data set's finished runs stored again where new slices
    dropped them or none are stored: the slices page should read them rather than aggregate on a visit."""
    computed = compute_slices(store, dataset_id, slicers, progress=progress, force=force)
    runs = store.runs()
    for run_id in runs.loc[(runs["dataset_id"] == dataset_id) & (runs["status"] == "finished"), "run_id"]:
        if any(computed.values()) or not any(n.startswith(SLICE_FRAMES) for n in store.page_frame_names(run_id)):
            store_slice_tables(store, run_id)
    return computed


def store_page_frames(store: Store, run_id: str) -> None:
    """What a run stores for the dashboard's first visits when it finishes: the overview, every slice table,
    each strategy's queue head and, once the map is built, its sample. Called again (`python -m core frames`)
    for runs whose frames are missing or were written by older code (`FRAME_SHAPE`). One connection throughout."""
    with store.session():
        store_teacher_overview(store, run_id)
        store_slice_tables(store, run_id)
        for teacher in store.run_teachers(run_id)["teacher_name"]:
            store_queue_heads(store, run_id, teacher)
            if store.has_clusters(run_id):
                store_map_points(store, run_id, teacher)


def runs_without_page_frames(store: Store) -> list[str]:
    """Finished runs with no overview frames of the current shape: their pages compute on every first visit."""
    runs = store.runs()
    return [run_id for run_id in runs.loc[runs["status"] == "finished", "run_id"]
            if not any(name.startswith("overview/") for name in store.page_frame_names(run_id))]
