"""Students fitted on one label source: the arms a run compares (gold labels, each teacher's hard or soft
labels, each available on some rows), the training sizes, the rows and weights of one fit, and the held-out
predictions every example gets. Pure functions over arrays and frames."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from core.errors import InputError
from core.evaluation.metrics import accuracy_and_macro_f1
from core.evaluation.splits import EvaluationPlan
from core.students import Student

GOLD = "gold"


@dataclass
class Arm:
    """A label source a student learns from: gold, or one teacher's hard or soft labels."""

    trained_on: str
    label_mode: str
    available: np.ndarray  # over the data set's rows
    targets: np.ndarray  # class indices (hard) or probability rows (soft)


def label_indices(labels, label_names: list[str]) -> np.ndarray:
    """Each label's index in the label set; -1 for no label or one outside the set."""
    values = [label if isinstance(label, str) else None for label in labels]
    return pd.Categorical(values, categories=list(label_names)).codes.astype(int)


def gold_arm(examples: pd.DataFrame, label_names: list[str]) -> Arm:
    gold = label_indices(examples["gold"], label_names)
    return Arm(GOLD, "hard", gold >= 0, gold)


def teacher_arms(name: str, labels: pd.DataFrame, example_ids: pd.Series, label_names: list[str], modes) -> list[Arm]:
    """`labels`: the teacher's stored answers, indexed by example id."""
    by_id = labels.reindex(example_ids)
    valid = by_id["label"].notna().to_numpy()
    arms = [Arm(name, "hard", valid, label_indices(by_id["label"], label_names))] if "hard" in modes else []
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


PLAIN_SEED = -1  # the seed column of a plain fit: every drawn row once, no weights (the point estimate)


@dataclass(frozen=True)
class Draw:
    """Which training rows a fit uses, and with what weights (None: each once)."""

    rows: np.ndarray
    weights: np.ndarray | None


def training_sizes(requested, largest: int, common: int | None = None) -> list[int]:
    """The requested sizes an arm can fill; "all" is `largest`, the rows the arm can use in every fold; `common`,
    the most rows a teacher's arm shares with the gold arm in every fold, is added so the two also meet at one size."""
    sizes = {largest if s == "all" else s for s in requested}
    if common is not None and 2 <= common < largest:
        sizes.add(common)
    return sorted(s for s in sizes if s <= largest)


def draw_rows(available: np.ndarray, paired: np.ndarray, size: int, weighted: bool, seed: int, repeat: int,
              fold: int, n_rows: int) -> Draw:
    """`size` training rows for one fit: the `size` rows of `paired` (the rows the arm shares with the gold arm;
    for the gold arm its own) that come first in a random order of the data set's `n_rows` rows, or of the arm's
    own `available` rows where `paired` has too few. The order depends only on (seed, repeat, fold), never on the
    arm or on which other arms a run has, so a teacher's arm learns from the texts the gold arm learns from at the
    same size (every one of them where the teacher answered each gold row) and a teacher's numbers do not move
    when another teacher joins the run. At `weighted` sizes (an arm's largest, and where a teacher's arm meets the
    gold arm) every row is used and seeds differ through Bayesian-bootstrap weights (Dirichlet(1) times n, the
    same for every arm at that size); `seed = PLAIN_SEED` is the plain fit there: the same rows, no weights."""
    source = paired if size <= len(paired) else available
    plain = seed == PLAIN_SEED
    order = np.random.default_rng([repeat, fold] if plain else [seed, repeat, fold]).random(n_rows)
    rows = np.sort(source[np.argsort(order[source], kind="stable")[:size]])
    weights = (np.random.default_rng([seed, repeat, fold, size]).dirichlet(np.ones(len(rows))) * len(rows)
               if weighted and not plain else None)
    return Draw(rows, weights)


