"""The disagreement map's pure parts: which examples are in doubt without reading any gold label (the student or
most other teachers disagree with the teacher), HDBSCAN clusters over their 2-D positions, each cluster's
summary, each example's agreement of teacher and student (the map's colours) and its pattern with gold (colours
only where the user asks)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.metrics import wilson_bounds

PATTERNS = ("all right", "teacher wrong", "student wrong", "both wrong", "teacher and student agree",
            "teacher and student disagree")


def in_doubt(view: pd.DataFrame, other_labels: pd.DataFrame) -> np.ndarray:
    """Examples whose teacher label someone else contests: the held-out student predicts another label, or more
    than half of the other teachers that answered (`other_labels`, one column each, rows as `view`) give
    another one. Gold is not read: these are the examples the map clusters and the queue ranks."""
    teacher = view["teacher_label"].to_numpy(dtype=object)
    contested = teacher != view["student_label"].to_numpy(dtype=object)
    if other_labels.shape[1]:
        others = other_labels.to_numpy(dtype=object)
        answered = pd.notna(others)
        against = (answered & (others != teacher[:, None])).sum(axis=1)
        contested |= against * 2 > answered.sum(axis=1)
    return contested


AGREEMENTS = ("teacher and student agree", "teacher and student disagree", "no label to compare")


def with_patterns(view: pd.DataFrame) -> pd.DataFrame:
    """Each example's `agreement` of teacher and student (gold unread: the map's default colouring) and its
    `pattern` of teacher, student and gold (where the user asks to colour by the human labels); never what the
    map clusters or the queue ranks."""
    compared = view["teacher_label"].notna() & view["student_label"].notna()
    agreement = np.select([compared & (view["teacher_label"] == view["student_label"]), compared], AGREEMENTS[:2],
                          default=AGREEMENTS[2])
    gold = view["gold"].notna()
    teacher_right = view["teacher_label"] == view["gold"]
    student_right = view["student_label"] == view["gold"]
    agree = view["teacher_label"] == view["student_label"]
    pattern = np.select(
        [gold & teacher_right & student_right, gold & ~teacher_right & student_right,
         gold & teacher_right & ~student_right, gold & ~teacher_right & ~student_right, agree],
        PATTERNS[:5], default=PATTERNS[5])
    return view.assign(agreement=agreement, pattern=pattern)


def cluster_names(clusters: pd.Series) -> list[str]:
    """Each example's cluster as the map and its tables name it: "cluster 3", or "no cluster" (HDBSCAN's noise)."""
    return [f"cluster {c}" if c >= 0 else "no cluster" for c in clusters.fillna(-1).astype(int)]


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
    from sklearn.cluster import HDBSCAN  # here, not at the top: the map's colours and names import this module

    if len(points) < 10:
        return np.full(len(points), -1)
    return HDBSCAN(min_cluster_size=max(10, len(points) // 40), copy=True).fit_predict(points[["x", "y"]].to_numpy())
