"""The dashboard's upload and config paths under hostile input (AppTest): uploaded files land only in the
session's own folder and are removed after use, whatever their names; a config that would send a key to a host
the operator has not allowed is refused, and not one request reaches that host."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui
from core import cli
from core.store import Store

from fake_llm_api import FakeLLMAPI
from test_bad_inputs import GOOD_CSV

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def runs_page(tmp_path, monkeypatch):
    """The Runs page on a fresh database, with uploads going under tmp_path/tmp."""
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    db = tmp_path / "db" / "dash.duckdb"
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
                                     "..\\..\\win.csv", ".hidden.csv", "x.csv\0/../../y.csv"])
def test_an_upload_lands_only_in_the_session_folder_and_is_removed(hostile, runs_page, tmp_path):
    at, db = runs_page
    name = hostile.replace("ABSOLUTE", str(tmp_path / "abs"))
    before = files_under(tmp_path)
    at.file_uploader[0].set_value((name, GOOD_CSV.encode(), "text/csv")).run()
    if "\0" in name:  # Streamlit itself refuses a file name with a NUL byte before the page sees the file
        assert [e.value for e in at.exception] == ["Filename cannot contain null bytes."]
        assert files_under(tmp_path) == before
        assert ui.safe_file_name(name) == "y.csv"  # and were one to arrive, only its base name is used
        return
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
    folders = list((tmp_path / "tmp").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("pseudolens-upload-")  # one folder per session
    assert "uploaded" in set(Store(db, read_only=True).datasets()["name"])


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
