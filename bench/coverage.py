"""Do the cross-fitted intervals mean what they say? Draw many data sets from the demo generator, label them with
a SIMULATED teacher whose noise model is known, run pseudolens on each (real runs in a DuckDB file, cross-fitted,
default folds and repeats), and count how often the 95% interval of a gap (student on teacher labels minus student
on gold labels) covers the true gap, for three gaps: accuracy at "all" (the headline), accuracy at a small training
size (`--small`, both students on the same texts), and macro-F1 at "all". The true gaps are measured directly:
students trained as a run trains them (features fitted on the training texts only; at "all" the plain fit on every
training text, at the small size a random subsample) on many fresh training sets of a fold's size, each scored on
its own fresh independent sample, so the truth's Monte Carlo SE covers the test sample's error too (one fixed
sample, as before, put an error of about 0.002 beside the truth that no SE counted).

    python bench/coverage.py [--datasets 100] [--n 500] [--small 100] [--truth-replicates 300] [--test 2000]

Bias is measured two ways. Unpaired: the mean estimate minus that independent truth, its Monte Carlo SE the
estimates' spread over the data sets and the truth's own error combined. Paired (the goal's measure, chosen
before it was first run because it has the smaller SE for the same quantity): each data set's estimate minus the
population gap of that data set's own fold students (the run's stored folds refitted on their training rows, at
"all" the plain fit, at the small size 3 random subsamples per fold, scored on a fresh sample of `--test` texts);
averaged over data sets this is the same expected gap of a fold-size student, without the luck of which data
sets were drawn.

Prints JSON per gap: coverage with its Wilson 95% interval (against the independent truth), the mean interval
width, the true gap with its Monte Carlo standard error, the mean estimate, both biases with their Monte Carlo
standard errors. Goal for each: coverage 0.90-0.98, |paired bias| < 2 MC SE.
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
from sklearn.metrics import f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.datasets import demo_corpus  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.datasets.reading import ColumnMapping, read_dataset  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.evaluation.metrics import Estimate, wilson  # noqa: E402
from core.evaluation.runs import run_plan  # noqa: E402
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


GAPS = ("accuracy at all", "accuracy at small", "macro_f1 at all")


def fold_students_gaps(texts, taught, gold, train_sets: list[np.ndarray], small: int, subsamples: int,
                       test, seed: int) -> dict[str, float]:
    """Per gap, score(teacher-trained) - score(gold-trained) on `test`, averaged over students trained like a
    run's arms on each training row set: the featurizer fitted on that set, at "all" the plain fit on every row of
    it, at `small` `subsamples` random subsets of it (the same for both arms). Rows whose label is not a string
    (an invalid answer) are left out of that arm, as a run leaves them."""
    student = make_student(classes=LABELS)
    truth, rng = test["label"].to_numpy(), np.random.default_rng(seed)
    gaps: dict[str, list[float]] = {gap: [] for gap in GAPS}
    for train in train_sets:
        features = clone(student.featurizer).fit(texts.iloc[train])
        X, X_test = features.transform(texts), features.transform(test["text"])
        chosen = {"all": [train], "small": [rng.choice(train, small, replace=False) for _ in range(subsamples)]}
        for size, row_sets in chosen.items():
            for rows in row_sets:
                scores = {}
                for arm, labels in (("teacher", taught), ("gold", gold)):
                    usable = rows[[isinstance(label, str) for label in labels[rows]]]
                    scores[arm] = _scores(clone(student.classifier).fit(X[usable], labels[usable]), X_test, truth)
                for metric in ("accuracy", "macro_f1"):
                    if f"{metric} at {size}" in gaps:
                        gaps[f"{metric} at {size}"].append(scores["teacher"][metric] - scores["gold"][metric])
    return {gap: float(np.mean(values)) for gap, values in gaps.items()}


def _scores(model, X_test, truth) -> dict[str, float]:
    predicted = model.predict(X_test)
    return {"accuracy": float((predicted == truth).mean()),
            "macro_f1": float(f1_score(truth, predicted, labels=LABELS, average="macro"))}


def true_gaps(n: int, small: int, replicates: int, test_size: int) -> dict[str, tuple[float, float]]:
    """Per gap, E[score(teacher-trained) - score(gold-trained)] and its Monte Carlo standard error, for students
    trained like a run's arms: a fold's share of n texts, the featurizer fitted on those training texts only, at
    "all" the plain fit on every one of them, at `small` a random subsample of them (the same for both arms);
    each replicate scored on its own fresh sample of `test_size` texts."""
    n_train = n * (FOLDS - 1) // FOLDS
    gaps: dict[str, list[float]] = {gap: [] for gap in GAPS}
    for replicate in range(replicates):
        frame = demo_corpus.generate(n, seed=20_000 + replicate)
        test = demo_corpus.generate(test_size, seed=100_000 + replicate)
        rows = np.random.default_rng(replicate).choice(n, n_train, replace=False)
        replicate_gaps = fold_students_gaps(frame["text"], teacher_labels(frame), frame["label"].to_numpy(), [rows],
                                            small, 1, test, seed=1_000_000 + replicate)
        for gap, value in replicate_gaps.items():
            gaps[gap].append(value)
    return {gap: (float(np.mean(values)), float(np.std(values, ddof=1) / np.sqrt(len(values))))
            for gap, values in gaps.items()}


def estimated_gaps(n: int, small: int, seed: int, folder: Path, test_size: int
                   ) -> tuple[dict[str, Estimate], dict[str, float]]:
    """Per gap, the run's estimate on a data set drawn with `seed`, and the paired truth: the population gap of the
    run's own fold students (its stored folds refitted on their training rows, 3 subsamples per fold at `small`),
    scored on a fresh sample of `test_size` texts."""
    frame = demo_corpus.generate(n, seed=seed)
    path = folder / f"data{seed}.csv"
    frame.to_csv(path, index=False)
    store = Store(folder / f"run{seed}.duckdb")
    # the generator's columns say where the simulated teacher errs; no split column, so the run cross-fits
    mapping = ColumnMapping(text="text", id="id", gold="label", slices=demo_corpus.SLICE_COLUMNS)
    dataset = import_dataset(store, read_dataset(path, mapping, demo_corpus.LABEL_SET), "coverage")
    config = parse_config({"name": "coverage", "dataset": "coverage", "sizes": [small, "all"], "seeds": SEEDS,
                           "evaluation": {"folds": FOLDS, "repeats": REPEATS},
                           "student": {"label_modes": ["hard"]},
                           "teachers": [{"name": "sim", "kind": "simulated", "params": NOISE}]})
    run_id = run_experiment(store, config)
    [accuracy] = headlines(store, run_id, "accuracy")
    [macro_f1] = headlines(store, run_id, "macro_f1")
    comparisons = store.comparisons(run_id)
    at_small = comparisons[(comparisons["versus"] == "gold_student") & (comparisons["size"] == small)
                           & (comparisons["metric"] == "accuracy")].iloc[0]
    gaps = {"accuracy at all": accuracy.gap, "accuracy at small": Estimate(*at_small[["diff", "lo", "hi"]]),
            "macro_f1 at all": macro_f1.gap}
    examples, plan = run_plan(store, run_id)  # the run's own rows and the training positions of each of its folds
    taught = store.teacher_labels(store.run_teacher_id(run_id, "sim"), dataset.dataset_id).set_index("example_id")
    paired = fold_students_gaps(examples["text"], taught["label"].reindex(examples["example_id"]).to_numpy(),
                                examples["gold"].to_numpy(), [fold.train for fold in plan.folds], small, len(SEEDS),
                                demo_corpus.generate(test_size, seed=300_000 + seed), seed=seed)
    print(json.dumps({"dataset": seed, **{gap: [e.value, e.lo, e.hi] for gap, e in gaps.items()},
                      "paired_truth": paired, "seconds": store.run(run_id)["timings"]["total"]}), file=sys.stderr)
    return gaps, paired


def summary(truth: tuple[float, float], estimates: list[Estimate], paired_truths: list[float]) -> dict:
    true, truth_se = truth
    values = np.array([e.value for e in estimates])
    paired = values - np.array(paired_truths)
    paired_bias, paired_se = float(paired.mean()), float(paired.std(ddof=1) / np.sqrt(len(paired)))
    covered = [e.lo <= true <= e.hi for e in estimates]
    lo, hi = wilson(float(np.mean(covered)), len(covered))
    bias = float(values.mean() - true)
    mc_se = float(np.sqrt(values.var(ddof=1) / len(values) + truth_se ** 2))
    return {"true_gap": round(true, 4), "true_gap_mc_se": round(truth_se, 4), "mean_estimate": round(float(values.mean()), 4),
            "bias": round(bias, 4), "bias_mc_se": round(mc_se, 4), "bias_in_mc_se": round(bias / mc_se, 2),
            "coverage": round(float(np.mean(covered)), 3), "coverage_ci": [round(lo, 3), round(hi, 3)],
            "mean_width": round(float(np.mean([e.hi - e.lo for e in estimates])), 4),
            "sd_of_estimates": round(float(values.std(ddof=1)), 4),
            "paired_bias": round(paired_bias, 4), "paired_bias_mc_se": round(paired_se, 4),
            "paired_bias_in_mc_se": round(paired_bias / paired_se, 2),
            "meets_goal": bool(0.90 <= np.mean(covered) <= 0.98 and abs(paired_bias) < 2 * paired_se)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--n", type=int, default=500, help="texts per data set, all gold-labeled")
    parser.add_argument("--small", type=int, default=100, help="the small training size whose gap is checked too")
    parser.add_argument("--truth-replicates", type=int, default=300)
    parser.add_argument("--test", type=int, default=2000, help="texts of each truth replicate's own independent sample")
    parser.add_argument("--minutes", type=float, default=None,
                        help="stop starting new data sets after this many minutes (the table says how many ran)")
    args = parser.parse_args()
    started = time.perf_counter()
    truth = true_gaps(args.n, args.small, args.truth_replicates, args.test)
    print(json.dumps({"true_gaps": truth, "seconds": round(time.perf_counter() - started, 1)}), file=sys.stderr)
    estimates: list[dict[str, Estimate]] = []
    paired_truths: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.datasets):
            if args.minutes is not None and time.perf_counter() - started > args.minutes * 60:
                break
            estimate, paired = estimated_gaps(args.n, args.small, 1 + seed, Path(folder), args.test)
            estimates.append(estimate)
            paired_truths.append(paired)
    print(json.dumps({
        "datasets": len(estimates), "texts_per_dataset": args.n, "small_size": args.small, "folds": FOLDS,
        "repeats": REPEATS, "seeds": len(SEEDS), "teacher": NOISE, "truth_replicates": args.truth_replicates,
        "test_texts": args.test, "goal": {"coverage": [0.90, 0.98], "abs_paired_bias_below_mc_se": 2},
        "gaps": {gap: summary(truth[gap], [e[gap] for e in estimates], [p[gap] for p in paired_truths])
                 for gap in GAPS},
        "seconds": round(time.perf_counter() - started, 1)}, indent=1))


if __name__ == "__main__":
    main()
