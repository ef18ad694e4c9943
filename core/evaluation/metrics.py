"""Accuracy and macro-F1 with percentile-bootstrap confidence intervals, vectorised over resamples.

Labels are integer indices into the label set; -1 means the model gave no label (a teacher abstained
or answered invalidly), which counts as wrong: an abstention is not a free pass.

One `Bootstrap` per run resamples the test set the same way for every model, so differences between
models (student vs gold-trained student, student vs teacher) are paired. Across seeds the curve uses a
two-level bootstrap: resample seeds, and test examples, together."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.errors import InputError

# the metrics students are scored with, and how a page, a chart or a sentence names each
METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1"}

CI_LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    value: float
    lo: float
    hi: float


def _interval(samples: np.ndarray) -> tuple[float, float]:
    tail = (1 - CI_LEVEL) / 2 * 100
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return float(lo), float(hi)


def _scores(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy and macro-F1 from (rows, K, K + 1) confusion counts, where column 0 is "no label" and
    column k + 1 is label k. Macro-F1 averages over classes that occur in truth or prediction, exactly as
    sklearn's f1_score(average='macro')."""
    n_classes = confusion.shape[1]
    tp = confusion[:, np.arange(n_classes), np.arange(n_classes) + 1]
    true_count = confusion.sum(axis=2)
    pred_count = confusion[:, :, 1:].sum(axis=1)
    denominator = 2 * tp + (pred_count - tp) + (true_count - tp)
    occurs = denominator > 0
    f1 = np.where(occurs, 2 * tp / np.maximum(denominator, 1e-12), 0.0)
    macro_f1 = f1.sum(axis=1) / np.maximum(occurs.sum(axis=1), 1)
    return tp.sum(axis=1) / true_count.sum(axis=1), macro_f1


def _cells(true, pred, n_classes: int, dtype=np.float32) -> np.ndarray:
    """One-hot (n, K * (K + 1)) encoding of each example's (truth, prediction) cell."""
    true, pred = np.asarray(true), np.asarray(pred)
    onehot = np.zeros((len(true), n_classes * (n_classes + 1)), dtype=dtype)
    onehot[np.arange(len(true)), true * (n_classes + 1) + pred + 1] = 1.0
    return onehot


def accuracy_and_macro_f1(true, pred, n_classes: int) -> tuple[float, float]:
    confusion = _cells(true, pred, n_classes, np.float64).sum(axis=0).reshape(1, n_classes, n_classes + 1)
    accuracy, macro_f1 = _scores(confusion)
    return float(accuracy[0]), float(macro_f1[0])


