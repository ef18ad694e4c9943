import json
import subprocess
import sys
import textwrap

import duckdb
import pandas as pd
import pytest

from core import cli
from core.errors import EXIT_DATABASE, EXIT_INPUT
from core.store import SCHEMA_VERSION, Store, StoreBusyError
from core.errors import StoreError

from conftest import locked_by_another_process, shared_file


def test_a_new_file_gets_the_current_schema(tmp_path):
    assert Store(tmp_path / "new.duckdb").schema_version() == SCHEMA_VERSION


def test_a_file_from_a_newer_pseudolens_is_refused_clearly(tmp_path):
    path = tmp_path / "future.duckdb"
    Store(path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE schema_info SET version = ?", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer than this pseudolens"):
        Store(path)


def test_an_older_file_is_upgraded_in_place_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:  # a file as version 0 of the schema left it: only the version table
        con.execute("CREATE TABLE schema_info (version INTEGER)")
        con.execute("INSERT INTO schema_info VALUES (0)")
    with pytest.raises(StoreError, match="open it once read-write"):
        Store(path, read_only=True)
    assert Store(path).schema_version() == SCHEMA_VERSION


def test_a_version_1_file_gains_the_batch_slice_and_taxonomy_tables_and_keeps_its_cached_calls(tmp_path):
    from core.store import MIGRATIONS

    path = tmp_path / "v1.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schema_info (version INTEGER NOT NULL)")
        con.execute("INSERT INTO schema_info VALUES (1)")
        con.execute(MIGRATIONS[0])
        con.execute("INSERT INTO llm_calls VALUES ('key', '{}', now())")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION and store.cached_calls(["key"]) == {"key": {}}
    assert store.open_llm_batches("claude") == [] and store.taxonomies().empty and store.slices("any").empty


def test_a_page_frame_stored_by_code_of_another_shape_is_not_read(tmp_path):
    import pandas as pd

    from core.store.pages import FRAME_SHAPE

    store = Store(tmp_path / "frames.duckdb")
    store.write_page_frames("r1", {"overview/costs": pd.DataFrame({"cost_usd": [1.5]})})
    assert store.page_frame("r1", "overview/costs")["cost_usd"].tolist() == [1.5]
    store.execute("UPDATE page_frames SET shape = ?", [FRAME_SHAPE - 1])  # as older code stored it
    assert store.page_frame("r1", "overview/costs") is None and store.page_frame_names("r1") == []


def test_a_page_frame_stored_by_another_code_version_is_not_read_even_with_the_same_columns(tmp_path):
    import pandas as pd

    store = Store(tmp_path / "frames.duckdb")
    store.write_page_frames("r1", {"overview/costs": pd.DataFrame({"cost_usd": [1.5]})})
    assert store.page_frame_names("r1") == ["overview/costs"]
    store.execute("UPDATE page_frames SET code_version = 'abc1234'")  # computed by another commit's code
    assert store.page_frame("r1", "overview/costs") is None and store.page_frame_names("r1") == []


def test_reads_and_writes_inside_a_session_share_one_connection_and_still_commit(tmp_path, monkeypatch):
    import pandas as pd

    store = Store(tmp_path / "one.duckdb")
    opened = []
    real_open = type(store)._open
    monkeypatch.setattr(type(store), "_open", lambda self, read_only: opened.append(1) or real_open(self, read_only))
    with store.session():
        store.runs(), store.datasets(), store.page_frame_names("r1")
        store.write_page_frames("r1", {"overview/costs": pd.DataFrame({"cost_usd": [2.0]})})
    assert len(opened) == 1
    assert Store(tmp_path / "one.duckdb", read_only=True).page_frame("r1", "overview/costs")["cost_usd"].tolist() == [2.0]


def test_a_version_4_file_with_page_frames_is_upgraded_and_its_frames_are_recomputed_not_misread(tmp_path):
    from core.store import MIGRATIONS

    path = tmp_path / "v4.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE schema_info (version INTEGER NOT NULL)")
        con.execute("INSERT INTO schema_info VALUES (4)")
        for migration in MIGRATIONS[:4]:
            con.execute(migration)
        con.execute("INSERT INTO page_frames VALUES ('r1', 'overview/costs', 'not parquet'::BLOB, now())")
    store = Store(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.page_frame("r1", "overview/costs") is None  # written by older code: computed live instead


def test_a_foreign_duckdb_file_is_not_touched(tmp_path):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    with pytest.raises(StoreError, match="not a pseudolens database"):
        Store(path)
    with duckdb.connect(str(path)) as con:
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()] == ["sales"]


def test_reading_a_missing_database_says_how_to_make_one(tmp_path):
    with pytest.raises(StoreError, match="python -m core demo"):
        Store(tmp_path / "absent.duckdb", read_only=True)


