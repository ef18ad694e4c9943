"""Where a run's fits run: in its own process, in local worker processes, or on a real Dask cluster (a
LocalCluster of worker processes on 127.0.0.1), with the same numbers for the same config and seeds; the run's
record says where and how many tasks; a scheduler that cannot be reached is one sentence and nothing written."""
import hashlib
import socket
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml

from core import cli
from core.compute import SCHEDULER_ENV
from core.datasets import demo_corpus
from core.datasets.demo_corpus import DEMO_MAPPING
from core.datasets.importing import import_dataset
from core.datasets.reading import read_dataset
from core.errors import EXIT_COMPUTE
from core.evaluation.config import parse_config
from core.pipeline import run_experiment
from core.store import Store

ROOT = Path(__file__).resolve().parent.parent
SIM = {"mode": "structured", "base_accuracy": 0.9, "depth_error": 0.15, "seed": 1}
# cross-fitting (2 folds x 1 repeat, so features per fold), hard and soft arms, weighted and plain sizes
RAW = {"name": "where", "dataset": "small", "sizes": [60, "all"], "seeds": [0, 1, 2], "bootstrap": 200,
       "teachers": [{"name": "sim", "kind": "simulated", "params": SIM}],
       "evaluation": {"scheme": "crossfit", "folds": 2, "repeats": 1}}


def store_with_data(path, corpus) -> Store:
    store = Store(path)
    import_dataset(store, read_dataset(corpus, DEMO_MAPPING, demo_corpus.LABEL_SET), "small")
    return store


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "corpus.csv"
    demo_corpus.generate(n=400, seed=5).to_csv(path, index=False)
    return path


def outcome(store: Store, run_id: str) -> dict[str, pd.DataFrame]:
    """Every number a run stored from its fits: per fit, per held-out prediction, each example's student view and
    its place in the spot-check queue, the learning curve."""
    return {"fits": store.fits(run_id).drop(columns=["seconds"]),
            "predictions": store.predictions(run_id),
            "views": store.example_view(run_id, "sim", queue="combined")[
                ["example_id", "role", "student_label", "student_confidence", "queue_rank"]].sort_values(
                "example_id", ignore_index=True),
            "curve": store.curve(run_id)}


def assert_same_numbers(mine: dict, serial: dict) -> None:
    for name, frame in serial.items():
        assert len(frame) > 0, name
        pd.testing.assert_frame_equal(mine[name], frame, check_exact=True, obj=name)


@pytest.fixture(scope="module")
def serial(tmp_path_factory, corpus):
    """The run in its own process (n_jobs = 1): its id, its numbers and its record of where the fits ran."""
    store = store_with_data(tmp_path_factory.mktemp("serial") / "serial.duckdb", corpus)
    run_id = run_experiment(store, parse_config({**RAW, "compute": {"n_jobs": 1}}))
    return run_id, outcome(store, run_id), store.run(run_id)["compute"]