@dataclass(frozen=True)
class FitPlan:
    """Every fit of a run: per arm the sizes it can fill in every fold, its largest, the rows it shares with the
    gold arm, and the sizes fitted with seed weights (each also fitted plainly once per fold)."""

    arms: list[Arm]
    sizes: dict[tuple[str, str], list[int]]
    largest: dict[tuple[str, str], int]
    paired: dict[tuple[str, str], np.ndarray]  # over the data set's rows
    weighted: dict[tuple[str, str], set[int]]

    def fits(self, plan: EvaluationPlan, seeds):
        """Fold by fold (each fold's features are built once), then seed (the plain fits last), arm and size."""
        for fold in plan.folds:
            for seed in [*seeds, PLAIN_SEED]:
                for arm in self.arms:
                    key = (arm.trained_on, arm.label_mode)
                    for size in self.sizes[key]:
                        if seed != PLAIN_SEED or size in self.weighted[key]:
                            yield fold, arm, size, seed

    def draw(self, arm: Arm, fold, size: int, seed: int) -> Draw:
        key = (arm.trained_on, arm.label_mode)
        return draw_rows(fold.train[arm.available[fold.train]], fold.train[self.paired[key][fold.train]], size,
                         size in self.weighted[key], seed, fold.repeat, fold.fold, len(arm.available))


def fit_plan(arms: list[Arm], plan: EvaluationPlan, requested_sizes) -> FitPlan:
    """An arm's "all" is the most rows it can use in every fold. A teacher's arm also meets the gold arm at the
    most rows the two share in every fold (`common`); each teacher's sizes depend on its own rows and gold's only.
    `arms[0]` is the gold arm."""
    gold = arms[0]
    key_of = {id(arm): (arm.trained_on, arm.label_mode) for arm in arms}
    largest = {key_of[id(arm)]: min(int(arm.available[f.train].sum()) for f in plan.folds) for arm in arms}
    paired = {key_of[id(arm)]: arm.available & gold.available for arm in arms}
    common = {key: min(int(rows[f.train].sum()) for f in plan.folds) for key, rows in paired.items()}
    gold_key = key_of[id(gold)]
    sizes = {key: training_sizes(requested_sizes, largest[key], common[key] if key != gold_key else None)
             for key in largest}
    meets = {common[key] for key in largest if key != gold_key and 2 <= common[key] < largest[key]}
    sizes[gold_key] = sorted(set(sizes[gold_key]) | {s for s in meets if s <= largest[gold_key]})
    empty = [f"{trained_on} {mode} ({largest[(trained_on, mode)]} rows)" for (trained_on, mode), s in sizes.items() if not s]
    if empty:
        raise InputError(f"every requested size {list(requested_sizes)} is larger than what these students can train on: "
                         f"{', '.join(empty)}; add \"all\" or a smaller size to `sizes`")
    weighted = {key: {largest[key]} | ({common[key]} if key != gold_key else meets) for key in largest}
    return FitPlan(arms, sizes, largest, paired, weighted)


def fit_rows(arm: Arm, draw: Draw, label_names: list[str]) -> tuple:
    """What one fit trains on, as one tuple (`score_fit`'s `rows`): the drawn rows, their labels (names, or
    probability rows for soft labels) and weights."""
    targets = arm.targets[draw.rows]
    return draw.rows, np.asarray(label_names)[targets] if targets.ndim == 1 else targets, draw.weights


def score_fit(classifier, X, held_out: np.ndarray, truth: np.ndarray, rows: tuple, keep_model: bool = False) -> dict:
    """One fit, a pure function of its arguments wherever it runs (this process, a local worker process, a Dask
    worker): a fresh copy of `classifier` trained on `rows` (`fit_rows`) of `X`, scored against `truth` (class
    indices) on the `held_out` rows. `X`, `held_out` and `truth` are a fold's, shared by its fits. With
    `keep_model`, the fitted classifier comes back too (as "model"), for the student views to start from."""
    started = time.perf_counter()
    train, targets, weights = rows
    fitted = clone(classifier).fit(X[train], targets, sample_weight=weights)
    proba = fitted.predict_proba(X[held_out])
    predicted = proba.argmax(axis=1)
    accuracy, macro_f1 = accuracy_and_macro_f1(truth, predicted, proba.shape[1])
    return {"n_train": len(train), "accuracy": accuracy, "macro_f1": macro_f1, "n_iter": int(np.max(fitted.n_iter_)),
            "converged": fitted.converged_, "seconds": time.perf_counter() - started, "predicted": predicted,
            "confidence": proba.max(axis=1), **({"model": fitted} if keep_model else {})}


