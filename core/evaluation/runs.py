"""The evaluation of a run: students learn from teacher labels and from gold labels over growing training
sizes and seeds, and are scored on gold rows they never trained on: in every fold of repeated cross-fitting,
or on a user's fixed test split.

A held-out row's gold label is read only to score. Each fit is written with its predictions as soon as it
finishes, so a run that is stopped resumes where it stopped (same config -> same run id) and gives the
numbers an uninterrupted run gives."""
from __future__ import annotations

import time
from contextlib import closing

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone

from core.evaluation.config import RunConfig
from core.compute import Dispatch
from core.evaluation.fitting import (
    PLAIN_SEED,
    fit_plan,
    fit_rows,
    gold_arm,
    label_indices,
    score_fit,
    student_views,
    teacher_arms,
)
from core.evaluation.metrics import Bootstrap
from core.evaluation.splits import EvaluationPlan, fold_assignments, plan_from_assignments
from core.evaluation.summary import Scoring, summarize
from core.fingerprints import full_digest
from core.progress import Progress
from core.store import DatasetInfo, Store
from core.students import Student, make_student
from core.teachers.service import few_shot_ids


def run_id_for(config: RunConfig, dataset: DatasetInfo) -> str:
    return f"{config.name}-{full_digest(f'{config.fingerprint()}:{dataset.dataset_id}')[:8]}"


def prompt_pool(examples: pd.DataFrame, config: RunConfig, plan: EvaluationPlan | None = None) -> pd.DataFrame:
    """Where few-shot examples for prompts may come from: every row but a fixed test split's (and its copies)."""
    plan = plan or config.plan(examples)
    return examples.iloc[plan.folds[0].train] if plan.scheme == "split" else examples


def _unshown(examples: pd.DataFrame, config: RunConfig, label_names: list[str], plan: EvaluationPlan | None = None):
    """The examples as the evaluation sees them: a row whose gold label a teacher's prompt shows is never
    scored (it stays in, unlabeled for the gold-trained student)."""
    shown = few_shot_ids(config.teachers, prompt_pool(examples, config, plan), label_names)
    return examples.assign(gold=examples["gold"].where(~examples["example_id"].isin(shown)))


def scoring_plan(examples: pd.DataFrame, config: RunConfig, label_names: list[str]) -> tuple[pd.DataFrame, EvaluationPlan]:
    """The examples as the evaluation sees them (`_unshown`), and the plan `config` resolves to on them today.
    Only a starting run calls this; afterwards the run's folds are read back (`run_plan`)."""
    scored = _unshown(examples, config, label_names)
    return scored, config.plan(scored)


def keep_plan(store: Store, run_id: str, examples: pd.DataFrame, plan: EvaluationPlan) -> EvaluationPlan:
    """The plan a run stored (a resumed run goes on with its own folds), or else `plan`, stored now."""
    stored = store.run(run_id)["evaluation_plan"]
    if stored is not None:
        return plan_from_assignments(stored, store.run_folds(run_id), examples["example_id"])
    store.write_run_folds(run_id, plan.describe(), fold_assignments(plan, examples["example_id"]))
    return plan


def run_plan(store: Store, run_id: str) -> tuple[pd.DataFrame, EvaluationPlan]:
    """A run's examples as its evaluation saw them, and the folds it stored: which rows trained and which were
    scored in each (repeat, fold). A run stored before runs kept their folds has them resolved again from its
    config (as that code did)."""
    run = store.run(run_id)
    config = RunConfig.model_validate(run["config"])
    dataset = store.dataset(run["dataset_id"])
    examples = store.examples(dataset.dataset_id)
    if run["evaluation_plan"] is None:
        return scoring_plan(examples, config, dataset.label_set.names)
    plan = plan_from_assignments(run["evaluation_plan"], store.run_folds(run_id), examples["example_id"])
    return _unshown(examples, config, dataset.label_set.names, plan), plan


