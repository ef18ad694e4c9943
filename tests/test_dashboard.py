"""The dashboard on a small database built here: AppTest for every page, and one real browser."""
import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.datasets import demo_corpus
from core.evaluation.config import parse_config
from core.datasets.reading import read_dataset
from core.datasets.demo_corpus import DEMO_MAPPING
from core.pipeline import run_experiment
from core.datasets.importing import import_dataset
from core.review.budget import budget_curves
from core.review.map import build_map
from core.evaluation.service import headlines
from core.slices.service import compute_slices
from core.slices.syntax import SyntaxSlicer
from core.store import Store

from conftest import locked_by_another_process

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "learning_curves", "slices", "disagreements", "spot_check", "budget", "taxonomy", "runs"]


@pytest.fixture(scope="module")
def dashboard_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    corpus = demo_corpus.generate(n=800, seed=4)
    corpus.loc[0, "text"] = "<b>bold</b> **not markdown** <script>alert(1)</script> my parcel never arrived"
    corpus.to_csv(folder / "corpus.csv", index=False)
    store = Store(folder / "dash.duckdb")
    dataset = import_dataset(store, read_dataset(folder / "corpus.csv", DEMO_MAPPING, demo_corpus.LABEL_SET), "dash")
    compute_slices(store, dataset.dataset_id, [SyntaxSlicer()])
    config = parse_config({"name": "dash", "dataset": "dash", "sizes": [100, 300, "all"], "seeds": [0, 1, 2],
                           "bootstrap": 200, "student": {"label_modes": ["hard", "soft"]},
                           "teachers": [{"name": "sim", "kind": "simulated", "params": {"depth_error": 0.15}},
                                        {"name": "zs", "kind": "zero_shot_embedding"}]})
    run_id = run_experiment(store, config)
    build_map(store, run_id)
    budget_curves(store, run_id, "sim", budgets=(0, 50, 150), seeds=(0, 1))
    return folder / "dash.duckdb", run_id


