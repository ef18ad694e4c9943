"""Do the cross-fitted intervals mean what they say? Draw many data sets from the demo generator, label them with
a SIMULATED teacher whose noise model is known, run pseudolens on each (real runs in a DuckDB file, cross-fitted,
default folds and repeats), and count how often the 95% interval of the headline gap (student on teacher labels
minus student on gold labels, both at "all") covers the true gap. The true gap is measured directly: students
trained the same way on many fresh training sets of the same size, scored on a large independent sample.

    python bench/coverage.py [--datasets 100] [--n 500] [--truth-replicates 100] [--test 20000]

Prints JSON: coverage with its own 95% Wilson interval, the mean interval width, the true gap, and the estimates.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.datasets import demo_corpus  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.datasets.reading import ColumnMapping, read_dataset  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.evaluation.fitting import draw_rows  # noqa: E402
from core.evaluation.metrics import wilson  # noqa: E402
from core.evaluation.service import headlines  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.store import Store  # noqa: E402
from core.students import make_student  # noqa: E402
from core.teachers import NoiseModel, SimulatedTeacher  # noqa: E402
from core.teachers.base import label_texts  # noqa: E402

# a teacher that is systematically wrong (nested clauses, ambiguity, false premises, negation) plus random slips
NOISE = {"mode": "structured", "base_accuracy": 0.9, "depth_error": 0.15, "ambiguous_error": 0.5,
         "false_premise_error": 0.5, "negation_error": 0.3, "seed": 0}
FOLDS, REPEATS, SEEDS = 5, 2, [0, 1, 2]
LABELS = demo_corpus.LABELS


def teacher_labels(frame) -> np.ndarray:
    """The simulated teacher's label for each text of a generated frame."""
    truth = frame.rename(columns={"id": "example_id", "label": "gold"}).set_index("example_id")
    teacher = SimulatedTeacher("sim", NoiseModel(**NOISE), truth, demo_corpus.LABEL_SET)
    answers = label_texts(teacher, frame.rename(columns={"id": "example_id"}), demo_corpus.LABEL_SET)
    return answers.set_index("example_id")["label"].reindex(frame["id"]).to_numpy()


def true_gap(n: int, replicates: int, test_size: int) -> float:
    """E[accuracy(teacher-trained) - accuracy(gold-trained)] for students trained like a run's "all" arm: a data
    set of n texts featurized together, training on a fold's share of it with Bayesian-bootstrap weights."""
    test = demo_corpus.generate(test_size, seed=10_000)
    n_train = n * (FOLDS - 1) // FOLDS
    gaps = []
    for replicate in range(replicates):
        frame = demo_corpus.generate(n, seed=20_000 + replicate)
        taught = teacher_labels(frame)
        student = make_student(classes=LABELS)
        features = student.featurizer.fit(frame["text"])
        X, X_test = features.transform(frame["text"]), features.transform(test["text"])
        rows = np.random.default_rng(replicate).choice(n, n_train, replace=False)
        accuracy = {}
        for arm, labels in (("teacher", taught), ("gold", frame["label"].to_numpy())):
            usable = rows[[isinstance(label, str) for label in labels[rows]]]
            draw = draw_rows(usable, usable, len(usable), True, seed=replicate, repeat=0, fold=0)
            model = clone(student.classifier).fit(
                X[draw.rows], labels[draw.rows], sample_weight=draw.weights)
            accuracy[arm] = float((model.predict(X_test) == test["label"].to_numpy()).mean())
        gaps.append(accuracy["teacher"] - accuracy["gold"])
    return float(np.mean(gaps))


def estimated_gap(n: int, seed: int, folder: Path):
    frame = demo_corpus.generate(n, seed=seed)
    path = folder / f"data{seed}.csv"
    frame.to_csv(path, index=False)
    store = Store(folder / f"run{seed}.duckdb")
    # the generator's columns say where the simulated teacher errs; no split column, so the run cross-fits
    mapping = ColumnMapping(text="text", id="id", gold="label", slices=demo_corpus.SLICE_COLUMNS)
    import_dataset(store, read_dataset(path, mapping, demo_corpus.LABEL_SET), "coverage")
    config = parse_config({"name": "coverage", "dataset": "coverage", "sizes": ["all"], "seeds": SEEDS,
                           "evaluation": {"folds": FOLDS, "repeats": REPEATS},
                           "student": {"label_modes": ["hard"]},
                           "teachers": [{"name": "sim", "kind": "simulated", "params": NOISE}]})
    run_id = run_experiment(store, config)
    [line] = headlines(store, run_id)
    print(json.dumps({"dataset": seed, "gap": [line.gap.value, line.gap.lo, line.gap.hi],
                      "seconds": store.run(run_id)["timings"]["total"]}), file=sys.stderr)
    return line.gap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--n", type=int, default=500, help="texts per data set, all gold-labeled")
    parser.add_argument("--truth-replicates", type=int, default=100)
    parser.add_argument("--test", type=int, default=20000, help="size of the independent sample the truth is scored on")
    args = parser.parse_args()
    started = time.perf_counter()
    truth = true_gap(args.n, args.truth_replicates, args.test)
    print(json.dumps({"true_gap": truth}), file=sys.stderr)
    estimates = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.datasets):
            estimates.append(estimated_gap(args.n, 1 + seed, Path(folder)))
    covered = [e.lo <= truth <= e.hi for e in estimates]
    lo, hi = wilson(float(np.mean(covered)), len(covered))
    print(json.dumps({
        "datasets": args.datasets, "texts_per_dataset": args.n, "folds": FOLDS, "repeats": REPEATS, "seeds": len(SEEDS),
        "teacher": NOISE, "true_gap": round(truth, 4), "truth_replicates": args.truth_replicates,
        "coverage": round(float(np.mean(covered)), 3), "coverage_ci": [round(lo, 3), round(hi, 3)],
        "goal": [0.90, 0.98], "mean_width": round(float(np.mean([e.hi - e.lo for e in estimates])), 4),
        "mean_estimate": round(float(np.mean([e.value for e in estimates])), 4),
        "sd_of_estimates": round(float(np.std([e.value for e in estimates], ddof=1)), 4),
        "seconds": round(time.perf_counter() - started, 1)}, indent=1))


if __name__ == "__main__":
    main()
