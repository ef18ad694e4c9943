"""The dashboard on a small database built here: AppTest for every page, and one real browser."""
import html
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from core.datasets import demo_corpus
from core.evaluation.config import parse_config
from core.datasets.reading import read_dataset
from core.datasets.demo_corpus import DEMO_MAPPING
from core.pipeline import run_experiment
from core.datasets.importing import import_dataset
from core.review.budget import budget_curves
from core.review.map import build_map
from core.evaluation.report import run_report
from core.slices.service import compute_slices
from core.slices.syntax import SyntaxSlicer
from core.store import Store

from conftest import locked_by_another_process

# AppTest sessions and a demo-like database per module: the whole file is in the full run, not the quick one
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "learning_curves", "slices", "disagreements", "spot_check", "budget", "taxonomy", "runs"]


MARKUP = "<b>bold</b> **not markdown** <script>alert(1)</script> my parcel never arrived"


def charts(at) -> list[dict]:
    """The page's charts, each as the Vega-Lite spec the browser gets, with `rows`: every layer's data in one frame
    (Streamlit sends the data apart from the spec, as Arrow); not the empty one, out of sight, by which a page
    without charts loads Vega for the next page (`ui.load_charts_for_the_next_page`)."""
    drawn = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if "title" not in spec:
            continue
        spec["rows"] = pd.concat([convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets])
        drawn.append(spec)
    return drawn


def title(spec: dict) -> str:
    return " ".join(spec["title"]["text"])


@pytest.fixture(scope="module")
def dashboard_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    corpus = demo_corpus.generate(n=800, seed=4)
    # in the training pool, so the spot-check queue can show it
    corpus.loc[corpus.index[corpus["split"] == "train"][0], "text"] = MARKUP
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
    # a second, smaller run, for switching runs in the browser and seeing every page draw it
    run_experiment(store, parse_config({"name": "dash-second", "dataset": "dash", "sizes": [100, "all"], "seeds": [0, 1, 2],
                                        "bootstrap": 200, "student": {"label_modes": ["hard"]},
                                        "teachers": [{"name": "uniform", "kind": "simulated", "params": {"mode": "uniform"}}]}))
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


def test_the_servers_warm_up_runs_every_page_and_leaves_the_database_as_it_was(dashboard_db, monkeypatch, tmp_path,
                                                                             capsys):
    """scripts/serve.py runs every page once before the server answers (so a fresh server's first request is as
    fast as a later one): each page must run cleanly there, and reading must not change a byte of the database."""
    copy = tmp_path / "warm.duckdb"
    shutil.copy(dashboard_db[0], copy)
    monkeypatch.setenv("PSEUDOLENS_DB", str(copy))
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    before = copy.read_bytes()
    import serve

    serve.warm_pages()
    assert "not run ahead" not in capsys.readouterr().out
    assert copy.read_bytes() == before


def test_overview_opens_with_the_decision_then_one_line_per_teacher(app, dashboard_db):
    from core.decision.costs import Costs
    from core.decision.service import decide

    at = app("overview")
    boxes = [e.proto.body for e in at.get("html")]
    store = Store(dashboard_db[0], read_only=True)
    assert html.escape(decide(store, dashboard_db[1]).sentence()) in boxes[0]  # the decision comes first
    # then one line per teacher, hard and soft together, in points; the six sentences folded into an expander
    lines = [box for box in boxes[1:] if "student on its labels minus on human labels" in box]
    assert len(lines) == 2 and "sim (SIMULATED)" in lines[0] and "zs (offline model, not an LLM)" in lines[1]
    assert all("hard labels" in line and "soft labels" in line and " points (" in line for line in lines)
    expected = [h for h in run_report(store, dashboard_db[1])["headlines"] if h.get("metric", "accuracy") == "accuracy"]
    said = [h["sentence"].partition(". ")[0] for h in expected]  # what is said aloud; the numbers are folded away
    assert expected and all(any(html.escape(s) in box for box in boxes) for s in said)
    assert {h["sentence"] for h in expected} <= {t.value for t in at.text}
    # the frontier and the forest plot in points (titles wrapped onto lines that fit a printed page)
    titled = {title(spec): spec for spec in charts(at)}
    assert any(t.startswith("What each option costs") for t in titled), list(titled)
    forest = next(spec for t, spec in titled.items() if "largest training size" in t)
    assert "points" in " ".join(forest["layer"][-1]["encoding"]["x"]["title"])
    assert forest["rows"]["gap"].min() < -1  # the sim teacher costs a few points, drawn in points, not as a fraction
    teachers = next(d.value for d in at.dataframe if "what it is" in d.value.columns)
    assert dict(zip(teachers["teacher"], teachers["what it is"])) == {"sim": "SIMULATED", "zs": "offline model, not an LLM"}
    assert {"cost (USD)", "mean latency"} <= set(teachers.columns)


