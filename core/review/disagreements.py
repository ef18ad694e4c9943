"""The disagreement map's pure parts: each example's agreement pattern between teacher, student and gold,
HDBSCAN clusters over the 2-D positions of the disagreeing ones, and each cluster's distinctive terms."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN

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


def cluster_points(points: pd.DataFrame) -> np.ndarray:
    """A cluster per point (`x`, `y`), -1 for noise; too few points make no clusters."""
    if len(points) < 10:
        return np.full(len(points), -1)
    return HDBSCAN(min_cluster_size=max(10, len(points) // 40), copy=True).fit_predict(points[["x", "y"]].to_numpy())
