"""Reading a user's text data set (CSV, TSV, Parquet, JSONL) through a column mapping, and validating it.

Everything is checked before anything is written: `read_dataset` either returns a complete, valid
`LoadedDataset` or raises `DataError` naming the file, row and column of each problem.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.datasets.labelset import LabelSet
from core.errors import DataError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column plays which part. Only `text` is required."""

    text: str
    id: str | None = None
    gold: str | None = None
    split: str | None = None
    slices: tuple[str, ...] = ()
    llm_labels: dict[str, str] = field(default_factory=dict)  # teacher name -> column with its labels
    llm_confidences: dict[str, str] = field(default_factory=dict)  # teacher name -> column with its confidence

    def to_dict(self) -> dict:
        return {"text": self.text, "id": self.id, "gold": self.gold, "split": self.split, "slices": list(self.slices),
                "llm_labels": dict(self.llm_labels), "llm_confidences": dict(self.llm_confidences)}

    def columns(self) -> list[str]:
        named = [self.text, self.id, self.gold, self.split, *self.slices, *self.llm_labels.values(),
                 *self.llm_confidences.values()]
        return [c for c in named if c is not None]


@dataclass
class LoadedDataset:
    path: Path
    mapping: ColumnMapping
    label_set: LabelSet
    examples: pd.DataFrame  # example_id, source_row, text, gold, split
    extra_columns: pd.DataFrame  # example_id, column_name, value (long form)
    llm_labels: dict[str, pd.DataFrame]  # teacher name -> example_id, value, confidence
    content_hash: str
    warnings: list[str] = field(default_factory=list)  # said at import, where the user looks


