"""A run's aggregates from its fits' held-out predictions: learning-curve points, paired comparisons of each
teacher-trained student with its teacher and with the gold-trained student, per-class recall and precision,
and the teachers' scores. Pure: frames and arrays in, frames out.

Where a student is fitted with seed weights (an arm at all its rows, and where a teacher's arm meets the gold
arm), the point estimate is the plain fit's (every row once) and the seeds' Bayesian-bootstrap weights only give
the interval its seed variance: the interval is the seeds' one moved to sit around the plain estimate.

Cross-fitted runs estimate each statistic per fold (averaged over seeds) and give the cross-validation t
interval over folds, so the interval covers which texts were trained on, the seeds and the scored rows; the
paired statistics (gaps) are differences on the same held-out rows of the same fold. Macro-F1 is not a mean
over rows, so its point estimate is each repeat's F1 over all its held-out predictions at once, averaged over
repeats (the interval moved to it). A fixed test split has one fold: its intervals are a two-level bootstrap
over seeds and test rows, and cover that one split only."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD, PLAIN_SEED, label_indices
from core.evaluation.metrics import (
    METRIC_NAMES,
    Bootstrap,
    Estimate,
    accuracy_and_macro_f1,
    crossfit_interval,
    interval,
    seed_average,
    wilson,
    within,
)

METRICS = tuple(METRIC_NAMES)


@dataclass
class ArmScores:
    """One (label source, mode, size): per fold its metrics and per-class rates averaged over seeds; for a
    fixed split, also bootstrap samples of each."""

    per_fold: dict[str, np.ndarray]  # metric -> (folds,)
    recall: np.ndarray  # (folds, classes)
    precision: np.ndarray
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # metric or recall/precision -> resamples
    n_seeds: int = 0
    n_train: int = 0
    n_unconverged: int = 0
    fixed: bool = False  # a teacher's labels: no training variance, so rows are all that varies
    plain: dict[str, np.ndarray] = field(default_factory=dict)  # metric, recall, precision -> per fold, plain fit
    pooled_macro_f1: np.ndarray | None = None  # per fold, its repeat's macro-F1 over every held-out row at once

    def point(self, name: str) -> np.ndarray:
        """Per fold what the point estimate of `name` (a metric, "recall" or "precision") comes from: macro-F1
        from each repeat's pooled held-out predictions, every other statistic from the plain fit where there is
        one, else the seeds' average."""
        if name == "macro_f1" and self.pooled_macro_f1 is not None:
            return self.pooled_macro_f1
        if name in self.plain:
            return self.plain[name]
        return self.per_fold[name] if name in self.per_fold else getattr(self, name)


@dataclass(frozen=True)
class Scoring:
    """What every statistic of a run is estimated from: the scheme, the folds' keys with their held-out rows,
    the gold labels as indices, and (for a fixed split) the bootstrap over its rows."""

    scheme: str
    n_folds: int
    folds: list[tuple[int, int]]
    held_out: dict[tuple[int, int], np.ndarray]  # fold -> example ids, sorted
    truth: pd.Series  # gold label index by example id, every gold row (pool and test)
    n_classes: int
    bootstrap: Bootstrap | None

    def estimate(self, per_fold: np.ndarray, samples: np.ndarray | None = None, fixed: bool = False,
                 point: np.ndarray | None = None, difference: bool = False) -> Estimate:
        """Cross-fitted: the cross-validation t interval over folds; a fixed split, or a `fixed` labeling such as a
        teacher's: the bootstrap `samples` over rows (and seeds). With `point` (per fold, the plain fits'), the
        estimate is its mean and the interval is moved by as much as the mean moved. The interval stays within
        what a score can be, [0, 1], or a `difference` of two, [-1, 1]."""
        unbounded = self._estimate(per_fold, samples, fixed, point)
        return within(unbounded, -1.0, 1.0) if difference else within(unbounded, 0.0, 1.0)

    def _estimate(self, per_fold: np.ndarray, samples: np.ndarray | None, fixed: bool,
                  point: np.ndarray | None) -> Estimate:
        if self.scheme == "crossfit" and not fixed:
            estimate = crossfit_interval(per_fold, [repeat for repeat, _ in self.folds])
        else:
            value = float(np.nanmean(per_fold))
            estimate = interval(samples, value) if samples is not None else Estimate(value, float("nan"), float("nan"))
        if point is None or np.isnan(point).all():
            return estimate
        shift = float(np.nanmean(point)) - estimate.value
        return Estimate(estimate.value + shift, estimate.lo + shift, estimate.hi + shift)


