"""Students fitted on one label source: the arms a run compares (gold labels, each teacher's hard or soft
labels), the training sizes, one fit, and the held-out predictions every example gets. Pure functions over
arrays and frames."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold

from core.students import Student

GOLD = "gold"


@dataclass
class Arm:
    """A label source a student learns from: gold, or one teacher's hard or soft labels."""

    trained_on: str
    label_mode: str
    available: np.ndarray  # over the training pool
    targets: np.ndarray  # class indices (hard) or probability rows (soft)


def label_indices(labels, label_names: list[str]) -> np.ndarray:
    """Each label's index in the label set; -1 for no label or one outside the set."""
    index = {name: i for i, name in enumerate(label_names)}
    return np.array([index.get(label, -1) if isinstance(label, str) else -1 for label in labels], dtype=int)


def gold_arm(pool: pd.DataFrame, label_names: list[str]) -> Arm:
    gold = label_indices(pool["gold"], label_names)
    return Arm(GOLD, "hard", gold >= 0, gold)


def teacher_arms(name: str, labels: pd.DataFrame, pool_ids: pd.Series, label_names: list[str], modes) -> list[Arm]:
    """`labels`: the teacher's stored answers, indexed by example id."""
    by_id = labels.reindex(pool_ids)
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


def training_sizes(requested, available: int) -> list[int]:
    """The requested sizes this arm can fill; "all" is every usable example."""
    sizes = {available if s == "all" else s for s in requested}
    return sorted(s for s in sizes if s <= available)


def fit_arm(student: Student, X_pool, arm: Arm, size: int, seed: int, label_names: list[str]):
    """A student trained on `size` of the arm's usable examples, drawn with `seed`."""
    order = np.random.default_rng(seed).permutation(len(arm.available))
    chosen = order[arm.available[order]][:size]
    targets = arm.targets[chosen]
    if targets.ndim == 1:
        targets = np.asarray(label_names)[targets]
    return clone(student.classifier).fit(X_pool[chosen], targets), len(chosen)


def fit_labels(student: Student, X, labels: np.ndarray):
    """A student trained on the rows of `X` with a label (str), on those labels."""
    usable = np.flatnonzero([isinstance(label, str) for label in labels])
    return clone(student.classifier).fit(X[usable], labels[usable].astype(str))


def student_views(student: Student, X_pool, X_test, pool, test, teacher_labels: pd.Series, label_names, folds: int = 5):
    """What a student trained on this teacher's labels predicts for every example, never having trained on
    it: out-of-fold on the training pool, from a model of the whole pool on the test split and on pool
    examples the teacher left unlabeled. The spot-check queue, its rankings and the map read these."""
    labels = teacher_labels.reindex(pool["example_id"]).to_numpy()
    labeled = np.flatnonzero([isinstance(label, str) for label in labels])
    proba = np.zeros((len(pool), len(label_names)))
    for train, held in KFold(min(folds, len(labeled)), shuffle=True, random_state=0).split(labeled):
        proba[labeled[held]] = fit_labels(student, X_pool[labeled[train]], labels[labeled[train]]).predict_proba(
            X_pool[labeled[held]])
    whole = fit_labels(student, X_pool, labels)
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
