"""The disagreement map's pure parts: each example's agreement pattern between teacher, student and gold,
HDBSCAN clusters over the 2-D positions of the disagreeing ones, and each cluster's distinctive terms."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN

from core.evaluation.metrics import wilson_bounds

PATTERNS = ("all right", "teacher wrong", "student wrong", "both wrong", "teacher and student agree",
            "teacher and student disagree")


def with_patterns(view: pd.DataFrame) -> pd.DataFrame:
    gold = view["gold"].notna()
    teacher_right = view["teacher_label"] == view["gold"]
    student_right = view["student_label"] == view["gold"]
    agree = view["teacher_label"] == view["student_label"]
    pattern = np.select(
        [gold & teacher_right & student_right, gold & ~teacher_right & student_right,
         gold & teacher_right & ~student_right, gold & ~teacher_right & ~student_right, agree],
        PATTERNS[:5], default=PATTERNS[5])
    return view.assign(pattern=pattern)


def cluster_summary(view: pd.DataFrame) -> pd.DataFrame:
    """Per cluster (noise left out), largest first: `n` examples, `n_gold` of them with a gold label, and the
    teacher's and the student's error rates among those `n_gold` with 95% Wilson intervals (`*_lo`, `*_hi`;
    NaN where a cluster has no gold label, since an error rate over examples nobody labelled means nothing)."""
    clustered = view[view["cluster"].fillna(-1) >= 0]
    has_gold = clustered["gold"].notna()
    counts = clustered.assign(
        has_gold=has_gold, teacher_wrong=has_gold & (clustered["teacher_label"] != clustered["gold"]),
        student_wrong=has_gold & (clustered["student_label"] != clustered["gold"]),
    ).groupby("cluster").agg(n=("example_id", "size"), n_gold=("has_gold", "sum"),
                             teacher_wrong=("teacher_wrong", "sum"), student_wrong=("student_wrong", "sum"))
    summary = counts[["n", "n_gold"]].copy()
    for who in ("teacher", "student"):
        summary[f"{who}_error"] = (counts[f"{who}_wrong"] / counts["n_gold"]).where(counts["n_gold"] > 0)
        summary[f"{who}_error_lo"], summary[f"{who}_error_hi"] = wilson_bounds(summary[f"{who}_error"], counts["n_gold"])
    return summary.reset_index().sort_values("n", ascending=False, kind="stable")


def cluster_points(points: pd.DataFrame) -> np.ndarray:
    """A cluster per point (`x`, `y`), -1 for noise; too few points make no clusters."""
    if len(points) < 10:
        return np.full(len(points), -1)
    return HDBSCAN(min_cluster_size=max(10, len(points) // 40), copy=True).fit_predict(points[["x", "y"]].to_numpy())