@pytest.fixture(autouse=True)
def plain_main(monkeypatch):
    """Worker processes are spawned, and a spawned process first runs the parent's __main__ file again. An AppTest
    earlier in the same pytest process leaves Streamlit's app.py as __main__ (its script runner installs it), which
    cannot run outside a session; this file's processes start from a __main__ without a file, as in a CLI run."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


@pytest.mark.slow
def test_fits_in_local_processes_give_the_serial_numbers_and_the_record_says_where(tmp_path, corpus, serial):
    run_id, serial, serial_record = serial
    store = store_with_data(tmp_path / "local.duckdb", corpus)
    assert run_experiment(store, parse_config({**RAW, "compute": {"n_jobs": 2}})) == run_id  # not the run's identity
    assert_same_numbers(outcome(store, run_id), serial)
    n_fits = len(serial["fits"])
    # every fit, and per teacher the views: 5 out-of-fold fits, and one for its unlabeled rows when cross-fitting
    views = store.run(run_id)["compute"]["tasks"] - n_fits
    assert serial_record == {"backend": "serial", "tasks": n_fits + views}
    assert store.run(run_id)["compute"] == {"backend": "loky n_jobs=2", "tasks": n_fits + views} and views >= 5


@pytest.mark.slow
def test_a_run_sent_to_a_dask_cluster_gives_the_serial_numbers_and_is_recorded(tmp_path, corpus, serial, capsys):
    from distributed import LocalCluster

    run_id, serial, serial_record = serial
    db = tmp_path / "cluster.duckdb"
    store_with_data(db, corpus)
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(RAW))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert cli.main(["run", "--db", str(db), "--config", str(config), "--scheduler", address]) == 0
    said = capsys.readouterr().out
    store = Store(db, read_only=True)
    assert_same_numbers(outcome(store, run_id), serial)
    assert store.run(run_id)["compute"] == {"backend": f"dask {address}", "tasks": serial_record["tasks"]}
    assert f"fits ran on dask {address}: {serial_record['tasks']} tasks" in said
    assert cli.main(["runs", "--db", str(db)]) == 0
    assert f"fits ran on dask {address}: {serial_record['tasks']} tasks" in capsys.readouterr().out


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_that_cannot_be_reached_is_one_sentence_and_nothing_is_written(tmp_path, corpus, capsys,
                                                                                   monkeypatch):
    db = tmp_path / "unreached.duckdb"
    store_with_data(db, corpus)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    configured, from_env, given = (f"tcp://127.0.0.1:{closed_port()}" for _ in range(3))
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({**RAW, "compute": {"scheduler": configured}}))
    run = ["run", "--db", str(db), "--config", str(config)]
    for argv, named in [(run, configured), (run, from_env), ([*run, "--scheduler", given], given)]:
        if named is from_env:
            monkeypatch.setenv(SCHEDULER_ENV, from_env)
        assert cli.main(argv) == EXIT_COMPUTE
        said = capsys.readouterr().err.strip()
        assert said.startswith(f"error: the Dask scheduler {named} cannot be reached") and "dask scheduler" in said
        assert "Traceback" not in said and len(said.splitlines()) == 1, said
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert Store(db, read_only=True).runs().empty


# RAW in the TOML a user pastes into the Runs page, with two local processes (the test checks it is RAW)
RUNS_PAGE_CONFIG = """
name = "where"
dataset = "small"
sizes = [60, "all"]
seeds = [0, 1, 2]
bootstrap = 200
[evaluation]
scheme = "crossfit"
folds = 2
repeats = 1
[compute]
n_jobs = 2
[[teachers]]
name = "sim"
kind = "simulated"
params = { mode = "structured", base_accuracy = 0.9, depth_error = 0.15, seed = 1 }
"""


@pytest.mark.slow
def test_a_run_started_on_the_runs_page_in_local_processes_gives_the_serial_numbers(tmp_path, corpus, serial,
                                                                                     monkeypatch):
    """Streamlit runs a page as the module __main__, which a spawned worker process would import again: the
    dashboard's Runs page must still run fits in worker processes, with the numbers of a run in one process."""
    from streamlit.testing.v1 import AppTest

    import tomllib

    assert parse_config(tomllib.loads(RUNS_PAGE_CONFIG)) == parse_config({**RAW, "compute": {"n_jobs": 2}})
    run_id, serial, _ = serial
    store = store_with_data(tmp_path / "page.duckdb", corpus)
    monkeypatch.setenv("PSEUDOLENS_DB", str(store.path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("pages/runs.py").run()
    at.text_area[0].set_value(RUNS_PAGE_CONFIG)
    next(b for b in at.button if b.label == "Start the run").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert [s.value for s in at.success] == ["Run finished; it is now selected in the sidebar."]
    assert store.run(run_id)["compute"]["backend"] == "loky n_jobs=2"
    assert_same_numbers(outcome(store, run_id), serial)
