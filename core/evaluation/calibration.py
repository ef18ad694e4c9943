"""How far to trust a teacher's confidence: for each confidence signal it gives (its stated confidence, and
the share of its k samples that agree), the reliability curve, expected calibration error and the AUROC of
confidence for telling right from wrong, against gold labels on the test split."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

BINS = 10


def _signals(labels: pd.DataFrame) -> dict[str, np.ndarray]:
    stated = labels["confidence"].to_numpy(dtype=float)
    agreement = np.array([json.loads(p).get(l, np.nan) if isinstance(p, str) and isinstance(l, str) else np.nan
                          for p, l in zip(labels["probs"], labels["label"])])
    if np.allclose(stated, agreement, equal_nan=True):  # probabilities spread from the stated confidence
        return {"stated confidence": stated}
    return {"stated confidence": stated, "probability of its label (k-sample agreement)": agreement}


def calibration_tables(labels: pd.DataFrame, gold) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A teacher's answers (label, confidence, probs) against the gold labels of the same examples:
    (summary: one row per signal with n, ECE, AUROC; curve: per signal and bin, mean confidence, accuracy, n)."""
    correct = labels["label"].to_numpy() == np.asarray(gold)
    summary, curve = [], []
    for name, confidence in _signals(labels).items():
        known = ~np.isnan(confidence)
        if known.sum() == 0:
            continue
        c, y = confidence[known], correct[known]
        bins = np.minimum((c * BINS).astype(int), BINS - 1)
        ece = 0.0
        for b in range(BINS):
            members = bins == b
            if members.any():
                ece += members.mean() * abs(c[members].mean() - y[members].mean())
                curve.append({"signal": name, "bin": b, "confidence": c[members].mean(), "accuracy": y[members].mean(),
                              "n": int(members.sum())})
        auroc = roc_auc_score(y, c) if 0 < y.mean() < 1 and len(np.unique(c)) > 1 else np.nan
        summary.append({"signal": name, "n": int(known.sum()), "ece": ece, "auroc": auroc, "accuracy": y.mean(),
                        "mean_confidence": c.mean()})
    return pd.DataFrame(summary), pd.DataFrame(curve)