def class_rates(true: np.ndarray, predicted: np.ndarray, n_classes: int, counts=None) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision per class from seed-averaged indicators; `predicted` is (seeds, rows). With bootstrap
    `counts` (resamples, rows) it returns (resamples, classes) arrays, else (classes,)."""
    classes = np.arange(n_classes)
    is_true = (true[:, None] == classes).astype(float)
    said = (predicted[:, :, None] == classes).mean(axis=0)
    hits = said * is_true
    # one product over the three indicators, in the counts' own float32 (an upcast copy of a 1000 x 12,500
    # count matrix per call was most of a 50,000-text run's summary)
    weights = counts if counts is not None else np.ones((1, len(true)))
    totals = (weights @ np.hstack([hits, is_true, said]).astype(weights.dtype)).astype(float)
    hit, truly, told = totals[:, :n_classes], totals[:, n_classes:2 * n_classes], totals[:, 2 * n_classes:]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = hit / truly
        precision = hit / told
    return (recall, precision) if counts is not None else (recall[0], precision[0])


def arm_scores(group: pd.DataFrame, fits: pd.DataFrame, scoring: Scoring, label_names: list[str]) -> ArmScores:
    """`group`: the predictions of one (trained_on, label_mode, size)."""
    k = scoring.n_classes
    per_fold = {metric: np.full(len(scoring.folds), np.nan) for metric in METRICS}
    recall, precision = np.full((len(scoring.folds), k), np.nan), np.full((len(scoring.folds), k), np.nan)
    samples: dict[str, np.ndarray] = {}
    plain = group[group["seed"] == PLAIN_SEED]
    group = group[group["seed"] != PLAIN_SEED]
    plain_scores = {name: np.full(len(scoring.folds), np.nan) for name in METRICS} if len(plain) else {}
    if len(plain):
        plain_scores.update(recall=np.full((len(scoring.folds), k), np.nan), precision=np.full((len(scoring.folds), k), np.nan))
    repeats: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}  # repeat -> (truth, the point's predictions) per fold
    for position, key in enumerate(scoring.folds):
        rows = group[(group["repeat"] == key[0]) & (group["fold"] == key[1])]
        if rows.empty:
            continue
        ids = scoring.held_out[key]
        true = scoring.truth.reindex(ids).to_numpy()
        plain_rows = plain[(plain["repeat"] == key[0]) & (plain["fold"] == key[1])]
        said = None
        if len(plain_rows):
            said = label_indices(plain_rows.set_index("example_id")["predicted"].reindex(ids), label_names)
            plain_scores["accuracy"][position], plain_scores["macro_f1"][position] = accuracy_and_macro_f1(true, said, k)
            plain_scores["recall"][position], plain_scores["precision"][position] = class_rates(true, said[None, :], k)
        by_seed = rows.pivot(index="example_id", columns="seed", values="predicted").reindex(ids)
        seeds = sorted(by_seed.columns)
        predicted = np.stack([label_indices(by_seed[s], label_names) for s in seeds])
        repeats.setdefault(key[0], []).append((true, predicted if said is None else said[None, :]))
        scores = np.array([accuracy_and_macro_f1(true, p, k) for p in predicted])
        per_fold["accuracy"][position], per_fold["macro_f1"][position] = scores.mean(axis=0)
        recall[position], precision[position] = class_rates(true, predicted, k)
        if scoring.bootstrap is not None:
            per_seed = np.array([scoring.bootstrap.samples(true, p, k) for p in predicted])  # (seeds, 2, resamples)
            seed_index = scoring.bootstrap.seed_resamples(len(seeds))
            for m, metric in enumerate(METRICS):
                samples[metric] = seed_average(per_seed[:, m], seed_index)
            samples["recall"], samples["precision"] = class_rates(true, predicted, k, scoring.bootstrap.counts)
    first = group.iloc[0]
    mine = fits[(fits.trained_on == first["trained_on"]) & (fits.label_mode == first["label_mode"])
                & (fits["size"] == first["size"])]
    return ArmScores(per_fold, recall, precision, samples, n_seeds=int(group["seed"].nunique()),
                     n_train=int(round(mine["n_train"].mean())), n_unconverged=int((~mine["converged"]).sum()),
                     plain=plain_scores, pooled_macro_f1=_pooled_macro_f1(repeats, scoring, k))


def _pooled_macro_f1(repeats: dict[int, list[tuple[np.ndarray, np.ndarray]]], scoring: Scoring, k: int) -> np.ndarray:
    """Per fold, the macro-F1 of its repeat's held-out predictions taken together (every gold row once; averaged
    over seeds where there is no plain fit). F1 is not a mean over rows, so the mean of per-fold F1s, each on
    a fold's few rows, leans away from the F1 a student reaches (Forman & Scholz 2010 recommend pooling the
    counts): in the coverage benchmark the per-fold mean put the gap 2.7 Monte Carlo SEs below the truth."""
    by_repeat = {}
    for repeat, parts in repeats.items():
        true = np.concatenate([t for t, _ in parts])
        predicted = np.concatenate([p for _, p in parts], axis=1)
        by_repeat[repeat] = float(np.mean([accuracy_and_macro_f1(true, p, k)[1] for p in predicted]))
    return np.array([by_repeat.get(repeat, np.nan) for repeat, _ in scoring.folds])


def teacher_scores(name: str, labels: pd.DataFrame, scoring: Scoring, label_names: list[str]) -> tuple[dict, ArmScores]:
    """A teacher's score on the scored rows (held-out figure) and over every gold row of the data set (pool and
    test, `scoring.truth`), where invalid and abstained answers count as wrong, with how many there were."""
    k = scoring.n_classes
    scored = np.unique(np.concatenate(list(scoring.held_out.values())))
    per_fold = {metric: np.zeros(len(scoring.folds)) for metric in METRICS}
    recall, precision = np.zeros((len(scoring.folds), k)), np.zeros((len(scoring.folds), k))
    repeats: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    for position, key in enumerate(scoring.folds):
        ids = scoring.held_out[key]
        true, said = scoring.truth.reindex(ids).to_numpy(), label_indices(labels["label"].reindex(ids), label_names)
        per_fold["accuracy"][position], per_fold["macro_f1"][position] = accuracy_and_macro_f1(true, said, k)
        recall[position], precision[position] = class_rates(true, said[None, :], k)
        repeats.setdefault(key[0], []).append((true, said[None, :]))
    # rows are all that varies for fixed labels: a bootstrap over the scored rows (the split's own, if fixed)
    bootstrap = scoring.bootstrap or Bootstrap(len(scored), seed=0)
    true, said = scoring.truth.reindex(scored).to_numpy(), label_indices(labels["label"].reindex(scored), label_names)
    samples = dict(zip(METRICS, bootstrap.samples(true, said, k)))
    samples["recall"], samples["precision"] = class_rates(true, said[None, :], k, bootstrap.counts)
    everything = labels.reindex(scoring.truth.index)
    said_all = label_indices(everything["label"], label_names)
    accuracy_all = float((said_all == scoring.truth.to_numpy()).mean())
    reasons = everything["abstain_reason"].fillna("").astype(str)
    pooled = dict(zip(METRICS, accuracy_and_macro_f1(true, said, k)))  # every scored row once per repeat
    held_out = {metric: interval(samples[metric], pooled[metric]) for metric in METRICS}
    row = {"teacher_name": name, "n_test": len(scored),
           "n_answered": int((label_indices(labels["label"].reindex(scored), label_names) >= 0).sum()),
           **{f"{metric}{suffix}": getattr(held_out[metric], attr) for metric in METRICS
              for suffix, attr in (("", "value"), ("_lo", "lo"), ("_hi", "hi"))},
           "n_all_gold": len(said_all), "n_invalid": int(reasons.str.startswith("invalid").sum()),
           "n_abstained": int(((said_all < 0) & ~reasons.str.startswith("invalid")).sum()),
           "all_gold_accuracy": accuracy_all}
    row["all_gold_accuracy_lo"], row["all_gold_accuracy_hi"] = wilson(accuracy_all, len(said_all))
    return row, ArmScores(per_fold, recall, precision, samples, fixed=True,
                          pooled_macro_f1=_pooled_macro_f1(repeats, scoring, k))


def _difference(a: ArmScores, b: ArmScores, metric: str, scoring: Scoring) -> Estimate:
    samples = a.samples[metric] - b.samples[metric] if metric in a.samples and metric in b.samples else None
    return scoring.estimate(a.per_fold[metric] - b.per_fold[metric], samples, point=a.point(metric) - b.point(metric),
                            difference=True)


def _class_rows(teacher: str, mode: str, who: str, scores: ArmScores, scoring: Scoring, label_names, n_true):
    """Recall and precision per class; `n` is the class's gold rows among the scored ones."""
    rows = []
    for c, label in enumerate(label_names):
        for metric, per_fold in (("recall", scores.recall), ("precision", scores.precision)):
            samples = scores.samples[metric][:, c] if metric in scores.samples else None
            estimate = scoring.estimate(per_fold[:, c], samples, fixed=scores.fixed, point=scores.point(metric)[:, c])
            rows.append({"teacher_name": teacher, "label_mode": mode, "who": who, "label": label, "metric": metric,
                         "value": estimate.value, "lo": estimate.lo, "hi": estimate.hi, "n": int(n_true[c])})
    return rows


