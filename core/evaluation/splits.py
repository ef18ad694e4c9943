"""Which rows a run trains on and which it scores on: repeated cross-fitting over the gold-labeled rows, or a
user's fixed test split. Texts that occur more than once are one group: every copy is out of the training rows
of the fold that scores any of them, so a text never trains the student that scores it.

A run stores its plan as each row's (repeat, fold) (`fold_assignments`), and everything that reads a run's
folds afterwards rebuilds them from there (`plan_from_assignments`), never from the config and current code."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold

from core.datasets.duplicates import text_groups
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
    (positions in the data set's example frame). Rows in neither are out of this round: copies of a held-out
    text without gold, or (split) rows marked as test that have no gold label."""

    repeat: int
    fold: int
    train: np.ndarray
    held_out: np.ndarray


@dataclass(frozen=True)
class EvaluationPlan:
    """`crossfit`: repeated stratified K-fold over the gold-labeled rows, so every gold row is scored once per
    repeat by students that never saw it (unlabeled rows only ever train); `split`: one fixed test split.
    `splitter` names how the folds were drawn, as a caption should say it."""

    scheme: str
    n_folds: int
    repeats: int
    folds: list[Fold]
    splitter: str = ""

    def describe(self) -> dict:
        """The resolved scheme as stored with a run."""
        return {"scheme": self.scheme, "n_folds": self.n_folds, "repeats": self.repeats, "splitter": self.splitter}


def _repeat_seed(seed: int, repeat: int) -> int:
    """An independent shuffling seed per (seed, repeat): seeds s and s + 1 share no partition."""
    return int(np.random.SeedSequence([seed, repeat]).generate_state(1)[0])


def crossfit_folds(gold: pd.Series, folds: int, repeats: int, seed: int = 0,
                   groups: np.ndarray | None = None) -> tuple[list[Fold], str]:
    """Repeated stratified K-fold over the rows with a gold label; every other row is in every training set,
    except copies of a held-out text. Without repeated texts among the gold rows: scikit-learn's
    `RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)`. With them: per repeat a
    `StratifiedGroupKFold(folds, shuffle=True)` over the texts, its random state derived from (seed, repeat).
    Returns the folds and the splitter's name."""
    labeled = np.flatnonzero(gold.notna().to_numpy())
    if len(labeled) < folds:
        raise InputError(f"cross-fitting with {folds} folds needs at least {folds} gold-labeled rows; "
                         f"this data set has {len(labeled)}")
    groups = np.arange(len(gold)) if groups is None else np.asarray(groups)
    y = gold.iloc[labeled].to_numpy()
    grouped = len(np.unique(groups[labeled])) < len(labeled)
    with warnings.catch_warnings():
        # a class rarer than the number of folds is simply absent from some folds
        warnings.simplefilter("ignore", UserWarning)
        if grouped:
            splitter = (f"StratifiedGroupKFold(n_splits={folds}, shuffle=True) per repeat over texts, "
                        f"random states from (seed={seed}, repeat)")
            parts = [held for repeat in range(repeats) for _, held in StratifiedGroupKFold(
                folds, shuffle=True, random_state=_repeat_seed(seed, repeat)).split(labeled, y, groups[labeled])]
        else:
            splitter = f"RepeatedStratifiedKFold(n_splits={folds}, n_repeats={repeats}, random_state={seed})"
            parts = [held for _, held in RepeatedStratifiedKFold(
                n_splits=folds, n_repeats=repeats, random_state=seed).split(labeled, y)]
    out = []
    for index, held in enumerate(parts):
        held_out = labeled[held]
        out_of_training = np.isin(groups, groups[held_out])
        out.append(Fold(index // folds, index % folds, np.flatnonzero(~out_of_training), held_out))
    return out, splitter


def evaluation_plan(examples: pd.DataFrame, scheme: str = "auto", folds: int = 5, repeats: int = 2, seed: int = 0,
                    split_value: str = "test", fraction: float = 0.25, split_seed: int = 0) -> EvaluationPlan:
    """`auto` keeps a user's fixed test split (gold rows whose split column says `split_value`) and otherwise
    cross-fits."""
    groups = text_groups(examples["text"]) if "text" in examples else None
    has_split = bool(((examples["split"].fillna("") == split_value.lower()) & examples["gold"].notna()).any())
    if scheme == "crossfit" or (scheme == "auto" and not has_split):
        return EvaluationPlan("crossfit", folds, repeats, *crossfit_folds(examples["gold"], folds, repeats, seed, groups))
    pool, test = pool_and_test(examples, split_value, fraction, split_seed)
    position = pd.Series(np.arange(len(examples)), index=examples["example_id"])
    held_out = position[test["example_id"]].to_numpy()
    train = position[pool["example_id"]].to_numpy()
    if groups is not None:  # a copy of a test text does not train
        train = train[~np.isin(groups[train], groups[held_out])]
    how = (f"rows whose split column says {split_value!r}" if has_split
           else f"a random {fraction:.0%} of the gold rows (seed {split_seed})")
    return EvaluationPlan("split", 1, 1, [Fold(0, 0, train, held_out)], f"fixed test split: {how}")


def fold_assignments(plan: EvaluationPlan, example_ids: pd.Series) -> pd.DataFrame:
    """Each row out of some fold's training rows, as a run stores its plan: example_id, repeat, the fold that
    leaves it out, and whether that fold scores it (a gold row held out) or only keeps it from training."""
    ids = example_ids.to_numpy()
    frames = []
    for fold in plan.folds:
        out = np.setdiff1d(np.arange(len(ids)), fold.train)
        frames.append(pd.DataFrame({"example_id": ids[out], "repeat": fold.repeat, "fold": fold.fold,
                                    "scored": np.isin(out, fold.held_out)}))
    return pd.concat(frames, ignore_index=True)


def plan_from_assignments(described: dict, assignments: pd.DataFrame, example_ids: pd.Series) -> EvaluationPlan:
    """The plan a run stored (`EvaluationPlan.describe` and `fold_assignments`), as positions in `example_ids`."""
    position = pd.Series(np.arange(len(example_ids)), index=example_ids.to_numpy())
    everything = np.arange(len(example_ids))
    folds = []
    for (repeat, fold), rows in assignments.groupby(["repeat", "fold"], sort=True):
        out = position[rows["example_id"]].to_numpy()
        folds.append(Fold(int(repeat), int(fold), np.setdiff1d(everything, out),
                          np.sort(position[rows.loc[rows["scored"], "example_id"]].to_numpy())))
    return EvaluationPlan(described["scheme"], int(described["n_folds"]), int(described["repeats"]), folds,
                          described.get("splitter", ""))