@pytest.mark.slow
def test_a_database_held_by_another_process_is_reported_busy(tmp_path):
    path = tmp_path / "busy.duckdb"
    Store(path)
    with locked_by_another_process(path):
        with pytest.raises(StoreBusyError, match="in use by another process"):
            Store(path, lock_timeout=0.5)
        code = subprocess.run([sys.executable, "-m", "core", "runs", "--db", str(path)], capture_output=True, text=True)
        assert code.returncode == EXIT_DATABASE and "database error" in code.stderr and "Traceback" not in code.stderr


def test_cli_import_run_and_runs(tmp_path, small_corpus, capsys):
    db = tmp_path / "cli.duckdb"
    labels = tmp_path / "labels.yaml"
    labels.write_text("labels:\n" + "".join(f"  - name: {l}\n    description: about {l}\n"
                                            for l in ["billing", "delivery", "technical", "account", "cancellation"]))
    assert cli.main(["import", str(small_corpus), "--db", str(db), "--name", "small", "--text", "text", "--id", "id",
                     "--gold", "label", "--split", "split", "--slice", "depth", "--labels", str(labels)]) == 0
    config = tmp_path / "run.yaml"
    config.write_text(textwrap.dedent("""
        name: cli-run
        dataset: small
        sizes: [100, all]
        seeds: [0, 1, 2]
        bootstrap: 200
        student: {kind: tfidf_logreg, label_modes: [hard]}
        teachers:
          - {name: sim, kind: simulated, params: {mode: uniform}}
    """))
    assert cli.main(["run", "--config", str(config), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "finished" in out and "Training on sim (SIMULATED) hard labels" in out
    assert cli.main(["runs", "--db", str(db), "--json"]) == 0
    [run] = json.loads(capsys.readouterr().out)
    assert run["status"] == "finished" and run["teachers"] == "sim"
    assert Store(db).dataset("small").label_set.description("billing") == "about billing"


def test_cli_rejects_a_bad_config_and_unknown_data_set_with_exit_3(tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('name = "x"\ndataset = "nope"\n[[teachers]]\nname = "t"\nkind = "simulated"\n')
    Store(tmp_path / "db.duckdb")  # an empty database: `run` does not create one
    assert cli.main(["run", "--config", str(config), "--db", str(tmp_path / "db.duckdb")]) == EXIT_INPUT
    assert "no data set 'nope'" in capsys.readouterr().err
    config.write_text('name = "x"\ndataset = "nope"\nsizes = [1]\n')
    assert cli.main(["run", "--config", str(config), "--db", str(tmp_path / "db.duckdb")]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "sizes" in err and "teachers" in err


def test_gpt4o_labels_on_global_warming_stance_through_the_recorded_teacher(tmp_path):
    """Real GPT-4o labels beside crowd gold (Gligoric et al. 2024): our teacher score equals pandas."""
    path = shared_file("gwsd_gpt4o", "datasets", "global_warming", "global_warming.csv")
    db = tmp_path / "gwsd.duckdb"
    assert cli.main(["import", str(path), "--db", str(db), "--name", "gwsd", "--text", "data_entry",
                     "--gold", "gold_label", "--llm-label", "gpt4o=gpt_label",
                     "--llm-confidence", "gpt4o=gpt_confidence", "--slice", "contains_affirming_device"]) == 0
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent("""
        name = "gwsd"
        dataset = "gwsd"
        sizes = [200, "all"]
        seeds = [0, 1, 2]
        bootstrap = 300
        [student]
        label_modes = ["hard", "soft"]
        [test]
        fraction = 0.3
        [evaluation]
        scheme = "split"  # a random 30% test split (cross-fitting, the default, would score every row)
        [[teachers]]
        name = "gpt4o"
        kind = "recorded"
    """))
    assert cli.main(["run", "--config", str(config), "--db", str(db)]) == 0
    store = Store(db)
    [run] = store.runs().itertuples()
    raw = pd.read_csv(path)
    assert (raw["gpt_label"] == raw["gold_label"]).mean() == pytest.approx(0.818, abs=0.001)  # as the source reports
    examples = store.examples(store.dataset("gwsd").dataset_id)
    test_rows = raw.assign(example_id=[str(i) for i in range(1, len(raw) + 1)]).set_index("example_id").loc[
        examples.loc[examples["example_id"].isin(store.predictions(run.run_id)["example_id"]), "example_id"]]
    direct = (test_rows["gpt_label"] == test_rows["gold_label"]).mean()
    score = store.teacher_scores(run.run_id).iloc[0]
    assert score["accuracy"] == pytest.approx(direct, abs=1e-12)
    assert score["n_test"] == len(test_rows) and 0.25 * len(raw) < len(test_rows) < 0.35 * len(raw)
