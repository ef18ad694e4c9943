"""The exchange rate: how many human labels one teacher label is worth at matched accuracy. The teacher's
student at its largest size reaches some accuracy; the human-label learning curve, interpolated linearly in
log size between the sizes the run measured, says how many human labels reach the same accuracy; the rate
is their ratio. Computed per fold (each fold's two curves), it gets the cross-validation t interval over
folds on the log ratios (exponentiated back). Where a curve never meets the other within the measured sizes,
the rate is not extrapolated: it is said."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD, PLAIN_SEED
from core.evaluation.metrics import crossfit_interval, crossfit_interval_words

BELOW, ABOVE = "below", "above"


def fold_accuracies(fits: pd.DataFrame) -> pd.DataFrame:
    """Per (trained_on, label_mode, size, repeat, fold) from a run's fits (`Store.fits`): the accuracy the curve's
    point estimate uses (the plain fit where the run made one, else the seeds' mean) and the rows trained on."""
    keys = ["trained_on", "label_mode", "size", "repeat", "fold"]
    is_plain = fits["seed"] == PLAIN_SEED
    has_plain = fits.set_index(keys).index.isin(fits[is_plain].set_index(keys).index)
    return fits[is_plain | ~has_plain].groupby(keys, as_index=False)[["accuracy", "n_train"]].mean()


def size_at_accuracy(sizes: np.ndarray, accuracies: np.ndarray, accuracy: float) -> float | str:
    """The size at which a learning curve (sizes increasing) first reaches `accuracy`, linear in log size between
    measured points; BELOW when the curve starts above it (no measured size is that low), ABOVE when it never
    gets there."""
    if accuracy <= accuracies[0]:
        return float(sizes[0]) if accuracy == accuracies[0] else BELOW
    for i in range(1, len(sizes)):
        if accuracies[i] >= accuracy:
            share = (accuracy - accuracies[i - 1]) / (accuracies[i] - accuracies[i - 1])
            return float(np.exp(np.log(sizes[i - 1]) + share * (np.log(sizes[i]) - np.log(sizes[i - 1]))))
    return ABOVE


@dataclass(frozen=True)
class ExchangeRate:
    """Human labels per teacher label at the accuracy the teacher's student reaches at its largest size
    (`teacher_labels` labels, `accuracy`), `human_labels` the matching human size; value, lo, hi None where not
    measured (`note` says why)."""

    teacher: str
    label_mode: str
    value: float | None
    lo: float | None
    hi: float | None
    teacher_labels: int
    human_labels: float | None
    accuracy: float
    n_folds: int
    note: str

    def to_dict(self) -> dict:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, 6)

        return {"teacher": self.teacher, "label_mode": self.label_mode,
                "human_labels_per_teacher_label": {"value": rounded(self.value), "lo": rounded(self.lo),
                                                   "hi": rounded(self.hi)},
                "teacher_labels": self.teacher_labels, "human_labels": rounded(self.human_labels),
                "accuracy": rounded(self.accuracy), "n_folds": self.n_folds, "note": self.note}


def _curve(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ordered = rows.sort_values("n_train")
    return ordered["n_train"].to_numpy(float), ordered["accuracy"].to_numpy(float)


def exchange_rate(human: pd.DataFrame, teacher: pd.DataFrame, name: str, label_mode: str) -> ExchangeRate:
    """`human`, `teacher`: per-fold learning curves (repeat, fold, n_train, accuracy; `fold_accuracies` rows of
    one arm). The value and interval come from the per-fold ratios when every fold's curves meet in range; else
    the value is read off the curves averaged over folds, without an interval."""
    folds = sorted(set(map(tuple, human[["repeat", "fold"]].to_numpy())) & set(map(tuple, teacher[["repeat", "fold"]].to_numpy())))
    per_repeat = max(len({f for r, f in folds if r == repeat}) for repeat in {r for r, _ in folds})
    log_ratios, ratio_repeats, missed = [], [], 0
    for repeat, fold in folds:
        mine = teacher[(teacher["repeat"] == repeat) & (teacher["fold"] == fold)]
        sizes, accuracies = _curve(mine)
        matched = size_at_accuracy(*_curve(human[(human["repeat"] == repeat) & (human["fold"] == fold)]), accuracies[-1])
        if isinstance(matched, str):
            missed += 1
        else:
            log_ratios.append(np.log(matched / sizes[-1]))
            ratio_repeats.append(repeat)
    mean_human = human.groupby("size")[["n_train", "accuracy"]].mean()
    mean_teacher = teacher.groupby("size")[["n_train", "accuracy"]].mean()
    t_sizes, t_accuracies = _curve(mean_teacher)
    h_sizes, h_accuracies = _curve(mean_human)
    n_teacher, accuracy = int(round(t_sizes[-1])), float(t_accuracies[-1])
    matched = size_at_accuracy(h_sizes, h_accuracies, accuracy)
    base = ExchangeRate(name, label_mode, None, None, None, n_teacher, None, accuracy, len(folds), "")
    if matched == BELOW:
        return replace(base, note=(
            f"the teacher's curve never reaches the human curve in this range: {n_teacher:,} {name} labels "
            f"({label_mode}) give {accuracy:.1%}, below {h_accuracies[0]:.1%} from the fewest human labels measured "
            f"({h_sizes[0]:,.0f}), so one teacher label is worth less than {h_sizes[0] / n_teacher:.3g} human labels"))
    if matched == ABOVE:
        return replace(base, note=(
            f"the human curve never reaches the teacher's in this range: {n_teacher:,} {name} labels ({label_mode}) "
            f"give {accuracy:.1%}, above {h_accuracies.max():.1%} from up to {h_sizes[-1]:,.0f} human labels, so one "
            f"teacher label is worth more than {h_sizes[-1] / n_teacher:.3g} human labels"))
    assert isinstance(matched, float)
    if missed:
        value = matched / n_teacher
        return replace(base, value=value, human_labels=matched, note=(
            f"{n_teacher:,} {name} labels ({label_mode}) match {matched:,.0f} human labels on the curves averaged over "
            f"folds; no interval: in {missed} of {len(folds)} folds the curves do not meet within the sizes measured"))
    estimate = crossfit_interval(np.array(log_ratios), ratio_repeats)
    ratio = float(np.exp(estimate.value))
    lo, hi = (float(np.exp(x)) if np.isfinite(x) else None for x in (estimate.lo, estimate.hi))
    how = (f"geometric mean of {len(folds)} per-fold ratios, linear in log size; 95% interval: "
           f"{crossfit_interval_words(len(folds), per_repeat)}, on the log ratios" if lo is not None
           else "linear in log size on the run's one scored split: no interval, since folds are what it comes from")
    return replace(base, value=ratio, lo=lo, hi=hi, human_labels=n_teacher * ratio, note=(
        f"{n_teacher:,} {name} labels ({label_mode}) match about {n_teacher * ratio:,.0f} human labels ({how})"))


def exchange_rates(fold_scores: pd.DataFrame) -> list[ExchangeRate]:
    """Every teacher arm of a run against its gold arm (`fold_accuracies` rows)."""
    human = fold_scores[fold_scores["trained_on"] == GOLD]
    if human.empty:
        return []
    return [exchange_rate(human, rows, str(teacher), str(mode))
            for (teacher, mode), rows in fold_scores[fold_scores["trained_on"] != GOLD].groupby(["trained_on", "label_mode"])]
