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
from core.paths import DATA_DIR, DEFAULT_DB
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
