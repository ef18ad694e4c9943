"""How far to trust a teacher's confidence: for each confidence signal it gives (its stated confidence, and
the share of its k samples that agree), the reliability curve, expected calibration error and the AUROC of
confidence for telling right from wrong, against gold labels on the rows the run scored (its test split, or
every gold row when cross-fitted), each with a 95% interval."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from core.evaluation.metrics import Z95, wilson

BINS = 10
BOOTSTRAP = 200  # resamples of the scored rows for the ECE's interval


def _signals(labels: pd.DataFrame) -> dict[str, np.ndarray]:
    stated = labels["confidence"].to_numpy(dtype=float)
    agreement = np.array([json.loads(p).get(l, np.nan) if isinstance(p, str) and isinstance(l, str) else np.nan
                          for p, l in zip(labels["probs"], labels["label"])])
    if np.allclose(stated, agreement, equal_nan=True):  # probabilities spread from the stated confidence
        return {"stated confidence": stated}
    return {"stated confidence": stated, "probability of its label (k-sample agreement)": agreement}


def _ece(confidence: np.ndarray, correct: np.ndarray, bins: np.ndarray) -> float:
    """Expected calibration error: the bins' |mean confidence - accuracy| weighted by their share of rows."""
    gaps = np.bincount(bins, weights=confidence, minlength=BINS) - np.bincount(bins, weights=correct, minlength=BINS)
    return float(np.abs(gaps).sum() / len(confidence))


def _ece_interval(confidence: np.ndarray, correct: np.ndarray, bins: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap over rows (the ECE has no closed-form interval). The binned ECE is biased upward,
    and this spread keeps the bias: read it as how much the estimate moves, not as a bound on the true error."""
    rng = np.random.default_rng(seed)
    n = len(confidence)
    draws = [_ece(confidence[i], correct[i], bins[i]) for i in (rng.integers(0, n, n) for _ in range(BOOTSTRAP))]
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def _auroc_interval(auroc: float, n_right: int, n_wrong: int) -> tuple[float, float]:
    """Hanley and McNeil's (1982) standard error of an AUROC from its value and the two classes' sizes."""
    q1, q2 = auroc / (2 - auroc), 2 * auroc ** 2 / (1 + auroc)
    se = np.sqrt((auroc * (1 - auroc) + (n_right - 1) * (q1 - auroc ** 2) + (n_wrong - 1) * (q2 - auroc ** 2))
                 / (n_right * n_wrong))
    return max(0.0, auroc - Z95 * se), min(1.0, auroc + Z95 * se)


def calibration_tables(labels: pd.DataFrame, gold) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A teacher's answers (label, confidence, probs) against the gold labels of the same examples:
    (summary: one row per signal with n, ECE, AUROC and accuracy, each with `_lo` and `_hi` 95% bounds, and the
    mean confidence; curve: per signal and bin, mean confidence, accuracy, n)."""
    correct = labels["label"].to_numpy() == np.asarray(gold)
    summary, curve = [], []
    for name, confidence in _signals(labels).items():
        known = ~np.isnan(confidence)
        if known.sum() == 0:
            continue
        c, y = confidence[known], correct[known]
        bins = np.minimum((c * BINS).astype(int), BINS - 1)
        for b in range(BINS):
            members = bins == b
            if members.any():
                curve.append({"signal": name, "bin": b, "confidence": c[members].mean(), "accuracy": y[members].mean(),
                              "n": int(members.sum())})
        auroc = roc_auc_score(y, c) if 0 < y.mean() < 1 and len(np.unique(c)) > 1 else np.nan
        auroc_lo, auroc_hi = (np.nan, np.nan) if np.isnan(auroc) else _auroc_interval(auroc, int(y.sum()), int((~y).sum()))
        ece_lo, ece_hi = _ece_interval(c, y.astype(float), bins)
        accuracy_lo, accuracy_hi = wilson(float(y.mean()), len(y))
        summary.append({"signal": name, "n": int(known.sum()), "ece": _ece(c, y.astype(float), bins), "ece_lo": ece_lo,
                        "ece_hi": ece_hi, "auroc": auroc, "auroc_lo": auroc_lo, "auroc_hi": auroc_hi,
                        "accuracy": y.mean(), "accuracy_lo": accuracy_lo, "accuracy_hi": accuracy_hi,
                        "mean_confidence": c.mean()})
    return pd.DataFrame(summary), pd.DataFrame(curve)
