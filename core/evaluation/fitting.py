"""Students fitted on one label source: the arms a run compares (gold labels, each teacher's hard or soft
labels, each available on some rows), the training sizes, the rows and weights of one fit, and the held-out
predictions every example gets. Pure functions over arrays and frames."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from core.errors import InputError
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
    index = {name: i for i, name in enumerate(label_names)}
    return np.array([index.get(label, -1) if isinstance(label, str) else -1 for label in labels], dtype=int)


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


@dataclass(frozen=True)
class Draw:
    """Which training rows a fit uses, and with what weights (None: each once)."""

    rows: np.ndarray
    weights: np.ndarray | None


def training_sizes(requested, largest: int, common: int | None = None) -> list[int]:
    """The requested sizes an arm can fill; "all" is `largest`, the rows the arm can use in every fold; `common`,
    the most rows every arm can use, is added so arms of different sizes also meet at one size."""
    sizes = {largest if s == "all" else s for s in requested}
    if common is not None and 2 <= common < largest:
        sizes.add(common)
    return sorted(s for s in sizes if s <= largest)


def draw_rows(available: np.ndarray, shared: np.ndarray, size: int, weighted: bool, seed: int, repeat: int,
              fold: int) -> Draw:
    """`size` training rows for one fit. Sizes every arm can fill are drawn from `shared` (the rows every arm
    can use) with a generator that does not depend on the arm, so all arms learn from the same texts; larger
    ones from the arm's own `available` rows. At an arm's largest size (and the common one: `weighted`) every
    row is used, and seeds differ through Bayesian-bootstrap weights (Dirichlet(1) times n), so a seed changes
    the fit at every size."""
    source = shared if size <= len(shared) else available
    rng = np.random.default_rng([seed, repeat, fold, size, int(source is shared)])
    rows = np.sort(rng.choice(source, size=min(size, len(source)), replace=False))
    weights = rng.dirichlet(np.ones(len(rows))) * len(rows) if weighted else None
    return Draw(rows, weights)


@dataclass(frozen=True)
class FitPlan:
    """Every fit of a run: per arm the sizes it can fill in every fold, and the rows all arms can use."""

    arms: list[Arm]
    sizes: dict[tuple[str, str], list[int]]
    largest: dict[tuple[str, str], int]
    common: int | None
    shared: np.ndarray  # rows every arm can use

    def fits(self, plan: EvaluationPlan, seeds):
        for seed in seeds:
            for fold in plan.folds:
                for arm in self.arms:
                    for size in self.sizes[(arm.trained_on, arm.label_mode)]:
                        yield fold, arm, size, seed


def fit_plan(arms: list[Arm], plan: EvaluationPlan, requested_sizes) -> FitPlan:
    """An arm's "all" is the most rows it can use in every fold; `common`, the most rows every arm can use, is
    where arms of different sizes meet on the same texts."""
    largest = {(arm.trained_on, arm.label_mode): min(int(arm.available[f.train].sum()) for f in plan.folds)
               for arm in arms}
    shared = np.logical_and.reduce([arm.available for arm in arms])
    common = min(int(shared[f.train].sum()) for f in plan.folds) if len(set(largest.values())) > 1 else None
    sizes = {key: training_sizes(requested_sizes, n, common) for key, n in largest.items()}
    empty = [f"{trained_on} {mode} ({largest[(trained_on, mode)]} rows)" for (trained_on, mode), s in sizes.items() if not s]
    if empty:
        raise InputError(f"every requested size {list(requested_sizes)} is larger than what these students can train on: "
                         f"{', '.join(empty)}; add \"all\" or a smaller size to `sizes`")
    return FitPlan(arms, sizes, largest, common, shared)


def fit_arm(student: Student, X, arm: Arm, draw: Draw, label_names: list[str]):
    """A fresh copy of the student's classifier trained on the drawn rows of the arm's labels."""
    targets = arm.targets[draw.rows]
    if targets.ndim == 1:
        targets = np.asarray(label_names)[targets]
    return clone(student.classifier).fit(X[draw.rows], targets, sample_weight=draw.weights)


def fit_labels(student: Student, X, labels: np.ndarray):
    """A student trained on the rows of `X` with a label (str), on those labels."""
    usable = np.flatnonzero([isinstance(label, str) for label in labels])
    return clone(student.classifier).fit(X[usable], labels[usable].astype(str))


def student_views(student: Student, X, example_ids: pd.Series, teacher_labels: pd.Series, label_names: list[str],
                  held_out: np.ndarray, folds: int = 5) -> pd.DataFrame:
    """What a student trained on this teacher's labels predicts for every example, never having trained on
    it: out-of-fold where the teacher gave a label, from a model of all of them elsewhere: on unlabeled rows
    and on the `held_out` rows of a fixed test split (role "test"; empty when cross-fitting, where every row
    may teach). The spot-check queue, its rankings and the map read these."""
    labels = teacher_labels.reindex(example_ids).to_numpy()
    is_held_out = np.isin(np.arange(len(labels)), held_out)
    trainable = np.flatnonzero([isinstance(label, str) for label in labels] & ~is_held_out)
    proba = np.zeros((len(labels), len(label_names)))
    for train, held in KFold(min(folds, len(trainable)), shuffle=True, random_state=0).split(trainable):
        proba[trainable[held]] = fit_labels(student, X[trainable[train]], labels[trainable[train]]).predict_proba(
            X[trainable[held]])
    rest = np.setdiff1d(np.arange(len(labels)), trainable)
    if len(rest):
        proba[rest] = fit_labels(student, X[trainable], labels[trainable]).predict_proba(X[rest])
    return pd.DataFrame({
        "example_id": example_ids.to_numpy(),
        "role": np.where(is_held_out, "test", "train"),
        "predicted": np.asarray(label_names)[proba.argmax(axis=1)],
        "confidence": proba.max(axis=1),
        "probs": list(proba),
    })
