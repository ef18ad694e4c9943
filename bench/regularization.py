"""Is the student's fixed regularization (C = 10 for the TF-IDF student) as good as choosing C by internal
cross-validation on each arm's own training labels? On every real LLM-label data set of ../shared/data, for the
student trained on gold labels and the one trained on the LLM's labels: outer 5-fold accuracy with C = 10 and
with C chosen by an inner 3-fold search over the training fold only (never a scored row).

    python bench/regularization.py [--shared ../shared/data]

Prints JSON: per data set and arm both accuracies, and the mean and largest difference."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from core.students import make_student  # noqa: E402
from real_llm_labels import tasks  # noqa: E402
from shared_data import DEFAULT_SHARED  # noqa: E402

GRID = [0.3, 1.0, 3.0, 10.0, 30.0]


def outer_accuracy(X, labels, gold, classifier, tuned: bool) -> float:
    scores = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(gold)), gold):
        usable = train[[isinstance(label, str) and label != "" for label in labels[train]]]
        model = clone(classifier)
        if tuned:
            search = GridSearchCV(model, {"C": GRID}, cv=3, n_jobs=1)
            model = search.fit(X[usable], labels[usable]).best_estimator_
        else:
            model.fit(X[usable], labels[usable])
        scores.append(float((model.predict(X[test]) == gold[test]).mean()))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    rows = []
    for task, model, frame in tasks(args.shared):
        student = make_student()  # classes from the labels: the grid search needs plain sklearn behaviour
        X = student.featurizer.fit(frame["text"]).transform(frame["text"])
        gold = frame["gold"].to_numpy()
        for arm, labels in (("gold", gold), ("llm", frame["answer"].to_numpy())):
            fixed = outer_accuracy(X, labels, gold, student.classifier, tuned=False)
            tuned = outer_accuracy(X, labels, gold, student.classifier, tuned=True)
            rows.append({"task": task, "llm": model, "arm": arm, "fixed_C10": round(fixed, 4),
                         "tuned_C": round(tuned, 4), "tuned_minus_fixed": round(tuned - fixed, 4)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    differences = np.array([r["tuned_minus_fixed"] for r in rows])
    # the headline is a gap between the arms: how much tuning C would move it
    gap_changes = np.array([(llm["tuned_C"] - gold["tuned_C"]) - (llm["fixed_C10"] - gold["fixed_C10"])
                            for gold, llm in zip(rows[0::2], rows[1::2])])
    print(json.dumps({"grid": GRID, "rows": rows, "mean_tuned_minus_fixed": round(float(differences.mean()), 4),
                      "largest_abs_difference": round(float(np.abs(differences).max()), 4),
                      "mean_gap_change": round(float(gap_changes.mean()), 4),
                      "median_abs_gap_change": round(float(np.median(np.abs(gap_changes))), 4),
                      "largest_abs_gap_change": round(float(np.abs(gap_changes).max()), 4)}, indent=1))


if __name__ == "__main__":
    main()