def test_the_overviews_folded_charts_are_drawn_when_opened_not_on_every_visit(app):
    """Two charts fewer to draw on each first visit (issue 21: < 1 s); opening the fold draws them."""
    def titles(at):
        return [title(spec) for spec in charts(at)]

    at = app("overview")
    assert not any(t.startswith(("Labels given", "Reliability")) for t in titles(at))
    at.session_state["overview-label-distribution"] = True
    at.session_state["overview-calibration"] = True
    at.run()
    assert {"Labels given by each teacher and by humans", "Reliability: accuracy against stated confidence"} <= set(
        titles(at))


def test_a_page_without_charts_loads_vega_for_the_next_page_and_a_page_with_charts_needs_not(app):
    def empty_charts(at):
        return [spec["mark"] for c in at.get("vega_lite_chart") if "title" not in (spec := json.loads(c.proto.spec))]

    assert empty_charts(app("spot_check")) == ["point"] and empty_charts(app("runs")) == ["point"]
    assert empty_charts(app("slices")) == [] and charts(app("slices"))


def test_the_decision_follows_the_sidebar_prices_and_the_target(app, dashboard_db):
    from core.decision.costs import Costs
    from core.decision.service import decide

    store = Store(dashboard_db[0], read_only=True)
    at = app("overview")
    at.sidebar.number_input(key="human-label-usd").set_value(1.25).run()
    at.number_input(key="target").set_value(80.0).run()
    expected = decide(store, dashboard_db[1], 0.80, Costs(human_label_usd=1.25)).sentence()
    assert expected != decide(store, dashboard_db[1], 0.80).sentence()  # the price is in the sentence
    assert html.escape(expected) in at.get("html")[0].proto.body
    at.switch_page("pages/budget.py").run()
    at.switch_page("pages/overview.py").run()
    assert at.sidebar.number_input(key="human-label-usd").value == 1.25  # kept across pages like the run


def test_the_metric_and_the_run_are_kept_across_pages(app, dashboard_db):
    at = app("overview")
    at.sidebar.radio(key="metric").set_value("macro_f1").run()
    second = next(r for r in Store(dashboard_db[0], read_only=True).runs()["run_id"] if r.startswith("dash-second"))
    at.session_state["run"] = second  # AppTest cannot pick a formatted option; the browser test clicks it
    at.run()
    at.switch_page("pages/learning_curves.py").run()
    assert at.sidebar.radio(key="metric").value == "macro_f1"
    assert at.session_state["run"].startswith("dash-second")
    assert "macro-F1 [95% CI]" in at.dataframe[0].value.columns


def test_learning_curve_table_holds_every_curve_point(app, dashboard_db):
    at = app("learning_curves")
    assert len(charts(at)) == 1
    table = at.dataframe[0].value
    curve = Store(dashboard_db[0], read_only=True).curve(dashboard_db[1])
    assert len(table) == len(curve[curve["metric"] == "accuracy"])


