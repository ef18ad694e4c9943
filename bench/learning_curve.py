"""A learning curve on 50,000 training texts: 6 sizes x 3 seeds x (teacher labels, gold labels), TF-IDF +
logistic regression, featurized once. Prints JSON. The teacher (simulated) labels first; that is timed apart.
Then the floor the run is held to (goal: the run within 1.5 times it): a bare scikit-learn loop, in this
process, of the same fits (the run's rows and weights, sklearn's LogisticRegression with the student's
newton-cg settings, each predicting the test rows) after the same TF-IDF fitted on the training texts (each
text read once: `fit_transform` on the training texts, `transform` on the test texts).

The run's fits go where a user's would (`--n-jobs auto`: local processes from
`core.compute.LOCAL_PROCESSES_FROM_ROWS` training rows on); the bare loop runs in this one process; `run_ran_on`
says which the run used.

    python bench/learning_curve.py [--train 50000] [--n-jobs auto|N]"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.datasets import demo_corpus  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.datasets.reading import read_dataset  # noqa: E402
from core.datasets.demo_corpus import DEMO_MAPPING  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.store import Store  # noqa: E402
from core.evaluation.fitting import fit_plan, gold_arm, teacher_arms  # noqa: E402
from core.evaluation.runs import run_plan  # noqa: E402
from core.students import make_student  # noqa: E402


def bare_loop(store: Store, run_id: str, seeds: list[int], sizes) -> dict:
    """The run's fits as a plain loop: TF-IDF on the training texts, then each fit and its test predictions. The
    vectorizer and the solver settings are the run's student's own (a TfidfVectorizer and the settings its
    logistic regression passes to sklearn's), so only the loop around them differs."""
    examples, plan = run_plan(store, run_id)
    dataset_id = store.run(run_id)["dataset_id"]
    names = store.dataset(dataset_id).label_set.names
    [teacher] = store.run_teachers(run_id).itertuples()
    labels = store.teacher_labels(teacher.teacher_id, dataset_id).set_index("example_id")
    arms = [gold_arm(examples, names),
            *teacher_arms(teacher.teacher_name, labels, examples["example_id"], names, ["hard"])]
    fits = fit_plan(arms, plan, sizes)
    [fold] = plan.folds
    student = make_student(classes=names)
    settings = {name: getattr(student.classifier, name) for name in ("C", "tol", "max_iter")}
    started = time.perf_counter()
    vectorizer = clone(student.featurizer)
    X_train = vectorizer.fit_transform(examples["text"].iloc[fold.train])
    X_test = vectorizer.transform(examples["text"].iloc[fold.held_out])
    featurized = time.perf_counter()
    count = 0
    position = np.full(len(examples), -1)
    position[fold.train] = np.arange(len(fold.train))
    for fold, arm, size, seed in fits.fits(plan, seeds):
        draw = fits.draw(arm, fold, size, seed)
        LogisticRegression(**settings, solver="newton-cg").fit(
            X_train[position[draw.rows]], np.asarray(names)[arm.targets[draw.rows]],
            sample_weight=draw.weights).predict_proba(X_test)
        count += 1
    done = time.perf_counter()
    return {"fits": count, "seconds": round(done - started, 1), "featurize_seconds": round(featurized - started, 1),
            "fits_seconds": round(done - featurized, 1)}


parser = argparse.ArgumentParser()
parser.add_argument("--train", type=int, default=50000)
parser.add_argument("--n-jobs", default="auto",
                    help='the run\'s [compute] n_jobs: "auto" (the default a user gets) or a number of processes')
args = parser.parse_args()
n_total = int(args.train / 0.8) + 1
with tempfile.TemporaryDirectory() as folder:
    corpus = demo_corpus.generate(n_total, seed=1, test_fraction=0.2)
    corpus.to_csv(Path(folder) / "big.csv", index=False)
    store = Store(Path(folder) / "bench.duckdb")
    t0 = time.perf_counter()
    import_dataset(store, read_dataset(Path(folder) / "big.csv", DEMO_MAPPING, demo_corpus.LABEL_SET), "big")
    import_seconds = time.perf_counter() - t0
    sim = {"name": "sim", "kind": "simulated", "params": {"mode": "structured"}}
    base = {"dataset": "big", "seeds": [0, 1, 2], "teachers": [sim],
            "sizes": [500, 1000, 2000, 5000, 20000, "all"], "student": {"kind": "tfidf_logreg", "label_modes": ["hard"]},
            "compute": {"n_jobs": args.n_jobs if args.n_jobs == "auto" else int(args.n_jobs)}}
    t0 = time.perf_counter()
    run_experiment(store, parse_config({**base, "name": "warmup-labels", "sizes": [500]}))
    label_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_id = run_experiment(store, parse_config({**base, "name": "curve"}))
    curve_seconds = time.perf_counter() - t0
    run = store.run(run_id)
    fits = store.fits(run_id)
    bare = bare_loop(store, run_id, base["seeds"], base["sizes"])
    print(json.dumps({
        "benchmark": "learning_curve", "train_texts": int(fits["n_train"].max()), "test_texts": int(fits["n_test"].iloc[0]),
        "fits": len(fits), "seconds": round(curve_seconds, 1), "run_ran_on": run["compute"],
        "timings": run["timings"], "import_seconds": round(import_seconds, 1),
        "labeling_and_first_run_seconds": round(label_seconds, 1), "bare_loop": bare,
        "run_over_bare_loop": round(curve_seconds / bare["seconds"], 2), "target_ratio": 1.5}, indent=2))
