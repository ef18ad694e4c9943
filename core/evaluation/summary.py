"""A run's aggregates from its fits' test predictions: teacher scores, learning-curve points (mean over seeds,
two-level bootstrap CI) and paired comparisons of each teacher-trained student with its teacher and with the
gold-trained student. Pure: frames and arrays in, frames out."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.evaluation.fitting import GOLD, label_indices
from core.evaluation.metrics import Bootstrap, accuracy_and_macro_f1, interval, seed_average

METRICS = ("accuracy", "macro_f1")


def flat_scores(scores) -> dict:
    """{metric: Estimate} as columns metric, metric_lo, metric_hi."""
    return {f"{metric}{suffix}": getattr(estimate, attr) for metric, estimate in scores.items()
            for suffix, attr in (("", "value"), ("_lo", "lo"), ("_hi", "hi"))}


def summarize(test_ids: pd.Series, test_truth: np.ndarray, label_names: list[str], teacher_labels: dict[str, pd.Series],
              predictions: pd.DataFrame, fits: pd.DataFrame,
              bootstrap: Bootstrap) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """`teacher_labels`: each teacher's label by example id; `predictions` and `fits` as the store keeps them."""
    k = len(label_names)
    teacher_rows, teacher_samples = [], {}
    for name, labels in teacher_labels.items():
        predicted = label_indices(labels.reindex(test_ids), label_names)
        teacher_samples[name] = bootstrap.samples(test_truth, predicted, k)
        points = accuracy_and_macro_f1(test_truth, predicted, k)
        scores = {metric: interval(samples, point)
                  for metric, samples, point in zip(METRICS, teacher_samples[name], points)}
        teacher_rows.append({"teacher_name": name, "n_test": len(test_ids), "n_answered": int((predicted >= 0).sum()),
                             **flat_scores(scores)})

    curve_rows, samples = [], {}
    for (trained_on, mode, size), group in predictions.groupby(["trained_on", "label_mode", "size"], sort=True):
        seeds = sorted(group["seed"].unique())
        per_seed = np.array([
            bootstrap.samples(test_truth, label_indices(
                group[group["seed"] == seed].set_index("example_id")["predicted"].reindex(test_ids), label_names), k)
            for seed in seeds])  # (seeds, metrics, resamples)
        fit_rows = fits[(fits.trained_on == trained_on) & (fits.label_mode == mode) & (fits["size"] == size)]
        seed_index = bootstrap.seed_resamples(len(seeds))
        for m, metric in enumerate(METRICS):
            averaged = seed_average(per_seed[:, m], seed_index)
            samples[(trained_on, mode, size, metric)] = averaged
            estimate = interval(averaged, fit_rows[metric].mean())
            curve_rows.append({"trained_on": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                               "mean": estimate.value, "lo": estimate.lo, "hi": estimate.hi, "n_seeds": len(seeds),
                               "n_train": int(fit_rows["n_train"].mean()), "n_test": len(test_ids)})
    curve = pd.DataFrame(curve_rows)

    def point(trained_on, mode, size, metric) -> float:
        rows = curve[(curve.trained_on == trained_on) & (curve.label_mode == mode) & (curve["size"] == size)
                     & (curve.metric == metric)]
        return rows["mean"].iloc[0]

    scores_by_teacher = {row["teacher_name"]: row for row in teacher_rows}
    comparison_rows = []
    for (trained_on, mode, size, metric), student in samples.items():
        if trained_on == GOLD:
            continue
        m = METRICS.index(metric)
        references = {"teacher": (teacher_samples[trained_on][m], scores_by_teacher[trained_on][metric])}
        if (GOLD, "hard", size, metric) in samples:
            references["gold_student"] = (samples[(GOLD, "hard", size, metric)], point(GOLD, "hard", size, metric))
        for versus, (reference, reference_point) in references.items():
            estimate = interval(student - reference, point(trained_on, mode, size, metric) - reference_point)
            comparison_rows.append({"teacher_name": trained_on, "label_mode": mode, "size": int(size), "metric": metric,
                                    "versus": versus, "diff": estimate.value, "lo": estimate.lo, "hi": estimate.hi})
    return pd.DataFrame(teacher_rows), curve, pd.DataFrame(comparison_rows)
