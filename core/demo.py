"""Builds the default database from scratch: the generated demo corpus, its offline teachers, and the
demo runs (`data/demo_run*.toml`). It is built beside the target and moved into place at the end, so a
failed build never leaves half a database where the dashboard looks."""
from __future__ import annotations

import os
from pathlib import Path

from core.datasets import demo_corpus
from core.datasets.demo_corpus import DEMO_MAPPING
from core.datasets.importing import import_dataset
from core.datasets.labelset import LabelSet
from core.datasets.reading import read_dataset
from core.evaluation.config import load_config
from core.paths import DATA_DIR, DEFAULT_DB, derived_status_path
from core.pipeline import run_experiment
from core.progress import Progress
from core.store import Store

DEMO_CONFIGS = (DATA_DIR / "demo_run.toml", DATA_DIR / "demo_run_embedding_student.toml")


def build_demo_database(path: Path = DEFAULT_DB, configs=DEMO_CONFIGS, progress: Progress | None = None) -> list[str]:
    path = Path(path)
    csv = demo_corpus.write(DATA_DIR / "demo_corpus.csv")
    labels = demo_corpus.write_label_file(DATA_DIR / "demo_labels.yaml")
    partial = path.with_name(path.name + ".tmp")
    partial.unlink(missing_ok=True)
    store = Store(partial)
    import_dataset(store, read_dataset(csv, DEMO_MAPPING, LabelSet.from_file(labels)), "demo")
    if progress:
        progress(f"imported {labels.name} and {csv.name}", 1, 1)
    run_ids = [run_experiment(store, load_config(config), progress) for config in configs]
    os.replace(partial, path)
    return run_ids


# what `./scripts/start` computes after the dashboard is open: the demo's failure-zone slices, the controlled
# noise experiment (noise concentrated in negated messages), budget curves for the structured teacher of the main
# run, and the disagreement map of every demo run. Each step finds its stored result and skips it on a later start.
NOISE_SLICE, NOISE_BUCKET, NOISE_RATE = "negation", "yes", 0.3
BUDGET_TEACHER = "sim-structured"


def derive_demo(path: Path = DEFAULT_DB, progress: Progress | None = None) -> None:
    import json

    from core.pipeline import run_noise_experiment
    from core.review.budget import budget_curves
    from core.review.map import build_map
    from core.slices.service import compute_slices, default_slicers

    status = derived_status_path(path)
    steps = ["failure-zone slices", "noise experiment", "budget curves", "disagreement maps"]

    def report(step: int, detail: str = "") -> None:
        status.write_text(json.dumps({"step": steps[step] if step < len(steps) else "done", "done": step,
                                      "total": len(steps), "detail": detail}))

    store = Store(path)
    dataset_id = store.datasets().set_index("name").loc["demo", "dataset_id"]
    report(0)
    compute_slices(store, dataset_id, default_slicers(store, dataset_id), progress=progress)
    report(1)
    run_noise_experiment(store, "demo", NOISE_SLICE, NOISE_BUCKET, NOISE_RATE, progress=progress)
    report(2)
    main_run = store.runs().set_index("name").loc["demo", "run_id"]
    if store.budget_curve(main_run, BUDGET_TEACHER).empty:
        budget_curves(store, main_run, BUDGET_TEACHER, progress=progress)
    runs = store.runs()
    unmapped = [r.run_id for r in runs[runs["status"] == "finished"].itertuples() if not store.has_clusters(r.run_id)]
    for i, run_id in enumerate(unmapped, start=1):
        report(3, f"run {i} of {len(unmapped)}")
        build_map(store, run_id, progress=progress)
    report(len(steps))
