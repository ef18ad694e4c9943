"""The evaluation of a run: students learn from teacher labels and from gold labels over growing training
sizes and seeds, and everything is scored on a held-out gold test split.

The test split is fixed per run and never trained on; the gold labels of the test split are read only to
score. Each fit is written with its predictions as soon as it finishes, so a run that is stopped resumes
where it stopped (same config -> same run id) and gives the numbers an uninterrupted run gives."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core import __version__
from core.evaluation.config import RunConfig
from core.evaluation.fitting import Arm, fit_arm, gold_arm, student_views, teacher_arms, training_sizes
from core.evaluation.metrics import Bootstrap
from core.evaluation.summary import summarize
from core.fingerprints import full_digest
from core.progress import Progress
from core.store import DatasetInfo, Store
from core.students import Student, make_student


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


def featurize(config: RunConfig, label_names: list[str], pool: pd.DataFrame, test: pd.DataFrame, encode):
    """The run's student, with its featurizer fitted on the training pool, and both splits featurized once."""
    student = make_student(config.student.kind, classes=label_names, C=config.student.C, encode=encode)
    features = student.featurizer.fit(pool["text"])
    return student, features.transform(pool["text"]), features.transform(test["text"])


def _fit_and_store(store: Store, run_id: str, student: Student, X_pool, X_test, test: pd.DataFrame,
                   test_truth: np.ndarray, bootstrap: Bootstrap, arm: Arm, size: int, seed: int, label_names) -> None:
    started = time.perf_counter()
    classifier, n_train = fit_arm(student, X_pool, arm, size, seed, label_names)
    proba = classifier.predict_proba(X_test)
    predicted = proba.argmax(axis=1)
    scores = bootstrap.estimate(test_truth, predicted, len(label_names))
    store.write_fit(
        {"run_id": run_id, "trained_on": arm.trained_on, "label_mode": arm.label_mode, "size": size, "seed": seed,
         "n_train": n_train, "n_test": len(test),
         "accuracy": scores["accuracy"].value, "accuracy_lo": scores["accuracy"].lo, "accuracy_hi": scores["accuracy"].hi,
         "macro_f1": scores["macro_f1"].value, "macro_f1_lo": scores["macro_f1"].lo, "macro_f1_hi": scores["macro_f1"].hi,
         "seconds": time.perf_counter() - started},
        pd.DataFrame({"example_id": test["example_id"], "predicted": np.asarray(label_names)[predicted],
                      "confidence": proba.max(axis=1)}))


def evaluate_run(store: Store, run_id: str, config: RunConfig, dataset: DatasetInfo, pool: pd.DataFrame,
                 test: pd.DataFrame, teacher_ids: dict[str, str], encode, timings: dict,
                 progress: Progress | None = None) -> None:
    """Fits (skipping those already stored), every example's held-out prediction, and the run's summary."""
    label_names = dataset.label_set.names
    started = time.perf_counter()
    student, X_pool, X_test = featurize(config, label_names, pool, test, encode)
    timings["featurize"] = round(time.perf_counter() - started, 3)

    labels = {name: store.teacher_labels(key, dataset.dataset_id).set_index("example_id")
              for name, key in teacher_ids.items()}
    arms = [gold_arm(pool, label_names)] if pool["gold"].notna().any() else []
    for name, answers in labels.items():
        arms += teacher_arms(name, answers, pool["example_id"], label_names, config.student.label_modes)

    test_truth = np.array([label_names.index(g) for g in test["gold"]])
    bootstrap = Bootstrap(len(test), config.bootstrap, seed=0)
    done = store.finished_fits(run_id)
    plan = [(arm, size, seed) for seed in config.seeds for arm in arms
            for size in training_sizes(config.sizes, int(arm.available.sum()))]
    started = time.perf_counter()
    for step, (arm, size, seed) in enumerate(plan, start=1):
        if (arm.trained_on, arm.label_mode, size, seed) not in done:
            _fit_and_store(store, run_id, student, X_pool, X_test, test, test_truth, bootstrap, arm, size, seed,
                           label_names)
        if progress:
            progress("training students", step, len(plan))
    timings["fits"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    done_views = store.example_prediction_teachers(run_id)
    for name, answers in labels.items():
        if name not in done_views:
            views = student_views(student, X_pool, X_test, pool, test, answers["label"], label_names)
            store.write_example_predictions(run_id, name, views)
    timings["student_views"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    summary = summarize(test["example_id"], test_truth, label_names,
                        {name: answers["label"] for name, answers in labels.items()},
                        store.predictions(run_id), store.fits(run_id), bootstrap)
    store.write_summary(run_id, *summary)
    timings["summary"] = round(time.perf_counter() - started, 3)
