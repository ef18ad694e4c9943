"""Which rows a run trains on and which it scores on: repeated cross-fitting over the gold-labeled rows, or a
user's fixed test split."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from core.errors import InputError


def pool_and_test(examples: pd.DataFrame, split_value: str = "test", fraction: float = 0.25,
                  seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training pool and the gold test split. The test split is the gold-labeled rows whose split column
    says `split_value`, or else a random `fraction` of the gold-labeled rows drawn with `seed`; rows marked as
    test but without gold are in neither."""
    has_gold = examples["gold"].notna().to_numpy()
    in_split = (examples["split"].fillna("") == split_value.lower()).to_numpy()
    is_test = in_split & has_gold
    if not is_test.any():
        is_test = has_gold & (np.random.default_rng(seed).random(len(examples)) < fraction)
    if not is_test.any():
        raise InputError("the data set has no gold labels to test on; a run needs gold labels on a test split")
    return examples[~is_test & ~in_split].reset_index(drop=True), examples[is_test].reset_index(drop=True)


@dataclass(frozen=True)
class Fold:
    """One scoring round: students learn from `train` rows and predict the gold-labeled `held_out` rows
    (positions in the data set's example frame)."""

    repeat: int
    fold: int
    train: np.ndarray
    held_out: np.ndarray


@dataclass(frozen=True)
class EvaluationPlan:
    """`crossfit`: repeated stratified K-fold over the gold-labeled rows, so every gold row is scored once per
    repeat by students that never saw it (unlabeled rows only ever train); `split`: one fixed test split."""

    scheme: str
    n_folds: int
    repeats: int
    folds: list[Fold]


def crossfit_folds(gold: pd.Series, folds: int, repeats: int, seed: int = 0) -> list[Fold]:
    """Repeated stratified K-fold over the rows with a gold label; every other row is in every training set."""
    labeled = np.flatnonzero(gold.notna().to_numpy())
    if len(labeled) < folds:
        raise InputError(f"cross-fitting with {folds} folds needs at least {folds} gold-labeled rows; "
                         f"this data set has {len(labeled)}")
    out = []
    for repeat in range(repeats):
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed + repeat)
        with warnings.catch_warnings():
            # a class rarer than the number of folds is simply absent from some folds
            warnings.simplefilter("ignore", UserWarning)
            parts = list(splitter.split(labeled, gold.iloc[labeled].to_numpy()))
        for fold, (_, held) in enumerate(parts):
            held_out = labeled[held]
            out.append(Fold(repeat, fold, np.setdiff1d(np.arange(len(gold)), held_out), held_out))
    return out


def evaluation_plan(examples: pd.DataFrame, scheme: str = "auto", folds: int = 5, repeats: int = 2, seed: int = 0,
                    split_value: str = "test", fraction: float = 0.25, split_seed: int = 0) -> EvaluationPlan:
    """`auto` keeps a user's fixed test split (gold rows whose split column says `split_value`) and otherwise
    cross-fits."""
    has_split = bool(((examples["split"].fillna("") == split_value.lower()) & examples["gold"].notna()).any())
    if scheme == "crossfit" or (scheme == "auto" and not has_split):
        return EvaluationPlan("crossfit", folds, repeats, crossfit_folds(examples["gold"], folds, repeats, seed))
    pool, test = pool_and_test(examples, split_value, fraction, split_seed)
    position = pd.Series(np.arange(len(examples)), index=examples["example_id"])
    return EvaluationPlan("split", 1, 1, [Fold(0, 0, position[pool["example_id"]].to_numpy(),
                                               position[test["example_id"]].to_numpy())])
