"""A run: teachers label a data set, students learn from teacher labels and from gold labels over growing
training sizes and seeds, and everything is scored on a held-out gold test split.

The test split is fixed per run and never trained on; the gold labels of the test split are read only
to score. Each fit is written with its predictions as soon as it finishes, so a run that is stopped
resumes where it stopped (same config -> same run id) and gives the numbers an uninterrupted run gives.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from . import __version__
from .call_cache import StoreCallCache
from .config import RunConfig
from .embedding_cache import stored_encoder
from .labeling import Progress, label_missing, register
from .metrics import Bootstrap, accuracy_and_macro_f1, interval, seed_average
from .ranking import rank_pool
from .store import DatasetInfo, Store
from .students import make_student
from .teachers import build_teacher, teacher_id
from .teachers.corrected import CorrectedTeacher, majority_corrections, verdict_fingerprint

GOLD = "gold"


def code_version() -> str:
    """The git commit of the code that ran (with '+dirty' for uncommitted changes), else the package version."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "core"], cwd=root, capture_output=True,
                               text=True, timeout=5).stdout.strip()
        return f"{commit}{'+dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return f"pseudolens {__version__}"


def pool_and_test(examples: pd.DataFrame, config: RunConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training pool and the gold test split. The test split is the gold-labeled rows whose split column
    says so, or else a random `fraction` of the gold-labeled rows; rows marked as test but without gold are
    in neither."""
    has_gold = examples["gold"].notna().to_numpy()
    in_split = (examples["split"].fillna("") == config.test.split_value.lower()).to_numpy()
    is_test = in_split & has_gold
    if not is_test.any():
        is_test = has_gold & (np.random.default_rng(config.test.seed).random(len(examples)) < config.test.fraction)
    if not is_test.any():
        raise ValueError("the data set has no gold labels to test on; a run needs gold labels on a test split")
    return examples[~is_test & ~in_split].reset_index(drop=True), examples[is_test].reset_index(drop=True)


def featurize(config: RunConfig, label_names: list[str], pool: pd.DataFrame, test: pd.DataFrame, encode):
    """The run's student, with its features fitted on the training pool, and both splits featurized once."""
    student = make_student(config.student.kind, classes=label_names, C=config.student.C, encode=encode)
    features = student.named_steps["features"].fit(pool["text"])
    return student, features.transform(pool["text"]), features.transform(test["text"])


def truth_frame(store: Store, dataset: DatasetInfo, examples: pd.DataFrame) -> pd.DataFrame:
    """Examples with their user columns and their stored slices' buckets (as `slice:<name>`): what a
    simulated teacher's noise model may read."""
    columns = store.example_columns(dataset.dataset_id)
    stored = store.slices(dataset.dataset_id)
    if not stored.empty:
        buckets = stored.pivot(index="example_id", columns="slice", values="bucket").add_prefix("slice:")
        columns = columns.merge(buckets.reset_index(), on="example_id", how="outer")
    return examples.merge(columns, on="example_id", how="left").set_index("example_id")


@dataclass
class Arm:
    """A label source a student learns from: gold, or one teacher's hard or soft labels."""

    trained_on: str
    label_mode: str
    available: np.ndarray  # over the training pool
    targets: np.ndarray  # class indices (hard) or probability rows (soft)


def _teacher_arms(name: str, labels: pd.DataFrame, pool_ids: pd.Series, label_names: list[str], modes) -> list[Arm]:
    """`labels`: the teacher's stored answers, indexed by example id."""
    by_id = labels.reindex(pool_ids)
    valid = by_id["label"].notna().to_numpy()
    hard = np.array([label_names.index(l) if isinstance(l, str) else -1 for l in by_id["label"]])
    arms = [Arm(name, "hard", valid, hard)] if "hard" in modes else []
    has_probs = by_id["probs"].notna().to_numpy()
    if "soft" in modes and (valid & has_probs).any():
        soft = np.zeros((len(by_id), len(label_names)))
        for row, text in enumerate(by_id["probs"]):
            if isinstance(text, str):
                probs = json.loads(text)
                soft[row] = [probs.get(n, 0.0) for n in label_names]
        soft /= np.maximum(soft.sum(axis=1, keepdims=True), 1e-12)
        arms.append(Arm(name, "soft", valid & has_probs, soft))
    return arms


def _sizes(requested, available: int) -> list[int]:
    sizes = {available if s == "all" else s for s in requested}
    return sorted(s for s in sizes if s <= available)


def run_id_for(config: RunConfig, dataset: DatasetInfo) -> str:
    digest = hashlib.sha256(f"{config.fingerprint()}:{dataset.dataset_id}".encode()).hexdigest()
    return f"{config.name}-{digest[:8]}"


def run_experiment(store: Store, config: RunConfig, progress: Progress | None = None) -> str:
    """Runs (or resumes, or finds finished) the experiment of `config`; returns its run id."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    dataset = store.dataset(config.dataset)
    label_names = dataset.label_set.names
    examples = store.examples(dataset.dataset_id)
    pool, test = pool_and_test(examples, config)
    encode = stored_encoder(store, dataset.dataset_id, examples)

    teacher_ids: dict[str, str] = {}
    for spec in sorted(config.teachers, key=lambda t: t.kind == "corrected"):  # a corrected teacher needs its base
        t0 = time.perf_counter()
        if spec.kind == "recorded":
            teacher_ids[spec.name] = store.recorded_teacher_id(dataset.dataset_id, spec.name)
        else:
            teacher = _teacher(store, spec, dataset, examples, teacher_ids, encode, pool)
            teacher_ids[spec.name] = register(store, teacher)
            label_missing(store, dataset.dataset_id, teacher, dataset.label_set, examples, progress=progress)
        timings[f"label:{spec.name}"] = round(time.perf_counter() - t0, 3)

    run_id = run_id_for(config, dataset)
    status = store.start_run(run_id=run_id, name=config.name, dataset_id=dataset.dataset_id,
                             config=config.model_dump(), code_version=code_version(), teachers=teacher_ids)
    if status == "finished":
        return run_id
    try:
        t0 = time.perf_counter()
        student, X_pool, X_test = featurize(config, label_names, pool, test, encode)
        timings["featurize"] = round(time.perf_counter() - t0, 3)

        labels = {name: store.teacher_labels(key, dataset.dataset_id).set_index("example_id")
                  for name, key in teacher_ids.items()}
        arms = []
        if pool["gold"].notna().any():
            gold = np.array([label_names.index(g) if isinstance(g, str) else -1 for g in pool["gold"]])
            arms.append(Arm(GOLD, "hard", gold >= 0, gold))
        for name, answers in labels.items():
            arms += _teacher_arms(name, answers, pool["example_id"], label_names, config.student.label_modes)

        test_truth = np.array([label_names.index(g) for g in test["gold"]])
        bootstrap = Bootstrap(len(test), config.bootstrap, seed=0)
        done = store.finished_fits(run_id)
        plan = [(arm, size, seed) for seed in config.seeds for arm in arms
                for size in _sizes(config.sizes, int(arm.available.sum()))]
        t0 = time.perf_counter()
        for step, (arm, size, seed) in enumerate(plan, start=1):
            if (arm.trained_on, arm.label_mode, size, seed) not in done:
                _fit_one(store, run_id, student, X_pool, X_test, test, test_truth, bootstrap, arm, size, seed, label_names)
            if progress:
                progress("training students", step, len(plan))
        timings["fits"] = round(time.perf_counter() - t0, 3)

        t0 = time.perf_counter()
        done_views = store.example_prediction_teachers(run_id)
        for name, answers in labels.items():
            if name not in done_views:
                views = student_views(student, X_pool, X_test, pool, test, answers["label"], label_names)
                store.write_example_predictions(run_id, name, views)
        timings["student_views"] = round(time.perf_counter() - t0, 3)

        t0 = time.perf_counter()
        summarize(store, run_id, dataset, test, test_truth, labels, bootstrap)
        timings["summary"] = round(time.perf_counter() - t0, 3)

        t0 = time.perf_counter()
        for name in teacher_ids:
            rank_pool(store, run_id, name)
        timings["rankings"] = round(time.perf_counter() - t0, 3)
    except BaseException as exc:
        store.finish_run(run_id, "interrupted", timings, error=f"{type(exc).__name__}: {exc}")
        raise
    timings["total"] = round(time.perf_counter() - started, 3)
    store.finish_run(run_id, "finished", timings)
    return run_id


def few_shot_examples(pool: pd.DataFrame, n: int, label_names: list[str], seed: int = 0) -> list[tuple[str, str]]:
    """`n` gold-labeled examples from the training pool (never the test split), taking the labels in turn so
    that each is shown before any is shown twice."""
    labeled = pool[pool["gold"].notna()].sample(frac=1.0, random_state=seed)
    by_label = [list(zip(group["text"], group["gold"])) for _, group in labeled.groupby("gold", sort=False)]
    by_label.sort(key=lambda group: label_names.index(group[0][1]))
    chosen = [group[i] for i in range(max(map(len, by_label), default=0)) for group in by_label if i < len(group)]
    return chosen[:n]


def _teacher(store, spec, dataset, examples, teacher_ids, encode, pool):
    if spec.kind != "corrected":
        few_shot = few_shot_examples(pool, int(spec.params.get("few_shot", 0)), dataset.label_set.names)
        # only the simulated teacher reads the truth frame (gold, user columns and stored slices)
        truth = truth_frame(store, dataset, examples) if spec.kind == "simulated" else None
        return build_teacher(spec, dataset.label_set, truth, encode=encode, cache=StoreCallCache(store),
                             few_shot=few_shot)
    base_id = teacher_ids[spec.params["base"]]
    simulated = bool(store.teachers().set_index("teacher_id").loc[base_id, "simulated"])
    teacher = CorrectedTeacher(spec.name, base_id, simulated, store.teacher_labels(base_id, dataset.dataset_id),
                               store.verdicts(dataset.dataset_id), dataset.label_set)
    if spec.params.get("verdicts") not in (None, teacher.fingerprint):
        raise ValueError("the verdicts changed since this config was written; apply them again")
    return teacher


def _fit_one(store, run_id, student, X_pool, X_test, test, test_truth, bootstrap, arm: Arm, size, seed, label_names):
    t0 = time.perf_counter()
    order = np.random.default_rng(seed).permutation(len(arm.available))
    chosen = order[arm.available[order]][:size]
    targets = arm.targets[chosen]
    if targets.ndim == 1:
        targets = np.asarray(label_names)[targets]
    classifier = clone(student.named_steps["classifier"]).fit(X_pool[chosen], targets)
    proba = classifier.predict_proba(X_test)
    predicted = proba.argmax(axis=1)
    scores = bootstrap.estimate(test_truth, predicted, len(label_names))
    store.write_fit(
        {"run_id": run_id, "trained_on": arm.trained_on, "label_mode": arm.label_mode, "size": size, "seed": seed,
         "n_train": len(chosen), "n_test": len(test),
         "accuracy": scores["accuracy"].value, "accuracy_lo": scores["accuracy"].lo, "accuracy_hi": scores["accuracy"].hi,
         "macro_f1": scores["macro_f1"].value, "macro_f1_lo": scores["macro_f1"].lo, "macro_f1_hi": scores["macro_f1"].hi,
         "seconds": time.perf_counter() - t0},
        pd.DataFrame({"example_id": test["example_id"], "predicted": np.asarray(label_names)[predicted],
                      "confidence": proba.max(axis=1)}),
    )


def estimate_cost(store: Store, config: RunConfig) -> pd.DataFrame:
    """A dry run: for each teacher that can estimate (LLM teachers), the calls and cost labeling would take."""
    dataset = store.dataset(config.dataset)
    examples = store.examples(dataset.dataset_id)
    pool, _ = pool_and_test(examples, config)
    rows = []
    for spec in config.teachers:
        if spec.kind in ("recorded", "corrected"):
            continue
        teacher = _teacher(store, spec, dataset, examples, {}, None, pool)
        if hasattr(teacher, "estimate"):
            done = store.labeled_example_ids(teacher_id(teacher), dataset.dataset_id)
            rows.append(teacher.estimate([t for i, t in zip(examples["example_id"], examples["text"]) if i not in done],
                                         dataset.label_set))
    return pd.DataFrame(rows)


def apply_verdicts(store: Store, run_id: str, teacher: str, progress: Progress | None = None) -> str:
    """A new run like `run_id` whose teachers are `teacher` and `teacher` corrected by the human verdicts
    so far, so the learning curves show before and after side by side. Returns the new run's id."""
    config = RunConfig.model_validate(store.run(run_id)["config"])
    dataset = store.dataset(config.dataset)
    verdicts = store.verdicts(dataset.dataset_id)
    if verdicts.empty:
        raise ValueError("there are no verdicts to apply yet")
    base = next(t for t in config.teachers if t.name == teacher)
    fingerprint = verdict_fingerprint(majority_corrections(verdicts, dataset.label_set))
    corrected = {"name": f"{teacher}+verdicts", "kind": "corrected", "params": {"base": teacher, "verdicts": fingerprint}}
    new = config.model_copy(update={"name": f"{config.name}-verdicts-{fingerprint[:6]}",
                                    "teachers": [base, type(base).model_validate(corrected)]})
    return run_experiment(store, new, progress)


def student_views(student, X_pool, X_test, pool, test, teacher_labels: pd.Series, label_names, folds: int = 5):
    """What a student trained on this teacher's labels predicts for every example, never having trained on
    it: out-of-fold on the training pool, from a model of the whole pool on the test split and on pool
    examples the teacher left unlabeled. The spot-check queue, its rankings and the map read these."""
    labels = teacher_labels.reindex(pool["example_id"]).to_numpy()
    labeled = np.flatnonzero([isinstance(l, str) for l in labels])
    proba = np.zeros((len(pool), len(label_names)))

    def fit(rows):
        return clone(student.named_steps["classifier"]).fit(X_pool[rows], labels[rows].astype(str))

    for train, held in KFold(min(folds, len(labeled)), shuffle=True, random_state=0).split(labeled):
        proba[labeled[held]] = fit(labeled[train]).predict_proba(X_pool[labeled[held]])
    whole = fit(labeled)
    unlabeled = np.setdiff1d(np.arange(len(pool)), labeled)
    if len(unlabeled):
        proba[unlabeled] = whole.predict_proba(X_pool[unlabeled])
    proba = np.vstack([proba, whole.predict_proba(X_test)])
    return pd.DataFrame({
        "example_id": np.concatenate([pool["example_id"].to_numpy(), test["example_id"].to_numpy()]),
        "role": ["train"] * len(pool) + ["test"] * len(test),
        "predicted": np.asarray(label_names)[proba.argmax(axis=1)],
        "confidence": proba.max(axis=1),
        "probs": list(proba),
    })


def summarize(store, run_id, dataset, test, test_truth, teacher_labels: dict[str, pd.DataFrame], bootstrap) -> None:
    """Teacher scores, learning-curve points (mean over seeds, two-level bootstrap CI) and paired
    comparisons, recomputed from the stored predictions."""
    label_names = dataset.label_set.names
    k = len(label_names)
    index_of = {name: i for i, name in enumerate(label_names)}
    test_ids = test["example_id"]

    teacher_rows, teacher_samples = [], {}
    for name, answers in teacher_labels.items():
        labels = answers["label"].reindex(test_ids)
        predicted = np.array([index_of.get(l, -1) if isinstance(l, str) else -1 for l in labels])
        teacher_samples[name] = bootstrap.samples(test_truth, predicted, k)
        points = accuracy_and_macro_f1(test_truth, predicted, k)
        scores = {metric: interval(samples, point)
                  for metric, samples, point in zip(("accuracy", "macro_f1"), teacher_samples[name], points)}
        teacher_rows.append({"teacher_name": name, "n_test": len(test), "n_answered": int((predicted >= 0).sum()),
                             **_flat(scores)})

    predictions = store.predictions(run_id)
    fits = store.fits(run_id)
    curve_rows, samples = [], {}
    for (trained_on, mode, size), group in predictions.groupby(["trained_on", "label_mode", "size"], sort=True):
        per_seed = {"accuracy": [], "macro_f1": []}
        seeds = sorted(group["seed"].unique())
        for seed in seeds:
            predicted = group[group["seed"] == seed].set_index("example_id")["predicted"].reindex(test_ids).map(index_of)
            acc, f1 = bootstrap.samples(test_truth, predicted.to_numpy(dtype=int), k)
            per_seed["accuracy"].append(acc)
            per_seed["macro_f1"].append(f1)
        fit_rows = fits[(fits.trained_on == trained_on) & (fits.label_mode == mode) & (fits["size"] == size)]
        points = {"accuracy": fit_rows["accuracy"].mean(), "macro_f1": fit_rows["macro_f1"].mean()}
        seed_index = bootstrap.seed_resamples(len(seeds))
        for metric in ("accuracy", "macro_f1"):
            averaged = seed_average(np.array(per_seed[metric]), seed_index)
            samples[(trained_on, mode, size, metric)] = averaged
            estimate = interval(averaged, points[metric])
            curve_rows.append({"trained_on": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                               "mean": estimate.value, "lo": estimate.lo, "hi": estimate.hi, "n_seeds": len(seeds),
                               "n_train": int(fit_rows["n_train"].mean()), "n_test": len(test)})

    curve = pd.DataFrame(curve_rows)
    comparison_rows = []
    for (trained_on, mode, size, metric), student in samples.items():
        if trained_on == GOLD:
            continue
        point = curve[(curve.trained_on == trained_on) & (curve.label_mode == mode) & (curve["size"] == size)
                      & (curve.metric == metric)]["mean"].iloc[0]
        references = {"teacher": (teacher_samples[trained_on][0 if metric == "accuracy" else 1],
                                  next(r for r in teacher_rows if r["teacher_name"] == trained_on)[metric])}
        if (GOLD, "hard", size, metric) in samples:
            gold_point = curve[(curve.trained_on == GOLD) & (curve["size"] == size) & (curve.metric == metric)]["mean"].iloc[0]
            references["gold_student"] = (samples[(GOLD, "hard", size, metric)], gold_point)
        for versus, (reference, reference_point) in references.items():
            estimate = interval(student - reference, point - reference_point)
            comparison_rows.append({"teacher_name": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                                    "versus": versus, "diff": estimate.value, "lo": estimate.lo, "hi": estimate.hi})
    store.write_summary(run_id, pd.DataFrame(teacher_rows), curve, pd.DataFrame(comparison_rows))


def _flat(scores) -> dict:
    return {f"{metric}{suffix}": getattr(estimate, attr) for metric, estimate in scores.items()
            for suffix, attr in (("", "value"), ("_lo", "lo"), ("_hi", "hi"))}
