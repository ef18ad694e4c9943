import os
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.datasets import demo_corpus
from core.datasets.reading import read_dataset
from core.datasets.demo_corpus import DEMO_MAPPING
from core.datasets.importing import import_dataset
from core.store import Store

SHARED = Path(os.environ.get("PSEUDOLENS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SHARED_DATA = SHARED / "data"

# The longest test files, longest first (seconds of one full run on 2 cores, `--junitxml`, 2026-12-06: 205, 163, 134,
# 88, 80, 75, 66). ./scripts/test hands whole files to its workers in collection order, so these start first and
# the short files fill in around them, instead of one long file starting last while the other workers idle.
LONGEST_FIRST = ["test_dashboard.py", "test_llm_teachers.py", "test_spot_checks.py", "test_slices.py",
                 "test_dashboard_safety.py", "test_evaluation.py", "test_experiment.py"]


def pytest_collection_modifyitems(items):
    """Files in `LONGEST_FIRST` order, then the rest as collected; tests keep their order within a file."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))  # a stable sort


def shared_file(*parts) -> Path:
    """A file from ../shared/data, or a skip saying why (a user's fresh clone has no ../shared)."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared public data at {path} (present in CI beside the project, absent in a fresh clone)")
    return path


@pytest.fixture
def db(tmp_path) -> Store:
    return Store(tmp_path / "test.duckdb")


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.csv"
    demo_corpus.generate(n=600, seed=3).to_csv(path, index=False)
    return path


@pytest.fixture
def small_dataset(db, small_corpus):
    return import_dataset(db, read_dataset(small_corpus, DEMO_MAPPING, demo_corpus.LABEL_SET), "small")


@contextmanager
def locked_by_another_process(path: Path):
    """Another process holds DuckDB's write lock on `path` for the duration, as a long run would."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(path)!r})
        print("holding", flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.kill()
        holder.wait()