class Bootstrap:
    """`resamples` resamplings of a test set of size `n`, fixed by `seed`, held as a (resamples, n)
    matrix of how often each example is drawn, so scoring a model on all resamples is one matrix product."""

    def __init__(self, n: int, resamples: int = 1000, seed: int = 0):
        if n == 0:
            raise InputError("cannot bootstrap an empty test set")
        self.n, self.resamples, self.seed = n, resamples, seed
        draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
        rows = np.repeat(np.arange(resamples), n)
        self.counts = np.bincount(rows * n + draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float32)

    def samples(self, true, pred, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        """Accuracy and macro-F1 on every resample."""
        confusion = (self.counts @ _cells(true, pred, n_classes)).reshape(self.resamples, n_classes, n_classes + 1)
        return _scores(confusion.astype(np.float64))

    def estimate(self, true, pred, n_classes: int) -> dict[str, Estimate]:
        accuracy, macro_f1 = accuracy_and_macro_f1(true, pred, n_classes)
        acc_samples, f1_samples = self.samples(true, pred, n_classes)
        return {"accuracy": Estimate(accuracy, *_interval(acc_samples)),
                "macro_f1": Estimate(macro_f1, *_interval(f1_samples))}

    def seed_resamples(self, n_seeds: int) -> np.ndarray:
        """(resamples, n_seeds) seed indices drawn with replacement, the outer level of the curve bootstrap."""
        return np.random.default_rng(self.seed + 1).integers(0, n_seeds, size=(self.resamples, n_seeds))


def seed_average(per_seed_samples: np.ndarray, seed_index: np.ndarray) -> np.ndarray:
    """(seeds, resamples) metric samples -> (resamples,) samples of the mean over resampled seeds."""
    columns = np.arange(per_seed_samples.shape[1])[:, None]
    return per_seed_samples[seed_index, columns].mean(axis=1)


def interval(samples: np.ndarray, value: float) -> Estimate:
    return Estimate(float(value), *_interval(samples))


Z95 = 1.959963984540054


def wilson(rate: float, n: int) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (rates averaged over seeds are treated as proportions)."""
    if n == 0 or rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return float("nan"), float("nan")
    denominator = 1 + Z95 ** 2 / n
    centre = (rate + Z95 ** 2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(rate * (1 - rate) / n + Z95 ** 2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_bounds(rates, ns) -> tuple[list[float], list[float]]:
    """`wilson` for columns of rates and their counts: (lower bounds, upper bounds), NaN where a rate is
    missing or its count is 0, ready to be stored as `<rate>_lo` and `<rate>_hi`."""
    bounds = [wilson(float(r), int(n)) for r, n in zip(rates, ns)]
    return [lo for lo, _ in bounds], [hi for _, hi in bounds]


def crossfit_interval(per_fold, repeats) -> Estimate:
    """Mean of a statistic over the fold estimates of repeated K-fold cross-fitting (`repeats`: each estimate's
    repeat), with the t interval mean ± t(df) · s / sqrt(K): s² pools the estimates' squared deviations from their
    own repeat's mean over df = J - R (J estimates, R repeats), K is the folds per repeat. s/sqrt(K) is K-fold
    cross-validation's standard error (Hastie, Tibshirani & Friedman 2009, section 7.10): every row is held out
    once per repeat. Repeats re-split the same rows, so they average away the partition's noise, not the data's,
    and do not divide the variance again (Vanwinckelen & Blockeel 2012); deviations from each repeat's own mean,
    not the grand mean, because a repeat's estimates share its rows. Left out: the correlation that shared
    training rows give the folds (no unbiased estimate of it exists: Bengio & Grandvalet 2004). Nadeau and
    Bengio's correction, s²(1/J + 1/(K-1)), guesses it; on four sources with a known truth it covered 0.94-0.99
    at 1.1-1.5 times the width the estimates' spread needs, this interval 0.88-0.97 at 0.9-1.2 times, 0.88 at 100
    training texts on GWSD (bench/interval_rules.py, bench/coverage.py; docs/benchmarks.md). NaN folds (a class
    absent) are left out."""
    from scipy.stats import t

    values, repeats = np.asarray(per_fold, dtype=float), np.asarray(repeats)
    kept = ~np.isnan(values)
    values, repeats = values[kept], repeats[kept]
    if len(values) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    mean = float(values.mean())
    labels, group, counts = np.unique(repeats, return_inverse=True, return_counts=True)
    df = len(values) - len(labels)
    if df < 1:
        return Estimate(mean, float("nan"), float("nan"))
    deviations = values - np.bincount(group, weights=values)[group] / counts[group]
    half = t.ppf(1 - (1 - CI_LEVEL) / 2, df) * np.sqrt((deviations ** 2).sum() / df / counts.max())
    return Estimate(mean, mean - half, mean + half)


def within(estimate: Estimate, lowest: float, highest: float) -> Estimate:
    """`estimate` with its interval cut to the values its statistic can take (an accuracy to [0, 1], a difference
    of two to [-1, 1]): a t interval knows no bounds, and over few folds it reaches past them (an accuracy "up to
    1.11"); the cut interval still holds every possible value the uncut one held."""
    return Estimate(estimate.value, max(estimate.lo, lowest), min(estimate.hi, highest))


def crossfit_interval_words(n_estimates: int | None = None, n_folds: int | None = None) -> str:
    """How a caption names `crossfit_interval`, with its numbers where known."""
    over = f"the {n_estimates} fold estimates" if n_estimates else "the fold estimates"
    k = n_folds if n_folds else "K"
    return (f"the cross-validation t interval over {over}, standard error s/√{k} (s: their spread within each "
            f"repeat; {k} folds per repeat, since repeats re-split the same rows)")


@dataclass(frozen=True)
class ErrorStructure:
    """Is an error rate structured by a slice? `p_homogeneity`: the test that every bucket has the same rate,
    named in `test`: chi-square where the expected counts allow it (Cochran: none below 1, at most a fifth
    below 5), else a Monte Carlo permutation test of the same statistic, which needs no large counts; per
    bucket, `lift` (its rate over the overall rate) and `p_excess`, the one-sided Fisher exact test that the
    bucket's rate exceeds the rest's, Holm-adjusted over the buckets."""

    overall_rate: float
    chi2: float
    p_homogeneity: float
    lift: np.ndarray
    p_excess: np.ndarray
    test: str = "chi-square"


def error_structure(n, wrong) -> ErrorStructure:
    from scipy.stats import chi2_contingency, fisher_exact

    n, wrong = np.asarray(n, dtype=int), np.asarray(wrong, dtype=int)
    total, total_wrong = n.sum(), wrong.sum()
    overall = total_wrong / total if total else float("nan")
    lift = np.divide(wrong / np.maximum(n, 1), overall, out=np.full(len(n), np.nan), where=overall > 0)
    table = np.stack([wrong, n - wrong], axis=1)
    used = table[table.sum(axis=1) > 0]
    chi2, p, test = float("nan"), float("nan"), "chi-square"
    if len(used) >= 2 and 0 < total_wrong < total:
        chi2, p, _, expected = chi2_contingency(used)
        if (expected < 1).any() or (expected < 5).mean() > 0.2:
            p, test = permutation_homogeneity(used), "permutation (expected counts too small for chi-square)"
    raw = np.array([fisher_exact([[w, k - w], [total_wrong - w, total - k - total_wrong + w]], alternative="greater")[1]
                    if k else np.nan for k, w in zip(n, wrong)])
    return ErrorStructure(overall, float(chi2), float(p), lift, holm(raw), test)


def permutation_homogeneity(table: np.ndarray, draws: int = 20000, seed: int = 0) -> float:
    """P-value of the (uncorrected) chi-square statistic of a (buckets, [wrong, right]) table under random
    reallocation of the wrong answers to the buckets' rows (multivariate hypergeometric, margins fixed)."""
    sizes, wrong = table.sum(axis=1), int(table[:, 0].sum())
    expected = np.outer(sizes, [wrong, sizes.sum() - wrong]) / sizes.sum()

    def statistic(wrong_per_bucket: np.ndarray) -> np.ndarray:
        both = np.stack([wrong_per_bucket, sizes - wrong_per_bucket], axis=-1)
        return ((both - expected) ** 2 / expected).sum(axis=(-2, -1))

    simulated = np.random.default_rng(seed).multivariate_hypergeometric(sizes, wrong, size=draws)
    return float((1 + (statistic(simulated) >= statistic(table[:, 0]) - 1e-9).sum()) / (1 + draws))


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q): rejecting every q < alpha keeps the expected share of false
    findings among the findings at alpha. NaN entries are left out and stay NaN."""
    adjusted = np.full(len(p), np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid])[::-1]]  # largest first, so the running minimum walks down the ranks
    running = 1.0
    for rank, index in zip(range(len(order), 0, -1), order):
        running = min(running, p[index] * len(order) / rank)
        adjusted[index] = running
    return adjusted


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (NaN entries are left out and stay NaN)."""
    adjusted = np.full(len(p), np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid])]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[index]))
        adjusted[index] = running
    return adjusted