@pytest.fixture
def app(dashboard_db, monkeypatch, tmp_path):
    """AppTest on a private copy, so a test that writes verdicts does not change what others see."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(dashboard_db[0], copy)
    monkeypatch.setenv("PSEUDOLENS_DB", str(copy))

    def open_page(page):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at
    open_page.db = copy
    return open_page


def test_overview_states_the_headline_numbers_that_are_in_the_store(app, dashboard_db):
    at = app("overview")
    shown = [a.value for a in (*at.warning, *at.success)]
    store = Store(dashboard_db[0], read_only=True)
    expected = [h.sentence() for h in headlines(store, dashboard_db[1])]
    assert shown == expected and len(expected) == 4
    assert any("(SIMULATED)" in line for line in shown)
    teacher_table = at.dataframe[0].value
    assert set(teacher_table["teacher"]) == {"sim (SIMULATED)", "zs"}


def test_learning_curve_table_holds_every_curve_point(app, dashboard_db):
    at = app("learning_curves")
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    curve = Store(dashboard_db[0], read_only=True).curve(dashboard_db[1])
    assert len(table) == len(curve[curve["metric"] == "accuracy"])


def test_slice_table_counts_every_test_example_once(app, dashboard_db):
    at = app("slices")
    depth = next(i for i, o in enumerate(at.selectbox[2].options) if o.startswith("depth"))
    at.selectbox[2].select_index(depth).run()
    table = at.dataframe[0].value
    store = Store(dashboard_db[0], read_only=True)
    examples = store.examples(store.run(dashboard_db[1])["dataset_id"])
    assert table["n"].sum() == (examples["split"] == "test").sum()
    assert list(table["bucket"]) == ["0", "1", "2", "3", "4"]
    small = table[table["n"] < 30]
    heatmap_text = str(at.get("plotly_chart")[0].proto.spec)
    assert small.empty or "too few" in heatmap_text


def test_a_parsed_slice_is_offered_with_its_structured_error_test(app, dashboard_db):
    at = app("slices")
    options = at.selectbox[2].options
    at.selectbox[2].select_index(options.index("clause_depth (syntax)")).run()
    table = at.dataframe[0].value
    store = Store(dashboard_db[0], read_only=True)
    examples = store.examples(store.run(dashboard_db[1])["dataset_id"])
    assert table["n"].sum() == (examples["split"] == "test").sum()
    assert set(table["bucket"]) <= {"0", "1", "2", "3+"} and "homogeneity_p" in table.columns
    assert any("chi-square p" in m.value for m in at.markdown)


def test_disagreement_map_draws_every_example_and_describes_clusters(app, dashboard_db):
    at = app("disagreements")
    spec = at.get("plotly_chart")[0].proto.spec
    assert "lasso" in spec
    assert "&lt;script&gt;" in spec and "<script>alert" not in spec  # hover text is escaped
    clusters = at.dataframe[0].value
    assert {"cluster", "n", "teacher_error", "student_error", "terms"} <= set(clusters.columns)


def test_a_verdict_is_saved_to_duckdb_and_survives_a_rerun(app):
    at = app("spot_check")
    queue = at.dataframe[0].value
    first = queue["example_id"].iloc[0]
    assert queue["rank"].tolist()[:3] == [1, 2, 3] and queue["reason"].str.len().min() > 0
    at.text_input(key="verdict-reviewer").input("Ada")
    at.radio(key="verdict-kind").set_value("label")
    at.selectbox(key="verdict-label").set_value("billing")
    at.text_input(key="verdict-note").input("looks like billing to me")
    at.button[-1].click().run()
    assert not at.exception
    verdicts = Store(app.db, read_only=True).verdicts(Store(app.db, read_only=True).datasets()["dataset_id"][0])
    assert verdicts[["example_id", "reviewer", "verdict", "label", "note"]].values.tolist() == [
        [first, "Ada", "label", "billing", "looks like billing to me"]]
    at.run()
    assert first in at.dataframe[-1].value["example_id"].tolist()  # the verdicts table after rerun
    assert first not in at.dataframe[0].value["example_id"].tolist()  # reviewed examples leave the queue


def test_budget_page_shows_the_stored_curves_and_checks_to_half_gap(app, dashboard_db):
    at = app("budget")
    stored = Store(dashboard_db[0], read_only=True).budget_curve(dashboard_db[1], "sim")
    summary = at.dataframe[0].value
    assert set(summary["strategy"]) == set(stored["strategy"]) and "precision@50" in summary.columns
    assert len(at.dataframe[1].value) == len(stored)


def test_a_stored_taxonomy_is_shown_for_editing_and_saved_as_an_edited_copy(app):
    from core.taxonomy.propose import propose_from_clusters, save_taxonomy

    texts = demo_corpus.generate(n=200, seed=8)["text"].tolist()
    proposed = propose_from_clusters(texts, n_labels=4)
    proposed_id = save_taxonomy(Store(app.db), proposed, "texts.csv")
    at = app("taxonomy")
    assert at.data_editor[0].value["name"].tolist() == proposed.labels.names
    next(b for b in at.button if b.label.startswith("Save")).click().run()
    assert not at.exception
    stored = Store(app.db, read_only=True).taxonomies().set_index("method")
    assert stored.loc["edited", "provenance"] == {"edited_from": proposed_id}
    assert [l["name"] for l in stored.loc["edited", "labels"]] == proposed.labels.names


def test_an_api_key_in_streamlit_secrets_reaches_the_environment_only(app, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["ANTHROPIC_API_KEY"] = "sk-ant-from-secrets"
    at.run()
    assert not at.exception and os.environ["ANTHROPIC_API_KEY"] == "sk-ant-from-secrets"
    assert b"sk-ant-from-secrets" not in app.db.read_bytes()


def test_texts_with_markup_are_shown_as_text(app):
    at = app("spot_check")
    assert not any("<script>" in m.value for m in at.markdown)


def test_runs_page_lists_runs_and_missing_database_gets_instructions(app, monkeypatch, tmp_path):
    at = app("runs")
    assert "dash" in at.dataframe[0].value["name"].tolist()
    monkeypatch.setenv("PSEUDOLENS_DB", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and "python -m core demo" in at.info[0].value


@pytest.mark.browser
def test_every_page_in_a_real_browser(dashboard_db, tmp_path):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    pytest.importorskip("playwright", reason="pip install playwright (in requirements-test.txt)")
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import running_app, shoot

    out = ROOT / "tests" / "artifacts" / "screenshots"
    with running_app(dashboard_db[0]) as url:
        problems = shoot(url, out)
    assert problems == {page: [] for page in PAGES}
    assert all((out / f"{page}.png").stat().st_size > 10_000 for page in PAGES)


def test_a_busy_database_gets_a_message_not_a_traceback(app):
    with locked_by_another_process(app.db):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        assert "busy" in at.warning[0].value
