import json

import pandas as pd
import pytest

from core import cli
from core.errors import EXIT_INPUT
from core.datasets.reading import ColumnMapping, read_dataset
from core.errors import DataError, InputError
from core.datasets.importing import import_dataset
from core.datasets.labelset import LabelSet
from core.store import Store

LABELS = LabelSet.from_names(["pos", "neg"])
ROWS = pd.DataFrame({
    "uid": ["a", "b", "c", "d"],
    "body": ["good film", "bad film", "fine, I guess", "terrible"],
    "human": ["pos", "neg", "", "neg"],
    "part": ["train", "train", "train", "test"],
    "genre": ["drama", "comedy", "drama", "horror"],
    "gpt": ["pos", "neg", "maybe", "neg"],
    "gpt_conf": ["0.9", "0.8", "0.5", ""],
})
MAPPING = ColumnMapping(text="body", id="uid", gold="human", split="part", slices=("genre",),
                        llm_labels={"gpt": "gpt"}, llm_confidences={"gpt": "gpt_conf"})


def write(frame: pd.DataFrame, path):
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")))
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet", ".jsonl"])
def test_every_format_loads_to_the_same_examples(tmp_path, suffix):
    loaded = read_dataset(write(ROWS, tmp_path / f"data{suffix}"), MAPPING, LABELS)
    assert list(loaded.examples["example_id"]) == ["a", "b", "c", "d"]
    assert list(loaded.examples["gold"].fillna("(unlabeled)")) == ["pos", "neg", "(unlabeled)", "neg"]
    assert list(loaded.examples["split"]) == ["train", "train", "train", "test"]
    assert set(loaded.extra_columns["column_name"]) == {"genre"}
    assert list(loaded.llm_labels["gpt"]["value"]) == ["pos", "neg", "maybe", "neg"]


def test_import_records_llm_labels_and_keeps_invalid_answers_raw(tmp_path, db):
    info = import_dataset(db, read_dataset(write(ROWS, tmp_path / "d.csv"), MAPPING, LABELS), "films")
    assert info.n_examples == 4 and info.label_set.names == ["pos", "neg"]
    teacher = db.teachers().iloc[0]
    assert (teacher["name"], teacher["kind"], teacher["simulated"]) == ("gpt", "recorded", False)
    labels = db.teacher_labels(teacher["teacher_id"], info.dataset_id).set_index("example_id")
    assert pd.isna(labels.loc["c", "label"]) and "maybe" in labels.loc["c", "abstain_reason"]
    assert labels.loc["c", "raw_response"] == "maybe"
    assert labels.loc["a", "confidence"] == pytest.approx(0.9)
    assert json.loads(labels.loc["a", "probs"]) == pytest.approx({"pos": 0.9, "neg": 0.1})
    assert pd.isna(labels.loc["d", "confidence"])
    assert db.example_columns(info.dataset_id).set_index("example_id").loc["c", "genre"] == "drama"


def test_label_set_is_inferred_from_gold_when_not_given(tmp_path):
    loaded = read_dataset(write(ROWS, tmp_path / "d.csv"), ColumnMapping(text="body", gold="human"))
    assert loaded.label_set.names == ["neg", "pos"]
    assert list(loaded.examples["example_id"]) == ["1", "2", "3", "4"]  # row numbers when no id column


def _problems(tmp_path, frame, mapping=MAPPING, labels=LABELS, name="bad.csv"):
    with pytest.raises(DataError) as caught:
        read_dataset(write(frame, tmp_path / name), mapping, labels)
    return caught.value


def test_missing_column_is_named(tmp_path):
    error = _problems(tmp_path, ROWS.drop(columns=["human"]))
    assert "column 'human' is missing" in str(error) and "bad.csv" in str(error)


def test_empty_and_whitespace_text_name_row_and_column(tmp_path):
    frame = ROWS.copy()
    frame.loc[1, "body"] = "   "
    frame.loc[3, "body"] = ""
    error = _problems(tmp_path, frame)
    assert error.problems == ["row 2 (line 3), column 'body': text is empty", "row 4 (line 5), column 'body': text is empty"]


def test_duplicate_ids_point_at_both_rows(tmp_path):
    frame = ROWS.copy()
    frame.loc[3, "uid"] = "a"
    assert _problems(tmp_path, frame).problems == ["row 4 (line 5), column 'uid': duplicate id 'a' (first at row 1)"]


def test_gold_outside_label_set(tmp_path):
    frame = ROWS.copy()
    frame.loc[0, "human"] = "positive"
    [problem] = _problems(tmp_path, frame).problems
    assert problem.startswith("row 1 (line 2), column 'human': gold label 'positive' is not in the label set")


def test_confidence_must_be_a_probability(tmp_path):
    frame = ROWS.copy()
    frame.loc[2, "gpt_conf"] = "high"
    assert _problems(tmp_path, frame).problems == [
        "row 3 (line 4), column 'gpt_conf': confidence 'high' is not a number between 0 and 1"]


def test_undecodable_bytes_name_the_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("body,human\nok,pos\ncaf\xe9 au lait,neg\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        read_dataset(path, ColumnMapping(text="body", gold="human"), LABELS)
    assert "line 3" in str(caught.value) and "not UTF-8" in str(caught.value) and "latin1.csv" in str(caught.value)


def test_broken_jsonl_line_is_named(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"body": "ok"}\n{"body": "oops"\n')
    with pytest.raises(DataError, match="line 2: not valid JSON"):
        read_dataset(path, ColumnMapping(text="body"))


def _counts(store: Store) -> dict:
    with store.connect() as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("datasets", "examples", "example_columns", "teachers", "teacher_labels")}


def test_bad_file_through_the_cli_exits_3_and_leaves_the_database_as_it_was(tmp_path, capsys):
    db_path = tmp_path / "db.duckdb"
    good = write(ROWS, tmp_path / "good.csv")
    assert cli.main(["import", str(good), "--db", str(db_path), "--name", "films", "--text", "body", "--gold", "human"]) == 0
    before = _counts(Store(db_path))
    frame = ROWS.copy()
    frame.loc[2, "body"] = " "
    bad = write(frame, tmp_path / "bad.csv")
    code = cli.main(["import", str(bad), "--db", str(db_path), "--name", "films2", "--text", "body", "--gold", "human",
                     "--llm-label", "gpt=gpt"])
    assert code == EXIT_INPUT
    assert "bad.csv" in capsys.readouterr().err
    assert _counts(Store(db_path)) == before


def test_a_failure_inside_the_import_transaction_writes_nothing(tmp_path, db):
    loaded = read_dataset(write(ROWS, tmp_path / "d.csv"), MAPPING, LABELS)
    import_dataset(db, loaded, "films")
    before = _counts(db)
    with pytest.raises(InputError, match="already exists"):
        import_dataset(db, loaded, "films")
    assert _counts(db) == before