def test_slice_table_counts_every_test_example_once(app, dashboard_db):
    at = app("slices")
    depth = next(i for i, o in enumerate(at.selectbox[2].options) if o.startswith("depth"))
    at.selectbox[2].select_index(depth).run()
    table = at.dataframe[0].value.set_index(at.dataframe[0].value.columns[0])  # a column per group
    counts = table.loc["texts (n)"].astype(int)
    store = Store(dashboard_db[0], read_only=True)
    examples = store.examples(store.run(dashboard_db[1])["dataset_id"])
    assert counts.sum() == (examples["split"] == "test").sum()
    assert list(table.columns) == ["0", "1", "2", "3", "4"]
    small = counts[counts < 30]
    heatmap = charts(at)[0]["rows"]
    marked = heatmap[heatmap["words"].str.startswith("too few")]
    # a bucket this small is marked in each row, and left uncoloured
    assert len(small) and sorted(marked["bucket"]) == sorted(list(small.index) * 3) and marked["error"].isna().all()


def test_a_parsed_slice_is_offered_with_its_structured_error_test(app, dashboard_db):
    at = app("slices")
    options = at.selectbox[2].options
    at.selectbox[2].select_index(options.index("clause_depth (syntax)")).run()
    table = at.dataframe[0].value.set_index(at.dataframe[0].value.columns[0])
    store = Store(dashboard_db[0], read_only=True)
    examples = store.examples(store.run(dashboard_db[1])["dataset_id"])
    assert table.loc["texts (n)"].astype(int).sum() == (examples["split"] == "test").sum()
    assert set(table.columns) <= {"0", "1", "2", "3+"} and "teacher error above the rest: p (Holm)" in table.index
    assert not [m for m in table.index if "_" in m]  # words, not the library's column names
    assert any("chi-square p" in t.value for t in at.text)  # the statistics, folded under the plain sentence
    options = at.selectbox[2].options
    assert not any("alt_label" in o or "distractor_label" in o for o in options)  # the generator's answer key
    assert len(options) == len(set(options))


def test_disagreement_map_draws_every_example_and_describes_clusters(app, dashboard_db):
    at = app("disagreements")
    spec = charts(at)[0]
    assert spec["params"][0]["select"]["type"] == "interval"  # a box selects
    assert MARKUP in set(spec["rows"]["text"])  # data, which Vega draws as text and its tooltips escape
    clusters = at.dataframe[0].value
    over = "error on its human-labelled texts [95% CI]"
    assert {"cluster", "texts", "with a human label", f"teacher {over}", f"student {over}", "terms"} <= set(clusters.columns)
    assert (clusters["with a human label"] <= clusters["texts"]).all() and clusters[f"teacher {over}"].str.contains(r"\[").any()
    legend = spec["encoding"]["color"]["scale"]["domain"]
    assert legend and all(re.search(r": [\d,]+ \(\d+%\)$", name) for name in legend)  # each group with its count and share
    assert spec["rows"]["group"].value_counts().to_dict() == {
        name: int(name.rsplit(": ", 1)[1].split(" ")[0].replace(",", "")) for name in legend}


def test_a_verdict_is_saved_to_duckdb_and_the_next_example_follows(app):
    at = app("spot_check")
    queue = at.dataframe[0].value
    first, second = queue["example"].iloc[:2]
    assert queue["rank"].tolist()[:3] == [1, 2, 3] and queue["reason"].str.len().min() > 0
    assert at.button_group(key=f"label-{first}").value == queue["teacher's label"].iloc[0]  # the teacher's by default
    at.text_input(key="reviewer-box").input("Ada")
    at.button_group(key=f"label-{first}").set_value("billing")
    at.text_input(key=f"note-{first}").input("looks like billing to me")
    next(b for b in at.button if b.label == "Save this label").click().run()
    assert not at.exception
    store = Store(app.db, read_only=True)
    verdicts = store.verdicts(store.datasets()["dataset_id"][0])
    assert verdicts[["example_id", "reviewer", "verdict", "label", "note"]].values.tolist() == [
        [first, "Ada", "label", "billing", "looks like billing to me"]]
    assert at.text_input(key="reviewer-box").value == "Ada"  # the name stays
    assert at.query_params["reviewer"] == "Ada"  # and is in the address, for a reload
    assert f"label-{second}" in [b.key for b in at.button_group]  # and the next example is up
    next(b for b in at.button if b.label == "Teacher is right").click().run()
    verdicts = Store(app.db, read_only=True).verdicts(store.datasets()["dataset_id"][0])
    assert verdicts.set_index("example_id").loc[second, "label"] == queue["teacher's label"].iloc[1]
    at.run()
    assert first in at.dataframe[-1].value["example"].tolist()  # the verdicts table after rerun
    assert first not in at.dataframe[0].value["example"].tolist()  # reviewed examples leave the queue