def featurize(config: RunConfig, label_names: list[str], texts: pd.Series, encode, train: np.ndarray):
    """The run's student with its featurizer fitted on the texts at positions `train` only (a fold's training
    rows: a held-out text adds no word to the vocabulary and no count to the IDF), and every text transformed
    by it. A featurizer that learns nothing from texts (sentence embeddings) is the same whatever `train` is."""
    student = make_student(config.student.kind, classes=label_names, C=config.student.C, encode=encode)
    return student, fold_features(student, texts, train)


def fold_features(student: Student, texts: pd.Series, train: np.ndarray):
    """Every text featurized by a fresh copy of `student`'s featurizer fitted on the texts at positions `train`.
    The training texts' rows come from the fit itself (`fit_transform`), so each text is read once: reading the
    training texts again to transform them took a third of a 50,000-text run's featurizing."""
    featurizer = clone(student.featurizer)
    fitted_rows = featurizer.fit_transform(texts.iloc[train])
    rest = np.setdiff1d(np.arange(len(texts)), train)
    if not len(rest):
        return fitted_rows[np.argsort(train)]
    parts = [fitted_rows, featurizer.transform(texts.iloc[rest])]
    stacked = sp.vstack(parts, format="csr") if sp.issparse(fitted_rows) else np.vstack(parts)
    return stacked[np.argsort(np.concatenate([train, rest]))]


class FitWriter:
    """Fits are written in batches of about `seconds` of work: one DuckDB transaction per fit spent more time
    opening and checkpointing the file than fitting. `flush` runs on every exit, so an interrupted run keeps
    every finished fit."""

    def __init__(self, store: Store, seconds: float = 2.0):
        self.store, self.seconds = store, seconds
        self.fits: list[dict] = []
        self.predictions: list[pd.DataFrame] = []
        self.since = time.perf_counter()

    def add(self, fit: dict, predictions: pd.DataFrame) -> None:
        self.fits.append(fit)
        key = {k: fit[k] for k in ("run_id", "trained_on", "label_mode", "size", "seed", "repeat", "fold")}
        self.predictions.append(predictions.assign(**key))
        if time.perf_counter() - self.since > self.seconds:
            self.flush()

    def flush(self) -> None:
        if self.fits:
            self.store.write_fits(self.fits, self.predictions)
        self.fits, self.predictions, self.since = [], [], time.perf_counter()


