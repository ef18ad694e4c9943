"""The evaluation of a run: students learn from teacher labels and from gold labels over growing training
sizes and seeds, and are scored on gold rows they never trained on: in every fold of repeated cross-fitting,
or on a user's fixed test split.

A held-out row's gold label is read only to score. Each fit is written with its predictions as soon as it
finishes, so a run that is stopped resumes where it stopped (same config -> same run id) and gives the
numbers an uninterrupted run gives."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core import __version__
from core.evaluation.config import RunConfig
from core.evaluation.fitting import (Arm, Draw, draw_rows, fit_arm, fit_plan, gold_arm, label_indices,
                                     student_views, teacher_arms)
from core.evaluation.metrics import Bootstrap, accuracy_and_macro_f1
from core.evaluation.splits import EvaluationPlan, Fold
from core.evaluation.summary import Scoring, summarize
from core.fingerprints import full_digest
from core.progress import Progress
from core.store import DatasetInfo, Store
from core.students import Student, make_student
from core.teachers.service import few_shot_ids


def code_version() -> str:
    """The git commit of the code that ran (with '+dirty' for uncommitted changes), else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core"], cwd=root, capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return f"pseudolens {__version__}"


def run_id_for(config: RunConfig, dataset: DatasetInfo) -> str:
    return f"{config.name}-{full_digest(f'{config.fingerprint()}:{dataset.dataset_id}')[:8]}"


def prompt_pool(examples: pd.DataFrame, config: RunConfig) -> pd.DataFrame:
    """Where few-shot examples for prompts may come from: every row but a fixed test split's."""
    plan = config.plan(examples)
    return examples.drop(examples.index[plan.folds[0].held_out]) if plan.scheme == "split" else examples


def scoring_plan(examples: pd.DataFrame, config: RunConfig, label_names: list[str]) -> tuple[pd.DataFrame, EvaluationPlan]:
    """The examples as the evaluation sees them, and its plan: a row whose gold label a teacher's prompt shows
    is never scored (it stays in, unlabeled for the gold-trained student)."""
    shown = few_shot_ids(config.teachers, prompt_pool(examples, config), label_names)
    scored = examples.assign(gold=examples["gold"].where(~examples["example_id"].isin(shown)))
    return scored, config.plan(scored)


def featurize(config: RunConfig, label_names: list[str], texts: pd.Series, encode):
    """The run's student with its featurizer fitted on every text of the data set (it reads no labels), and
    the texts featurized once."""
    student = make_student(config.student.kind, classes=label_names, C=config.student.C, encode=encode)
    return student, student.featurizer.fit(texts).transform(texts)


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


def _fit_one(writer: FitWriter, run_id: str, student: Student, X, examples: pd.DataFrame, fold: Fold, arm: Arm,
             size: int, seed: int, draw: Draw, label_names: list[str]) -> None:
    started = time.perf_counter()
    classifier = fit_arm(student, X, arm, draw, label_names)
    proba = classifier.predict_proba(X[fold.held_out])
    predicted = proba.argmax(axis=1)
    truth = label_indices(examples["gold"].iloc[fold.held_out], label_names)
    accuracy, macro_f1 = accuracy_and_macro_f1(truth, predicted, len(label_names))
    writer.add(
        {"run_id": run_id, "trained_on": arm.trained_on, "label_mode": arm.label_mode, "size": size, "seed": seed,
         "repeat": fold.repeat, "fold": fold.fold, "n_train": len(draw.rows), "n_test": len(fold.held_out),
         "accuracy": accuracy, "macro_f1": macro_f1, "n_iter": int(np.max(classifier.n_iter_)),
         "converged": classifier.converged_, "seconds": time.perf_counter() - started},
        pd.DataFrame({"example_id": examples["example_id"].iloc[fold.held_out].to_numpy(),
                      "predicted": np.asarray(label_names)[predicted], "confidence": proba.max(axis=1)}))


def evaluate_run(store: Store, run_id: str, config: RunConfig, dataset: DatasetInfo, examples: pd.DataFrame,
                 plan: EvaluationPlan, teacher_ids: dict[str, str], encode, timings: dict,
                 progress: Progress | None = None) -> list[str]:
    """Fits (skipping those already stored), every example's held-out prediction, and the run's summary.
    Returns warnings for the run's page: fits that did not converge."""
    label_names = dataset.label_set.names
    started = time.perf_counter()
    student, X = featurize(config, label_names, examples["text"], encode)
    timings["featurize"] = round(time.perf_counter() - started, 3)

    labels = {name: store.teacher_labels(key, dataset.dataset_id).set_index("example_id")
              for name, key in teacher_ids.items()}
    arms = [gold_arm(examples, label_names)]
    for name, answers in labels.items():
        arms += teacher_arms(name, answers, examples["example_id"], label_names, config.student.label_modes)
    fits = fit_plan(arms, plan, config.sizes)
    done = store.finished_fits(run_id)
    todo = list(fits.fits(plan, config.seeds))
    started = time.perf_counter()
    writer = FitWriter(store)
    try:
        for step, (fold, arm, size, seed) in enumerate(todo, start=1):
            key = (arm.trained_on, arm.label_mode)
            if (*key, size, seed, fold.repeat, fold.fold) not in done:
                available = fold.train[arm.available[fold.train]]
                draw = draw_rows(available, fold.train[fits.shared[fold.train]], size,
                                 size in (fits.largest[key], fits.common), seed, fold.repeat, fold.fold)
                _fit_one(writer, run_id, student, X, examples, fold, arm, size, seed, draw, label_names)
            if progress:
                progress("training students", step, len(todo))
    finally:
        writer.flush()
    timings["fits"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    done_views = store.example_prediction_teachers(run_id)
    held_out = plan.folds[0].held_out if plan.scheme == "split" else np.array([], dtype=int)
    for name, answers in labels.items():
        if name not in done_views:
            store.write_example_predictions(run_id, name, student_views(
                student, X, examples["example_id"], answers["label"], label_names, held_out))
    timings["student_views"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    # every gold row, pool and test: students are scored on the held-out ones, the teacher also on all of them
    gold_rows = examples[examples["gold"].notna()]
    truth = pd.Series(label_indices(gold_rows["gold"], label_names), index=gold_rows["example_id"].to_numpy())
    held = {(f.repeat, f.fold): np.sort(examples["example_id"].iloc[f.held_out].to_numpy()) for f in plan.folds}
    scoring = Scoring(plan.scheme, plan.n_folds, list(held), held, truth, len(label_names),
                      Bootstrap(len(held[(0, 0)]), config.bootstrap, seed=0) if plan.scheme == "split" else None)
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
