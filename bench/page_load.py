"""Page load times of every dashboard page on a database with 1,000,000 examples. Prints JSON.

    python bench/page_load.py [--examples 1000000] [--db bench/out/million.duckdb]

Builds the database once (generated demo texts, a SIMULATED teacher, a run with 2 sizes x 3 seeds) and
reuses it on later calls. Each page is run with Streamlit's AppTest in this process: `cold` is the first
load (empty caches), `warm` a second load, which is what a user clicking around sees."""
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from core.datasets import demo_corpus  # noqa: E402
from core.evaluation.config import parse_config  # noqa: E402
from core.datasets.reading import read_dataset  # noqa: E402
from core.datasets.demo_corpus import DEMO_MAPPING  # noqa: E402
from core.pipeline import run_experiment  # noqa: E402
from core.datasets.importing import import_dataset  # noqa: E402
from core.store import Store  # noqa: E402

PAGES = ["overview", "learning_curves", "slices", "disagreements", "spot_check", "budget", "runs"]


def build(path: Path, n: int) -> dict:
    timings = {}
    t0 = time.perf_counter()
    csv = path.with_suffix(".csv")
    demo_corpus.generate(n, seed=2).to_csv(csv, index=False)
    timings["generate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = Store(path)
    import_dataset(store, read_dataset(csv, DEMO_MAPPING, demo_corpus.LABEL_SET), "million")
    timings["import"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_experiment(store, parse_config({
        "name": "million", "dataset": "million", "sizes": [1000, 10000], "seeds": [0, 1, 2], "bootstrap": 200,
        "student": {"label_modes": ["hard"]},
        "teachers": [{"name": "sim", "kind": "simulated", "params": {"mode": "structured"}}]}))
    timings["run"] = time.perf_counter() - t0
    csv.unlink()
    return {k: round(v, 1) for k, v in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "million.duckdb")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    built = build(args.db, args.examples) if not args.db.exists() else "reused"
    os.environ["PSEUDOLENS_DB"] = str(args.db)
    from streamlit.testing.v1 import AppTest

    loads = {}
    for attempt in ("cold", "warm"):
        for page in PAGES:
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
            t0 = time.perf_counter()
            at.run()
            if page != "overview":
                t0 = time.perf_counter()
                at.switch_page(f"views/{page}.py").run()
            seconds = time.perf_counter() - t0
            loads.setdefault(page, {})[attempt] = round(seconds, 3)
            if at.exception:
                loads[page]["exception"] = at.exception[0].value
    store = Store(args.db, read_only=True)
    print(json.dumps({"benchmark": "page_load", "examples": int(store.datasets()["n_examples"].sum()),
                      "build_seconds": built, "target_seconds": 1.0, "seconds": loads}, indent=2))


if __name__ == "__main__":
    main()