def _row_of_offset(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def _cell(value) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _read_table(path: Path) -> pd.DataFrame:
    """The raw table, every cell as text ('' for empty); `_line` holds each row's line in the file where known."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(path, [f"unknown file type {path.suffix!r}; use one of {sorted(FORMATS)}"])
    if not path.exists():
        raise DataError(path, ["file not found"])
    if not path.is_file():
        raise DataError(path, ["is a folder, not a data file"])
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(path, [f"not a readable Parquet file: {exc}"]) from exc
        frame = frame.astype(object).where(frame.notna(), "").astype(str)
        frame["_line"] = None
        return frame
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_number = _row_of_offset(raw, exc.start)
        raise DataError(path, [f"line {line_number}: bytes that are not UTF-8 at byte offset {exc.start} "
                               f"({raw[exc.start:exc.start + 4]!r}); re-save the file as UTF-8"]) from exc
    if fmt == "jsonl":
        records, problems = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: not valid JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                problems.append(f"line {number}: expected a JSON object, got {type(record).__name__}")
                continue
            records.append({**{key: _cell(value) for key, value in record.items()}, "_line": number})
        if problems:
            raise DataError(path, problems)
        frame = pd.DataFrame.from_records(records)
        return frame.fillna("") if len(frame) else frame
    sep = "\t" if fmt == "tsv" else ","
    if not text.strip():
        raise DataError(path, ["the file is empty"])
    # pandas would rename a repeated header to "name.1" and the user's column would silently be another one
    header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(path, [f"line 1: column {name!r} appears {header.count(name)} times in the header"
                               for name in repeated])
    try:
        # index_col=False: pandas would otherwise turn the extra cells of a row longer than the header into an
        # index and shift every column; that row is named instead
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                                index_col=False)
    except pd.errors.ParserWarning:
        long_rows = [f"line {number}: {len(cells)} cells, the header has {len(header)}"
                     for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1)
                     if len(cells) > len(header)]
        raise DataError(path, [f"cannot parse as {fmt.upper()}: {problem}" for problem in long_rows]) from None
    except pd.errors.ParserError as exc:
        raise DataError(path, [f"cannot parse as {fmt.upper()}: {exc}"]) from exc
    # Line of each row: header is line 1; exact unless a quoted cell spans lines, where it is a lower bound.
    frame["_line"] = range(2, len(frame) + 2)
    return frame


def _optional(column: pd.Series) -> pd.Series:
    """Stripped text with None for empty cells (an empty gold label means unlabeled)."""
    stripped = column.astype(str).str.strip()
    return stripped.astype(object).where(stripped != "", None)


def _where(path_row: int, line, column: str) -> str:
    place = f"row {path_row}" + (f" (line {line})" if line is not None else "")
    return f"{place}, column {column!r}"


def _table_with(path: Path, columns: list[str]) -> pd.DataFrame:
    table = _read_table(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        available = [c for c in table.columns if c != "_line"]
        raise DataError(path, [f"column {c!r} is missing (the file has: {available})" for c in missing])
    if len(table) == 0:
        raise DataError(path, ["the file has no data rows"])
    # a NUL byte truncates text in C libraries downstream (tokenizers, terminals) and is never meant
    nul = [f"{_where(row, line, column)}: contains a NUL byte" for column in columns
           for row, (line, value) in enumerate(zip(table["_line"], table[column].astype(str)), 1) if "\0" in value]
    if nul:
        raise DataError(path, nul)
    return table


def _empty_texts(table: pd.DataFrame, column: str) -> list[str]:
    return [f"{_where(row, line, column)}: text is empty"
            for row, (line, text) in enumerate(zip(table["_line"], table[column].astype(str)), 1) if not text.strip()]


def read_texts(path: str | Path, column: str) -> list[str]:
    """Only the texts of a file, checked as `read_dataset` checks them: for proposing a label set before import."""
    path = Path(path)
    table = _table_with(path, [column])
    problems = _empty_texts(table, column)
    if problems:
        raise DataError(path, problems)
    return table[column].astype(str).tolist()


FLAG_VALUES = {"1": 1, "true": 1, "yes": 1, "0": 0, "false": 0, "no": 0}


def read_flags(path: str | Path, column: str) -> list[int]:
    """A yes/no column (1/0, true/false, yes/no) as 1 and 0, for training a detector; any other value is an
    error naming its row."""
    path = Path(path)
    table = _table_with(path, [column])
    values = table[column].astype(str).str.strip().str.lower()
    problems = [f"{_where(row, line, column)}: {value!r} is not a yes/no flag (1/0, true/false, yes/no)"
                for row, (line, value) in enumerate(zip(table["_line"], values), 1) if value not in FLAG_VALUES]
    if problems:
        raise DataError(path, problems)
    return [FLAG_VALUES[v] for v in values]


def read_dataset(path: str | Path, mapping: ColumnMapping, label_set: LabelSet | None = None) -> LoadedDataset:
    path = Path(path)
    table = _table_with(path, mapping.columns())
    rows = range(1, len(table) + 1)
    lines = list(table["_line"])
    texts = table[mapping.text].astype(str)
    problems = _empty_texts(table, mapping.text)

    if mapping.id:
        ids = table[mapping.id].astype(str).str.strip()
        first_seen: dict[str, int] = {}
        for row, line, value in zip(rows, lines, ids):
            if not value:
                problems.append(f"{_where(row, line, mapping.id)}: id is empty")
            elif value in first_seen:
                problems.append(f"{_where(row, line, mapping.id)}: duplicate id {value!r} (first at row {first_seen[value]})")
            else:
                first_seen[value] = row
    else:
        ids = pd.Series([str(r) for r in rows], index=table.index)

    gold = _optional(table[mapping.gold]) if mapping.gold else pd.Series(None, index=table.index, dtype=object)
    if label_set is None:
        observed = sorted(set(gold.dropna()))
        if not observed:
            for column in mapping.llm_labels.values():
                observed = sorted(set(observed) | set(table[column].astype(str).str.strip()) - {""})
        if not observed:
            raise DataError(path, ["no label set given and no labels in the data to infer one from; pass a label file"])
        label_set = LabelSet.from_names(observed)
    elif mapping.gold:
        gold = gold.map(label_set.canonical, na_action="ignore")
        gold = gold.astype(object).where(gold.notna(), None)
        for row, line, value in zip(rows, lines, gold):
            if value is not None and value not in label_set:
                problems.append(f"{_where(row, line, mapping.gold)}: gold label {value!r} is not in the label set {label_set.names}")

    for teacher, column in mapping.llm_confidences.items():
        if teacher not in mapping.llm_labels:
            problems.append(f"confidence column {column!r} is given for teacher {teacher!r}, which has no label column")
            continue
        for row, line, value in zip(rows, lines, table[column]):
            if value.strip() == "":
                continue
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if not 0.0 <= number <= 1.0:
                problems.append(f"{_where(row, line, column)}: confidence {value!r} is not a number between 0 and 1")
    for teacher in mapping.llm_labels:
        if teacher == "gold":
            problems.append("a teacher cannot be named 'gold' (the name is reserved for human labels)")
    if problems:
        raise DataError(path, problems)

    split = _optional(table[mapping.split].astype(str).str.lower()) if mapping.split else pd.Series(None, index=table.index, dtype=object)
    examples = pd.DataFrame({
        "example_id": ids.values, "source_row": list(rows), "text": texts.values,
        "gold": gold.values, "split": split.values,
    })
    extra = pd.concat(
        [pd.DataFrame({"example_id": ids.values, "column_name": c, "value": table[c].astype(str).values})
         for c in mapping.slices],
        ignore_index=True,
    ) if mapping.slices else pd.DataFrame(columns=["example_id", "column_name", "value"])
    llm_labels = {
        teacher: pd.DataFrame({
            "example_id": ids.values,
            "value": table[column].astype(str).values,
            "confidence": (pd.to_numeric(_optional(table[mapping.llm_confidences[teacher]]), errors="coerce").values
                           if teacher in mapping.llm_confidences else None),
        })
        for teacher, column in mapping.llm_labels.items()
    }
    warnings = [w for teacher, answers in llm_labels.items()
                for w in [invalid_answer_warning(teacher, answers["value"], label_set)] if w]
    digest = hashlib.sha256()
    digest.update(json.dumps(mapping.to_dict(), sort_keys=True).encode())
    digest.update(label_set.to_json().encode())
    digest.update(pd.util.hash_pandas_object(examples.drop(columns="source_row"), index=False).values.tobytes())
    return LoadedDataset(path, mapping, label_set, examples, extra, llm_labels, digest.hexdigest(), warnings)


def normalized(value: str) -> str:
    """A raw label as a person would read it: case, spaces, quotes and a trailing ".0" on a number dropped."""
    text = value.strip().strip("\"'.").lower()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else str(number)


def invalid_answer_warning(teacher: str, values: pd.Series, label_set: LabelSet) -> str | None:
    """How many of a recorded teacher's answers are outside the label set, the most common ones, and a hint when
    they match labels after normalisation ("1" vs "1.0"), which usually means a column was re-typed on the way."""
    answered = values.astype(str).str.strip()
    answered = answered[answered != ""]
    invalid = answered[[label_set.canonical(v) not in label_set for v in answered]]
    if invalid.empty:
        return None
    common = invalid.value_counts().head(3)
    message = (f"teacher {teacher!r}: {len(invalid)} of {len(answered)} answers ({len(invalid) / len(answered):.0%}) "
               f"are not in the label set {label_set.names} and count as invalid (wrong); most common: "
               + ", ".join(f"{value!r} ({n})" for value, n in common.items()))
    by_form = {normalized(name): name for name in label_set.names}
    matches = {value: by_form[normalized(value)] for value in common.index if normalized(value) in by_form}
    if matches:
        message += ("; they match labels after normalisation (" + ", ".join(f"{v!r} ~ {n!r}" for v, n in matches.items())
                    + "): list them as `values:` of those labels in a label file, or clean the column")
    return message
