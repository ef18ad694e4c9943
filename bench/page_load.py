"""Page load times of every dashboard page, and of its controls, on a database with 1,000,000 examples. Prints JSON.

    python bench/page_load.py [--examples 1000000] [--db bench/out/million.duckdb]

Builds the database once (generated demo texts, a SIMULATED teacher, a run with 2 sizes x 3 seeds) and
reuses it on later calls; a database made before runs stored their page frames gets them stored here, by the
functions a finishing run calls (timed as `page_frames_seconds`). Each page is run with Streamlit's AppTest in
this process after one visit of the Runs page stands in for the server starting (Streamlit's component scan and
the entry file's imports): `first` is the first visit of a fresh session with empty caches, `again` a second visit, and
`controls` each control of the page changed once (the page's rerun). Targets (issue 13): first visits under
1.5 s, controls under 0.5 s."""
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


def store_page_frames(db: Path) -> float | str:
    """What a run finishing today stores for the pages, for runs stored before (`python -m core frames`)."""
    from core.pipeline import runs_without_page_frames, store_page_frames

    store = Store(db)
    started = time.perf_counter()
    missing = runs_without_page_frames(store)
    for run_id in missing:
        store_page_frames(store, run_id)
    return round(time.perf_counter() - started, 1) if missing else "already stored"


# per page: (what is changed, how) -- each control is changed once after the first visit
CONTROLS = {
    "overview": [("metric", lambda at: at.sidebar.radio(key="metric").set_value("macro_f1"))],
    "learning_curves": [("label modes", lambda at: at.button_group[1].set_value(at.button_group[1].value[:1]))],
    "slices": [("slice by", lambda at: at.selectbox[2].set_value(
        next(o for o in at.selectbox[2].options if o != at.selectbox[2].value)))],
    "spot_check": [("rank by", lambda at: at.selectbox[1].set_value("disagreement")),
                   ("teacher is right (save a verdict, next example)",
                    lambda at: next(b for b in at.button if b.label == "Teacher is right").click())],
}


_COMPONENTS = []


def visit(page: str) -> tuple[float, object]:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    # a server scans the installed packages for components once when it starts; AppTest does it per instance
    # (0.8 s here), which no page visit pays, so every visit after the first shares the first one's scan
    if _COMPONENTS:
        at._bidi_component_manager = _COMPONENTS[0]
    t0 = time.perf_counter()
    at.run()
    _COMPONENTS[:1] = [at._bidi_component_manager]
    if page != "overview":
        t0 = time.perf_counter()
        at.switch_page(f"pages/{page}.py").run()
    return time.perf_counter() - t0, at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "million.duckdb")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    built = build(args.db, args.examples) if not args.db.exists() else "reused"
    frames = store_page_frames(args.db)
    os.environ["PSEUDOLENS_DB"] = str(args.db)
    import streamlit as st

    visit("runs")  # the server starting: the components scan and the entry file's imports, paid before any visit
    loads: dict[str, dict] = {}
    for attempt in ("first", "again"):
        if attempt == "first":
            st.cache_data.clear()
            st.cache_resource.clear()
        for page in PAGES:
            seconds, at = visit(page)
            loads.setdefault(page, {})[attempt] = round(seconds, 3)
            if at.exception:
                loads[page]["exception"] = at.exception[0].value
    for page, controls in CONTROLS.items():
        _, at = visit(page)
        for name, change in controls:
            t0 = time.perf_counter()
            change(at).run()
            loads[page].setdefault("controls", {})[name] = round(time.perf_counter() - t0, 3)
            if at.exception:
                loads[page]["exception"] = at.exception[0].value
    store = Store(args.db, read_only=True)
    print(json.dumps({"benchmark": "page_load", "examples": int(store.datasets()["n_examples"].sum()),
                      "build_seconds": built, "page_frames_seconds": frames,
                      "targets": {"first_visit": 1.5, "control": 0.5}, "seconds": loads}, indent=2))


if __name__ == "__main__":
    main()
