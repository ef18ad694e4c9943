"""A learning curve on 50,000 training texts: 6 sizes x 3 seeds x (teacher labels, gold labels), TF-IDF +
logistic regression, featurized once. Prints JSON. The teacher (simulated) labels first; that is timed apart.

    python bench/learning_curve.py [--train 50000]"""
import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.datasets import demo_corpus  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.datasets.reading import read_dataset  # noqa: E402
from core.datasets.demo_corpus import DEMO_MAPPING  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.store import Store  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--train", type=int, default=50000)
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
            "sizes": [500, 1000, 2000, 5000, 20000, "all"], "student": {"kind": "tfidf_logreg", "label_modes": ["hard"]}}
    t0 = time.perf_counter()
    run_experiment(store, parse_config({**base, "name": "warmup-labels", "sizes": [500]}))
    label_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_id = run_experiment(store, parse_config({**base, "name": "curve"}))
    curve_seconds = time.perf_counter() - t0
    run = store.run(run_id)
    fits = store.fits(run_id)
    print(json.dumps({
        "benchmark": "learning_curve", "train_texts": int(fits["n_train"].max()), "test_texts": int(fits["n_test"].iloc[0]),
        "fits": len(fits), "seconds": round(curve_seconds, 1), "target_seconds": 60,
        "timings": run["timings"], "import_seconds": round(import_seconds, 1),
        "labeling_and_first_run_seconds": round(label_seconds, 1)}, indent=2))