def fit_labels(student: Student, X, labels: np.ndarray):
    """A student trained on the rows of `X` with a label (str), on those labels."""
    usable = np.flatnonzero([isinstance(label, str) for label in labels])
    return clone(student.classifier).fit(X[usable], labels[usable].astype(str))


def predict_fit(classifier, X, rows: tuple) -> np.ndarray:
    """A fresh copy of `classifier` trained on rows `train` of `X` with `labels`, and its probabilities on rows
    `predict`: `rows` is (train, labels, predict). Pure, so it runs as a task anywhere (`student_views`)."""
    train, labels, predict = rows
    return clone(classifier).fit(X[train], labels).predict_proba(X[predict])


def student_views(student: Student, X, example_ids: pd.Series, teacher_labels: pd.Series, label_names: list[str],
                  train_rows: np.ndarray, held_out: np.ndarray,
                  map_calls: Callable[[Callable, Iterable[tuple]], Iterable], fitted=None, folds: int = 5,
                  max_train: int | None = None) -> pd.DataFrame:
    """What a student trained on this teacher's labels predicts for every example, never having trained on
    it: out-of-fold where the teacher gave a label on one of the `train_rows`, from a model of all of those
    elsewhere: on unlabeled rows and on the `held_out` rows of a fixed test split (role "test"; empty when
    cross-fitting, where every row may teach). The spot-check queue, its rankings and the map read these. Each
    fit is a `predict_fit` task of `map_calls` (`core.compute.Dispatch.map`).

    `fitted`: the run's own fit of this teacher's hard labels on exactly those rows, where it made one on these
    features (a fixed split's plain fit at "all"). It is the model of all of them, so it predicts the other
    rows without a new fit, and the out-of-fold fits start from its coefficients.

    `max_train`: the most rows one of these fits learns from, a random sample of its fold's rows where it has
    more: the run's largest training size when the run does not train at "all", so a view is the student the
    run measures (not one trained on far more rows than any the run scores, which at a million texts was most of
    the run's time)."""
    labels = teacher_labels.reindex(example_ids).to_numpy()
    is_held_out = np.isin(np.arange(len(labels)), held_out)
    trainable = np.intersect1d(np.flatnonzero([isinstance(label, str) for label in labels]), train_rows)
    parts = [(trainable[train], trainable[held])
             for train, held in KFold(min(folds, len(trainable)), shuffle=True, random_state=0).split(trainable)]
    rest = np.setdiff1d(np.arange(len(labels)), trainable)
    proba = np.zeros((len(labels), len(label_names)))
    if len(rest) and fitted is not None:
        proba[rest] = fitted.predict_proba(X[rest])
    elif len(rest):
        parts.append((trainable, rest))
    if max_train is not None:
        sample = np.random.default_rng(0)
        parts = [(np.sort(sample.choice(train, max_train, replace=False)) if len(train) > max_train else train, predict)
                 for train, predict in parts]
    classifier = student.classifier if fitted is None else clone(student.classifier).set_params(start=fitted.solution())
    calls = [(classifier, X, (train, labels[train].astype(str), predict)) for train, predict in parts]
    for (_, predict), predicted in zip(parts, map_calls(predict_fit, calls)):
        proba[predict] = predicted
    return pd.DataFrame({
        "example_id": example_ids.to_numpy(),
        "role": np.where(is_held_out, "test", "train"),
        "predicted": np.asarray(label_names)[proba.argmax(axis=1)],
        "confidence": proba.max(axis=1),
        "probs": list(proba),
    })