def test_later_records_no_verdict_and_brings_the_example_back_after_the_others(app):
    at = app("spot_check")
    queue = at.dataframe[0].value["example"].tolist()
    for _ in range(2):
        next(b for b in at.button if b.label == "Later").click().run()
    assert f"label-{queue[2]}" in [b.key for b in at.button_group]  # the two skipped wait at the end
    assert any("comes back after the others" in c.value for c in at.caption)
    store = Store(app.db, read_only=True)
    assert store.verdicts(store.datasets()["dataset_id"][0]).empty
    at.text_input(key="reviewer-box").input("Ada")
    next(b for b in at.button if b.label == "Save this label").click().run()
    assert f"label-{queue[3]}" in [b.key for b in at.button_group]


def test_a_verdict_file_name_that_is_not_accepted_is_said_and_nothing_is_imported(app):
    """The spot-check page's uploader reads names as the Runs page's does: a NUL byte or another type is one
    sentence, not Streamlit's exception box, and no verdict lands."""
    at = app("spot_check")
    [upload] = [u for u in at.file_uploader if u.label.startswith("Label Studio export")]
    upload.set_value(("x.json\0/../../y.json", b"[]", "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("not accepted" in box.proto.body for box in at.get("html"))
    store = Store(app.db, read_only=True)
    assert store.verdicts(store.datasets()["dataset_id"][0]).empty


def test_reviewers_who_disagree_are_shown_and_a_tie_is_decided_explicitly(app):
    from core.review.verdicts import record_verdict

    store = Store(app.db)
    dataset_id = store.datasets()["dataset_id"][0]
    example = store.examples(dataset_id)["example_id"].iloc[5]
    record_verdict(store, dataset_id, example, "Ada", "label", "billing")
    record_verdict(store, dataset_id, example, "Bo", "ambiguous")
    at = app("spot_check")
    assert any("1 are tied" in w.value for w in at.warning)
    at.text_input(key="reviewer-box").input("Cy")
    at.selectbox(key="decide-final").set_value("billing")
    next(b for b in at.button if b.label == "Record the deciding verdict").click().run()
    assert not at.exception and not any("tied" in w.value for w in at.warning)
    assert sorted(Store(app.db, read_only=True).verdicts(dataset_id)["reviewer"]) == ["Ada", "Bo", "Cy"]


def test_the_html_report_is_self_contained_and_marks_simulated_teachers(dashboard_db):
    from core.report.service import html_report

    page = html_report(Store(dashboard_db[0], read_only=True), dashboard_db[1])
    assert "<script src=" not in page and "<link" not in page  # Vega is inside the page; nothing is fetched
    assert page.count('class="chart"') >= 4 and "SIMULATED teachers in this run: sim" in page
    from core.decision.service import decide

    decision = html.escape(decide(Store(dashboard_db[0], read_only=True), dashboard_db[1]).sentence())
    assert decision in page and page.index(decision) < page.index("The gap per teacher")  # it leads with the decision


@pytest.mark.slow
def test_the_report_prints_to_pdf_through_the_cli(dashboard_db, tmp_path, capsys):
    from core.cli import main
    from core.report.pdf import find_chromium, print_pdf
    from core.report.service import html_report

    if find_chromium() is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    out = tmp_path / "report.pdf"
    assert main(["report", "--db", str(dashboard_db[0]), "--run", "dash", "--format", "pdf", "--out", str(out)]) == 0
    assert f"pdf report of run {dashboard_db[1]} written to {out}" in capsys.readouterr().out
    content = out.read_bytes()
    assert content.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b(?!s)", content)) >= 3
    # the charts are drawn, not left as empty boxes: the same report without its scripts prints much smaller
    chartless = print_pdf(re.sub(r"<script.*?</script>", "", html_report(Store(dashboard_db[0], read_only=True),
                                                                          dashboard_db[1]), flags=re.S))
    assert len(content) > len(chartless) + 40_000
    assert main(["report", "--db", str(dashboard_db[0]), "--run", "dash", "--format", "pdf"]) == 3
    assert "--format pdf writes a file" in capsys.readouterr().err


def test_budget_page_shows_the_change_with_its_interval_and_n_for_every_curve(app, dashboard_db):
    at = app("budget")
    stored = Store(dashboard_db[0], read_only=True).budget_curve(dashboard_db[1], "sim")
    summary, full = at.dataframe[0].value, at.dataframe[1].value
    # one row per distinct curve (strategies with the same per-fold accuracies named together), at 50 checks
    assert set(summary["strategies"]) == set(stored["same_curve"]) and len(summary) == stored["same_curve"].nunique()
    assert summary["change (points) [95% CI]"].str.match(r"^[+-]\d+\.\d \[[+-]\d+\.\d, [+-]\d+\.\d\]$").all()
    assert (summary["n (folds, rows)"] == f"1 fold, {stored['n_rows'].iloc[0]} rows").all()  # a fixed test split
    assert len(full) == len(stored.drop_duplicates(["same_curve", "budget"]))
    assert full["precision [95% CI]"].dropna().str.match(r"^(|\d\.\d\d \[\d\.\d\d, \d\.\d\d\])$").all()


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


def test_texts_with_markup_are_shown_as_text(app, dashboard_db):
    store = Store(app.db)
    dataset_id = store.run(dashboard_db[1])["dataset_id"]
    examples = store.examples(dataset_id)
    store.pin(dataset_id, examples.loc[examples["text"] == MARKUP, "example_id"], "a test")  # first in the queue
    at = app("spot_check")
    assert MARKUP in [t.value for t in at.text]  # shown as typed
    assert not any("<script>" in m.value or "not markdown" in m.value for m in at.markdown)


def test_runs_page_lists_runs_and_missing_database_gets_instructions(app, monkeypatch, tmp_path):
    at = app("runs")
    runs = at.dataframe[0].value
    assert "dash" in runs["name"].tolist()
    assert runs.set_index("name").loc["dash", "teachers"] == "sim (SIMULATED), zs (offline model, not an LLM)"
    monkeypatch.setenv("PSEUDOLENS_DB", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and "python -m core demo" in at.info[0].value


@pytest.mark.slow
@pytest.mark.browser
def test_the_dashboard_in_a_real_browser(dashboard_db, tmp_path):
    """Chromium on a fresh server: a deep link lands on its page; every page draws both runs; five run switches in
    a row each take effect; a verdict is recorded with the keyboard; the report downloads and draws every chart
    with no network."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it with apt-get)")
    pytest.importorskip("playwright", reason="pip install playwright (in requirements-test.txt)")
    import sys

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import (CHROMIUM, CHROMIUM_ARGS, PAGES as LINKS, VIEWPORT, WATCH_SIDEBAR, running_app, settle,
                             shoot, sidebar_links_seen)

    db = tmp_path / "browser.duckdb"
    shutil.copy(dashboard_db[0], db)
    out = ROOT / "tests" / "artifacts" / "screenshots"
    titles = list(LINKS.values())
    with running_app(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.add_init_script(WATCH_SIDEBAR)
        page = context.new_page()

        def lands_on(path: str, heading: str, tab=None) -> None:
            """The page at `path` is drawn with the sidebar's eight entries (never any other, at any moment since
            it was loaded) and the run and metric pickers."""
            tab = tab or page
            settle(tab)
            assert tab.url == f"{url}/{path}" and tab.locator("h1").first.inner_text() == heading
            seen = sidebar_links_seen(tab)  # drawn one by one, in order, and nothing else
            assert seen[-1] == titles and all(links == titles[:len(links)] for links in seen), seen
            sidebar = tab.get_by_test_id("stSidebar")
            assert sidebar.get_by_role("combobox", name="Run").input_value().startswith("dash")  # the run picker
            assert sidebar.get_by_test_id("stRadio").get_by_text("accuracy", exact=True).count() == 1
            assert tab.get_by_text("No finished run").count() == 0

        page.goto(f"{url}/slices")  # the first request this server gets
        lands_on("slices", "Slice error maps")
        page.reload()
        lands_on("slices", "Slice error maps")
        other_tab = context.new_page()
        other_tab.goto(f"{url}/spot_check")
        lands_on("spot_check", "Spot-check queue", other_tab)
        other_tab.close()
        page.goto(url)  # the bare address is the Overview
        lands_on("overview", "Does training on teacher labels hurt the student?")

        def pick_run(name: str) -> None:
            page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option").filter(has_text=name).first.click()
            settle(page)

        assert shoot(page, url, out) == {name: [] for name in LINKS}  # every page on the first run
        pick_run("dash-second")
        assert shoot(page, url, out / "second") == {name: [] for name in LINKS}

        page.goto(url)
        settle(page)
        for name in ["dash ·", "dash-second", "dash ·", "dash-second", "dash ·"]:
            pick_run(name)
            meta = page.get_by_test_id("stText").first.inner_text()
            assert f"run {name.rstrip(' ·')} ·" in meta, (name, meta)

        page.goto(url)
        settle(page)
        with page.expect_download(timeout=120000) as download:
            page.get_by_role("button", name="Download the report (HTML)").click()
        report = tmp_path / "report.html"
        download.value.save_as(report)
        offline = browser.new_page(viewport=VIEWPORT)
        outside = []

        def only_the_file(route):
            if not route.request.url.startswith("file://"):
                outside.append(route.request.url)
                route.abort()
            else:
                route.continue_()
        offline.route("**/*", only_the_file)
        offline.goto(report.as_uri(), wait_until="load")
        charts = offline.locator("div.chart").count()
        offline.wait_for_function(f"document.querySelectorAll('div.chart svg.marks').length >= {charts}", timeout=30000)
        assert charts >= 4 and outside == []
        offline.screenshot(path=str(out / "report.png"))

        page.goto(f"{url}/spot_check")
        settle(page)
        store = Store(db, read_only=True)
        dataset_id = store.datasets()["dataset_id"][0]

        def verdicts():
            return Store(db, read_only=True).verdicts(dataset_id)

        def press(key: str) -> None:
            page.keyboard.press(key)
            settle(page)

        reviewer = page.get_by_label("Reviewer")
        reviewer.fill("Keyboard Kim")
        reviewer.press("Enter")  # leaves the box: the next letter is a shortcut, not part of the name
        press("t")
        assert verdicts()[["reviewer", "verdict"]].values.tolist() == [["Keyboard Kim", "label"]]
        assert reviewer.input_value() == "Keyboard Kim"
        page.get_by_test_id("stButtonGroup").get_by_role("radio", name="billing", exact=True).click()  # the mouse
        settle(page)
        press("l")  # the label chosen with the mouse, saved from the keyboard
        assert verdicts().sort_values("created_at")["label"].tolist()[-1] == "billing" and len(verdicts()) == 2
        press("s")  # later: no verdict
        assert len(verdicts()) == 2 and page.get_by_text("comes back after the others").count() == 1
        page.reload()  # the name is in the address
        settle(page)
        assert "reviewer=Keyboard" in page.url and page.get_by_label("Reviewer").input_value() == "Keyboard Kim"
        browser.close()


def test_a_busy_database_gets_a_message_not_a_traceback(app):
    with locked_by_another_process(app.db):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert not at.exception
        assert any("busy" in box.proto.body for box in at.get("html"))
