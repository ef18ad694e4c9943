"""The dashboard's upload and config paths under hostile input (AppTest): uploaded files land only in the
session's own folder and are removed after use, whatever their names; a config that would send a key to a host
the operator has not allowed is refused, and not one request reaches that host."""
from __future__ import annotations

import html
import random
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui
from core import cli
from core.store import Store

from fake_llm_api import FakeLLMAPI
from test_bad_inputs import GOOD_CSV

# AppTest sessions and a demo-like database per module: the whole file is in the full run, not the quick one
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runs_page(tmp_path, monkeypatch):
    """The Runs page on a fresh database, with uploads going under tmp_path/tmp."""
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    db = tmp_path / "db" / "dash.duckdb"
    db.parent.mkdir()
    assert cli.main(["import", str(tmp_path / "good.csv"), "--name", "base", "--text", "text", "--gold", "label",
                     "--split", "split", "--db", str(db)]) == 0
    monkeypatch.setenv("PSEUDOLENS_DB", str(db))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-never-leaves")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-never-leaves")
    monkeypatch.delenv("PSEUDOLENS_ALLOWED_HOSTS", raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at, db


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("hostile", ["../../x.csv", "ABSOLUTE/path.csv", "../../../etc/cron.d/x.csv",
                                     "..\\..\\win.csv", ".hidden.csv", "x" * 300 + ".csv", "é" * 200 + ".csv"])
def test_an_upload_lands_only_in_a_folder_of_its_own_and_nothing_is_left_behind(hostile, runs_page, tmp_path):
    at, db = runs_page
    name = hostile.replace("ABSOLUTE", str(tmp_path / "abs"))
    before = files_under(tmp_path)
    at.file_uploader[0].set_value((name, GOOD_CSV.encode(), "text/csv")).run()
    [name_field] = [t for t in at.text_input if t.label == "Name in the database"]
    name_field.set_value("uploaded")
    [gold] = [t for t in at.text_input if t.label.startswith("Gold label column")]
    gold.set_value("label")
    [submit] = [b for b in at.button if b.label == "Import"]
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == ["Imported 42 examples."], [h.proto.body for h in at.get("html")]
    assert "Data set name: uploaded" in [t.value for t in at.text]  # a user-given name, shown as text
    assert files_under(tmp_path) == before  # the saved upload was removed; nothing was written anywhere else
    assert not (tmp_path / "abs").exists() and not (tmp_path / "x.csv").exists()
    assert list((tmp_path / "tmp").iterdir()) == []  # no folder left behind either
    assert "uploaded" in set(Store(db, read_only=True).datasets()["name"])


@pytest.mark.parametrize("entries, said", [("gpt4=gpt_label, claude", "expected NAME=COLUMN"),
                                            ("gpt=4=x", "cannot contain '='"),
                                            ("gpt=a, gpt=b", "given twice")])
def test_a_teacher_column_entry_that_cannot_be_read_is_said_and_nothing_is_imported(entries, said, runs_page):
    """The Runs page's TEACHER=COLUMN box reads entries as `--llm-label` does: one it cannot read is named, never
    dropped while the rest is imported."""
    at, db = runs_page
    at.file_uploader[0].set_value(("good.csv", GOOD_CSV.encode(), "text/csv")).run()
    [name_field] = [t for t in at.text_input if t.label == "Name in the database"]
    name_field.set_value("uploaded")
    [llm] = [t for t in at.text_input if t.label.startswith("Existing LLM labels as TEACHER=COLUMN")]
    llm.set_value(entries)
    [submit] = [b for b in at.button if b.label == "Import"]
    submit.click().run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [box.proto.body for box in at.get("html") if ">Error<" in box.proto.body]
    assert said in html.unescape(error)  # shown as text: quotes arrive escaped
    assert "uploaded" not in set(Store(db, read_only=True).datasets()["name"])


@pytest.mark.parametrize("hostile", ["x.csv\0/../../y.csv", "a.csv/..", "evil.exe"])
def test_a_file_name_that_is_not_a_data_file_is_said_and_nothing_is_saved(hostile, runs_page, tmp_path):
    at, db = runs_page
    before = files_under(tmp_path)
    at.file_uploader[0].set_value((hostile, GOOD_CSV.encode(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [box.proto.body for box in at.get("html") if ">Error<" in box.proto.body]
    assert "not accepted" in error and "Nothing was saved" in error and "\0" not in error
    assert not [t for t in at.text_input if t.label == "Name in the database"]  # no import form for it
    assert files_under(tmp_path) == before and list((tmp_path / "tmp").iterdir()) == []
    assert set(Store(db, read_only=True).datasets()["name"]) == {"base"}


@pytest.mark.parametrize("params", ['base_url = "{url}", model = "claude-haiku-4-5"',
                                    'base_url = "{url}/v1", model = "m", kind_ = "openai_compatible"',
                                    'base_url = "{url}/v1", model = "m", api_key_env = "OPENAI_API_KEY", '
                                    'kind_ = "openai_compatible"'])
def test_a_config_sending_a_key_outside_the_allowed_hosts_is_refused_and_sends_nothing(params, runs_page):
    at, db = runs_page
    with FakeLLMAPI() as outside:  # the "outside" host: it must never hear from us
        kind = "openai_compatible" if "kind_" in params else "claude"
        params = params.format(url=outside.url).replace(', kind_ = "openai_compatible"', "")
        at.text_area[0].set_value(f'name = "leak"\ndataset = "base"\n[[teachers]]\nname = "t"\nkind = "{kind}"\n'
                                  f"params = {{ {params} }}\n")
        [start] = [b for b in at.button if b.label == "Start the run"]
        start.click().run()
        assert not at.exception, [e.value for e in at.exception]
        [error] = [box.proto.body for box in at.get("html") if ">Error<" in box.proto.body]  # `ui.error`'s box
        assert "PSEUDOLENS_ALLOWED_HOSTS" in error and "127.0.0.1" in error
        assert outside.requests == [] and outside.served.total() == 0
    assert Store(db, read_only=True).runs().empty


# -- one outbound guard: every widget that takes free text, walked ----------------------------------------------------

def page(name: str) -> str:
    """A page's file, wherever the pages live (views/ now; pages/ after a move)."""
    return next(str(p.relative_to(ROOT)) for folder in ("views", "pages") if (p := ROOT / folder / f"{name}.py").exists())


# Every free-text widget of the dashboard, by page, and whether it can choose where an API key goes (an endpoint
# URL, a key variable's name, or a config that may hold either). A new widget fails the walk until it is listed here.
FREE_TEXT = {
    ("runs", "Name in the database"): False, ("runs", "Text column"): False,
    ("runs", "Gold label column (optional)"): False, ("runs", "Split column (optional)"): False,
    ("runs", "Slice columns, comma-separated (optional)"): False,
    ("runs", "Existing LLM labels as TEACHER=COLUMN, comma-separated (optional)"): False,
    ("runs", "Run config (TOML)"): True,
    ("taxonomy", "Text column"): False, ("taxonomy", "Use case"): False, ("taxonomy", "Model (LLM methods)"): False,
    ("taxonomy", "Endpoint URL (OpenAI-compatible)"): True,
    ("spot_check", "Reviewer"): False, ("spot_check", "Note (optional)"): False,
}
PAGES = ["overview", "learning_curves", "slices", "disagreements", "spot_check", "budget", "taxonomy", "runs"]


@pytest.fixture
def finished_run_db(runs_page, tmp_path):
    """The Runs page's database with one finished (SIMULATED) run, so every page draws its widgets."""
    from test_bad_inputs import config

    at, db = runs_page
    (tmp_path / "c.toml").write_text(config('sizes = [10]\nseeds = [0, 1, 2]\n[evaluation]\nscheme = "split"\n'))
    assert cli.main(["run", "--config", str(tmp_path / "c.toml"), "--db", str(db)]) == 0
    return db


def test_every_free_text_widget_of_every_page_is_catalogued(finished_run_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    walked = set()
    for name in PAGES:
        at.switch_page(page(name)).run()
        for uploader in at.file_uploader:  # forms behind an upload appear once a file is given
            uploader.set_value(("good.csv", GOOD_CSV.encode(), "text/csv")).run()
        assert not at.exception, (name, [e.value for e in at.exception])
        walked |= {(name, widget.label) for widget in [*at.text_input, *at.text_area]}
    assert walked == set(FREE_TEXT)


def attack(at, widget: str, kind: str, url: str) -> None:
    """Points `widget` (an outbound one of FREE_TEXT) at `url` for an LLM of `kind` and presses its button."""
    if widget == "Run config (TOML)":
        params = 'model = "claude-haiku-4-5"' if kind == "claude" else 'model = "m", api_key_env = "OPENAI_API_KEY"'
        suffix = "" if kind == "claude" else "/v1"
        [box] = [t for t in at.text_area if t.label == widget]
        box.set_value(f'name = "leak"\ndataset = "base"\n[[teachers]]\nname = "t"\nkind = "{kind}"\n'
                      f'params = {{ base_url = "{url}{suffix}", {params} }}\n')
        [start] = [b for b in at.button if b.label == "Start the run"]
        start.click().run()
        return
    [method] = [s for s in at.selectbox if s.label == "Method"]
    method.set_value(kind)
    [model] = [t for t in at.text_input if t.label == "Model (LLM methods)"]
    model.set_value("claude-haiku-4-5" if kind == "claude" else "m")
    [endpoint] = [t for t in at.text_input if t.label == widget]
    endpoint.set_value(url if kind == "claude" else url + "/v1")
    [propose] = [b for b in at.button if b.label == "Propose"]
    propose.click().run()


OUTBOUND = [label for (_, label), outbound in FREE_TEXT.items() if outbound]


@pytest.mark.parametrize("allowed", ["", "api.example.org"])
@pytest.mark.parametrize("kind", ["claude", "openai_compatible"])
@pytest.mark.parametrize("widget", OUTBOUND)
def test_no_widget_sends_a_key_to_a_host_the_operator_has_not_allowed(widget, kind, allowed, runs_page, monkeypatch):
    at, db = runs_page
    monkeypatch.setenv("PSEUDOLENS_ALLOWED_HOSTS", allowed)
    if widget != "Run config (TOML)":
        at.switch_page(page("taxonomy")).run()
        at.file_uploader[0].set_value(("good.csv", GOOD_CSV.encode(), "text/csv")).run()
    with FakeLLMAPI() as outside:  # a loopback stand-in for an outside host: it must never hear from us
        attack(at, widget, kind, outside.url)
        assert not at.exception, [e.value for e in at.exception]
        [error] = [box.proto.body for box in at.get("html") if ">Error<" in box.proto.body]
        assert "PSEUDOLENS_ALLOWED_HOSTS" in error and "127.0.0.1" in error
        assert outside.requests == [] and outside.served.total() == 0
    assert Store(db, read_only=True).runs().empty and Store(db, read_only=True).taxonomies().empty


@pytest.mark.parametrize("widget", OUTBOUND)
def test_a_host_the_operator_listed_is_reached(widget, runs_page, monkeypatch):
    """The control of the test above: the same attack on an allowed host does reach it, so silence there is the
    guard's doing and not a broken attack."""
    at, db = runs_page
    monkeypatch.setenv("PSEUDOLENS_ALLOWED_HOSTS", "127.0.0.1")
    if widget != "Run config (TOML)":
        at.switch_page(page("taxonomy")).run()
        at.file_uploader[0].set_value(("good.csv", GOOD_CSV.encode(), "text/csv")).run()
    with FakeLLMAPI() as allowed:
        attack(at, widget, "claude", allowed.url)
        assert not at.exception, [e.value for e in at.exception]
        assert allowed.requests and all(r["model"] == "claude-haiku-4-5" for r in allowed.requests)


# -- a run in progress, a killed run, a damaged file --------------------------------------------------------------

def running_run(db: Path, *, alive: bool):
    """A run stored as 'running' (as a process writes it when it starts), its lock held when `alive` (a run in
    progress) or free (a run killed with -9). Returns the held lock's context, to be closed by the caller."""
    from contextlib import ExitStack

    from core.evaluation.config import parse_config
    from core.files import held_lock
    from core.paths import run_lock_path

    config = parse_config({"name": "stuck", "dataset": "base", "teachers": [{"name": "sim", "kind": "simulated"}]})
    store = Store(db)
    store.start_run(run_id="stuck-run", name="stuck", dataset_id=store.dataset("base").dataset_id,
                    config=config.model_dump(), code_version="test", teachers={})
    stack = ExitStack()
    if alive:
        stack.enter_context(held_lock(run_lock_path(db, config.fingerprint()), "the stuck run"))
    return stack


@pytest.mark.parametrize("alive", [True, False], ids=["in progress", "killed"])
def test_the_runs_page_shows_a_running_or_killed_run_and_keeps_its_controls(alive, runs_page, capsys):
    at, db = runs_page
    with running_run(db, alive=alive):
        at.switch_page(page("runs")).run()
        assert not at.exception, [e.value for e in at.exception]
        [table] = [t for t in at.dataframe]
        statuses = dict(zip(table.value[ui.column_words("run_id")], table.value[ui.column_words("status")]))
        assert statuses["stuck-run"] == ("running" if alive else "interrupted")
        assert {"Build the demo database", "Start the run"} <= {b.label for b in at.button}
        assert cli.main(["runs", "--db", str(db)]) == 0
        listed = capsys.readouterr().out
        assert ("[running]" if alive else "[interrupted]") in listed


@pytest.mark.parametrize("name", PAGES)
def test_every_page_says_the_file_is_damaged(name, finished_run_db):
    data = finished_run_db.read_bytes()
    middle = len(data) // 2
    finished_run_db.write_bytes(data[:middle] + random.Random(0).randbytes(4096) + data[middle + 4096:])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(page(name)).run()
    assert not at.exception, [e.value for e in at.exception]
    said = " ".join(box.proto.body for box in at.get("html"))
    assert "this file is damaged" in said and "No finished run" not in " ".join(i.value for i in at.info)