def summarize(scoring: Scoring, label_names: list[str], teacher_labels: dict[str, pd.DataFrame],
              predictions: pd.DataFrame, fits: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every aggregate table of a run (see core.store.runs.SUMMARY_TABLES). `teacher_labels`: each teacher's
    answers (label, abstain_reason) by example id."""
    arms = {key: arm_scores(group, fits, scoring, label_names)
            for key, group in predictions.groupby(["trained_on", "label_mode", "size"], sort=True)}
    teachers = {name: teacher_scores(name, labels, scoring, label_names) for name, labels in teacher_labels.items()}
    scored = np.unique(np.concatenate(list(scoring.held_out.values())))
    n_true = np.bincount(scoring.truth.reindex(scored).to_numpy(), minlength=scoring.n_classes)

    curve = []
    for (trained_on, mode, size), scores in arms.items():
        for metric in METRICS:
            estimate = scoring.estimate(scores.per_fold[metric], scores.samples.get(metric), point=scores.point(metric))
            curve.append({"trained_on": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                          "mean": estimate.value, "lo": estimate.lo, "hi": estimate.hi, "n_seeds": scores.n_seeds,
                          "n_train": scores.n_train, "n_test": len(scored), "n_folds": len(scoring.folds),
                          "n_unconverged": scores.n_unconverged})

    gold_sizes = sorted(size for (trained_on, _, size) in arms if trained_on == GOLD)
    comparisons, class_scores, differences = [], [], []
    for (trained_on, mode, size), scores in arms.items():
        if trained_on == GOLD:
            continue
        largest = size == max(s for (t, m, s) in arms if (t, m) == (trained_on, mode))
        references = [("teacher", teachers[trained_on][1], None)]
        if size in gold_sizes:
            references.append(("gold_student", arms[(GOLD, "hard", size)], size))
        if largest and gold_sizes and gold_sizes[-1] != size:  # each arm at all its rows
            references.append(("gold_student_all", arms[(GOLD, "hard", gold_sizes[-1])], gold_sizes[-1]))
        for versus, reference, reference_size in references:
            for metric in METRICS:
                estimate = _difference(scores, reference, metric, scoring)
                comparisons.append({"teacher_name": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                                    "versus": versus, "diff": estimate.value, "lo": estimate.lo, "hi": estimate.hi,
                                    "reference_size": reference_size})
        if largest and gold_sizes:
            gold = arms[(GOLD, "hard", gold_sizes[-1])]
            class_scores += _class_rows(trained_on, mode, "student", scores, scoring, label_names, n_true)
            class_scores += _class_rows(trained_on, mode, "gold_student", gold, scoring, label_names, n_true)
            class_scores += _class_rows(trained_on, mode, "teacher", teachers[trained_on][1], scoring, label_names, n_true)
            for c, label in enumerate(label_names):
                samples = (scores.samples["recall"][:, c] - gold.samples["recall"][:, c]
                           if "recall" in scores.samples else None)
                estimate = scoring.estimate(scores.recall[:, c] - gold.recall[:, c], samples,
                                            point=scores.point("recall")[:, c] - gold.point("recall")[:, c],
                                            difference=True)
                differences.append({"teacher_name": trained_on, "label_mode": mode, "label": label,
                                    "diff": estimate.value, "lo": estimate.lo, "hi": estimate.hi})
    return {"teacher_scores": pd.DataFrame([row for row, _ in teachers.values()]), "curve_points": pd.DataFrame(curve),
            "comparisons": pd.DataFrame(comparisons), "class_scores": pd.DataFrame(class_scores),
            "class_differences": pd.DataFrame(differences)}