def evaluate_run(store: Store, run_id: str, config: RunConfig, dataset: DatasetInfo, examples: pd.DataFrame,
                 plan: EvaluationPlan, teacher_ids: dict[str, str], encode, timings: dict, dispatch: Dispatch,
                 progress: Progress | None = None) -> list[str]:
    """Fits (skipping those already stored; each a task of `dispatch`), every example's held-out prediction, and
    the run's summary. Returns warnings for the run's page: fits that did not converge."""
    label_names = dataset.label_set.names
    student = make_student(config.student.kind, classes=label_names, C=config.student.C, encode=encode)
    labels = {name: store.teacher_labels(key, dataset.dataset_id).set_index("example_id")
              for name, key in teacher_ids.items()}
    arms = [gold_arm(examples, label_names)]
    for name, answers in labels.items():
        arms += teacher_arms(name, answers, examples["example_id"], label_names, config.student.label_modes)
    fits = fit_plan(arms, plan, config.sizes)
    done = store.finished_fits(run_id)
    todo = [(fold, arm, size, seed) for fold, arm, size, seed in fits.fits(plan, config.seeds)
            if (arm.trained_on, arm.label_mode, size, seed, fold.repeat, fold.fold) not in done]
    dispatch.size_for(sum(size for _, _, size, _ in todo))
    done_views = store.example_prediction_teachers(run_id)
    # The views (for rankings and the map, never scored) train on every row but a fixed test split's, so their
    # featurizer is fitted on those rows: a split's training rows (its one fold's features), or every text when
    # cross-fitting. In a split run, each teacher's plain fit at "all" is the views' model of all their rows.
    views_train = plan.folds[0].train if plan.scheme == "split" else np.arange(len(examples))
    view_starts: dict[str, object] = {}

    def keeps_model(arm, size: int, seed: int) -> bool:
        return (plan.scheme == "split" and arm.trained_on in labels and arm.trained_on not in done_views
                and arm.label_mode == "hard" and seed == PLAIN_SEED and size == fits.largest[(arm.trained_on, "hard")])

    timings["featurize"], started = 0.0, time.perf_counter()
    X, featurized_for = None, None

    def fit_calls():
        """`score_fit`'s arguments per fit, fold by fold: each fold's features are built once, here, and its
        features, held-out rows and their truth are the same objects in all its fits (sent once per worker)."""
        nonlocal X, featurized_for
        for fold, arm, size, seed in todo:
            if featurized_for is not fold:
                featurizing = time.perf_counter()
                X, featurized_for = fold_features(student, examples["text"], fold.train), fold
                truth = label_indices(examples["gold"].iloc[fold.held_out], label_names)
                timings["featurize"] += time.perf_counter() - featurizing
            yield (student.classifier, X, fold.held_out, truth,
                   fit_rows(arm, fits.draw(arm, fold, size, seed), label_names), keeps_model(arm, size, seed))

    writer = FitWriter(store)
    try:
        with closing(dispatch.map(score_fit, fit_calls())) as scores:
            for step, ((fold, arm, size, seed), score) in enumerate(zip(todo, scores), start=1):
                predicted, confidence = score.pop("predicted"), score.pop("confidence")
                if "model" in score:
                    view_starts[arm.trained_on] = score.pop("model")
                writer.add({"run_id": run_id, "trained_on": arm.trained_on, "label_mode": arm.label_mode, "size": size,
                            "seed": seed, "repeat": fold.repeat, "fold": fold.fold, "n_test": len(fold.held_out), **score},
                           pd.DataFrame({"example_id": examples["example_id"].iloc[fold.held_out].to_numpy(),
                                         "predicted": np.asarray(label_names)[predicted], "confidence": confidence}))
                if progress:
                    progress("training students", step, len(todo))
    finally:
        writer.flush()
    timings["featurize"] = round(timings["featurize"], 3)
    timings["fits"] = round(time.perf_counter() - started - timings["featurize"], 3)

    started = time.perf_counter()
    held_out = plan.folds[0].held_out if plan.scheme == "split" else np.array([], dtype=int)
    missing = [name for name in labels if name not in done_views]
    if missing:
        X = X if featurized_for is not None and np.array_equal(featurized_for.train, views_train) else (
            fold_features(student, examples["text"], views_train))
    # the views are the student the run measures: of at most its largest size when it never trains at "all"
    views_size = None if "all" in config.sizes else max(s for s in config.sizes if isinstance(s, int))
    for name in missing:
        store.write_example_predictions(run_id, name, student_views(
            student, X, examples["example_id"], labels[name]["label"], label_names, views_train, held_out,
            dispatch.map, fitted=view_starts.get(name), max_train=views_size))
    timings["student_views"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    # every gold row, pool and test: students are scored on the held-out ones, the teacher also on all of them
    gold_rows = examples[examples["gold"].notna()]
    truth = pd.Series(label_indices(gold_rows["gold"], label_names), index=gold_rows["example_id"].to_numpy())
    held = {(f.repeat, f.fold): np.sort(examples["example_id"].iloc[f.held_out].to_numpy()) for f in plan.folds}
    scoring = Scoring(plan.scheme, plan.n_folds, list(held), held, truth, len(label_names),
                      Bootstrap(len(held[(0, 0)]), config.bootstrap, seed=0) if plan.scheme == "split" else None)
    with store.session():
        stored_fits = store.fits(run_id)
        store.write_summary(run_id, summarize(scoring, label_names, labels, store.predictions(run_id), stored_fits))
    timings["summary"] = round(time.perf_counter() - started, 3)
    unconverged = int((~stored_fits["converged"]).sum())
    warnings = [f"{unconverged} of {len(stored_fits)} student fits stopped at the iteration limit before converging; "
                "their numbers depend on where the solver stopped"] if unconverged else []
    skipped = sorted({s for s in config.sizes if s != "all" and s > min(fits.largest.values())})
    if skipped:
        warnings.append(f"sizes {skipped} are larger than some students can train on "
                        f"(at most {min(fits.largest.values())} rows in every fold) and were left out for them")
    return warnings
