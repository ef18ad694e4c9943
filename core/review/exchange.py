"""Spot-check exchange with annotation tools: export a queue as Label Studio tasks (the teacher's label as a
prediction with its score), as Argilla records (the teacher's label as a suggestion with its score), or as
CSV; import completed annotations back from any of the three.

Verdict choices beyond the label set are `AMBIGUOUS` and `SKIP` (unless a label has that name). An
imported verdict's id is a hash of its source and content, so importing the same file twice adds nothing.
A file with any bad row is rejected whole, naming the row, and the database is left as it was."""
from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from core.datasets.labelset import LabelSet
from core.datasets.reading import DataError
from core.store import Store

QUESTION = "label"  # the name of the choice question / control in both tools
TEXT_FIELD = "text"
SPECIAL = {"AMBIGUOUS": "ambiguous", "SKIP": "skip"}
VERDICT_COLUMNS = ("reviewer", "verdict", "label", "note")  # what a reviewer fills in on the CSV sheet


def label_studio_config(label_set: LabelSet) -> str:
    """The labeling config the exported tasks expect (paste it into the project settings)."""
    choices = "".join(f'<Choice value="{html.escape(name, quote=True)}"/>' for name in [*label_set.names, *SPECIAL])
    return (f'<View><Text name="{TEXT_FIELD}" value="${TEXT_FIELD}"/>'
            f'<Choices name="{QUESTION}" toName="{TEXT_FIELD}" choice="single">{choices}</Choices></View>')


def to_label_studio(queue: pd.DataFrame, teacher: str) -> list[dict]:
    tasks = []
    for row in queue.itertuples():
        task: dict[str, Any] = {"data": {TEXT_FIELD: row.text, "example_id": row.example_id}}
        if isinstance(row.teacher_label, str):
            prediction: dict[str, Any] = {"model_version": teacher,
                                          "result": [{"from_name": QUESTION, "to_name": TEXT_FIELD, "type": "choices",
                                                      "value": {"choices": [row.teacher_label]}}]}
            if pd.notna(row.teacher_confidence):
                prediction["score"] = float(row.teacher_confidence)
            task["predictions"] = [prediction]
        tasks.append(task)
    return tasks


def to_argilla(queue: pd.DataFrame, teacher: str) -> list[dict]:
    records = []
    for row in queue.itertuples():
        record: dict[str, Any] = {"id": row.example_id, "fields": {TEXT_FIELD: row.text},
                                  "metadata": {"reason": row.reason}}
        if isinstance(row.teacher_label, str):
            suggestion: dict[str, Any] = {"question_name": QUESTION, "value": row.teacher_label, "agent": teacher}
            if pd.notna(row.teacher_confidence):
                suggestion["score"] = float(row.teacher_confidence)
            record["suggestions"] = [suggestion]
        records.append(record)
    return records


def to_csv(queue: pd.DataFrame) -> str:
    """The queue with empty verdict columns for a reviewer to fill in and import back."""
    frame = queue[["example_id", "text", "teacher_label", "teacher_confidence", "reason"]].assign(
        **dict.fromkeys(VERDICT_COLUMNS, ""))
    return frame.to_csv(index=False)


def _verdict(value: str, label_set: LabelSet) -> tuple[str, str | None]:
    if value in label_set:
        return "label", value
    if value in SPECIAL:
        return SPECIAL[value], None
    raise ValueError(f"{value!r} is neither a label ({label_set.names}) nor one of {list(SPECIAL)}")


def _from_label_studio(content) -> list[tuple[int, dict]]:
    if not isinstance(content, list):
        raise ValueError("expected a JSON list of Label Studio tasks")
    rows = []
    for number, task in enumerate(content, start=1):
        example_id = (task.get("data") or {}).get("example_id")
        for annotation in task.get("annotations") or []:
            if annotation.get("was_cancelled"):
                continue
            choices = [r["value"]["choices"][0] for r in annotation.get("result", [])
                       if r.get("from_name") == QUESTION and r.get("value", {}).get("choices")]
            if not choices:
                continue
            who = annotation.get("completed_by")
            reviewer = who.get("email") if isinstance(who, dict) else who
            rows.append((number, {"example_id": example_id, "reviewer": str(reviewer or "label-studio"),
                                  "value": choices[0], "note": None}))
    return rows


def _from_argilla(content) -> list[tuple[int, dict]]:
    if not isinstance(content, list):
        raise ValueError("expected a JSON list of Argilla records")
    rows = []
    for number, record in enumerate(content, start=1):
        responses = record.get("responses")
        if isinstance(responses, dict):  # the SDK's to_list() shape: {question: [{value, user_id}, ...]}
            responses = [{**r, "question_name": q} for q, answers in responses.items() for r in answers]
        for response in responses or []:
            if response.get("question_name") != QUESTION or response.get("status", "submitted") != "submitted":
                continue
            rows.append((number, {"example_id": record.get("id"), "reviewer": str(response.get("user_id") or "argilla"),
                                  "value": response.get("value"), "note": None}))
    return rows


def _from_csv(path: Path) -> list[tuple[int, dict]]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("example_id", *VERDICT_COLUMNS[:-1]) if c not in frame.columns]  # a note is optional
    if missing:
        raise DataError(path, [f"column {c!r} is missing" for c in missing])
    rows = []
    for number, row in enumerate(frame.itertuples(), start=1):
        if not row.verdict.strip():
            continue  # not reviewed yet
        value = row.label.strip() if row.verdict.strip() == "label" else row.verdict.strip().upper()
        rows.append((number, {"example_id": row.example_id, "reviewer": row.reviewer.strip(), "value": value,
                              "note": getattr(row, "note", "") or None}))
    return rows


def import_verdicts(store: Store, dataset_id: str, path: str | Path, fmt: str) -> int:
    """Reads completed annotations (`fmt`: label_studio, argilla or csv) into verdicts; returns how many were new."""
    path = Path(path)
    label_set = store.dataset(dataset_id).label_set
    try:
        if fmt == "csv":
            rows = _from_csv(path)
        else:
            content = json.loads(path.read_text(encoding="utf-8"))
            rows = {"label_studio": _from_label_studio, "argilla": _from_argilla}[fmt](content)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(path, [f"not a {fmt} annotation file: {exc}"]) from exc
    known = set(store.examples(dataset_id)["example_id"])
    problems, verdicts = [], []
    for number, row in rows:
        where = f"{'row' if fmt == 'csv' else 'record'} {number}"
        if row["example_id"] not in known:
            problems.append(f"{where}: example id {row['example_id']!r} is not in the data set")
            continue
        if not row["reviewer"]:
            problems.append(f"{where}: no reviewer")
            continue
        try:
            verdict, label = _verdict(row["value"], label_set)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        content = [fmt, row["example_id"], row["reviewer"], verdict, label, row["note"]]
        verdicts.append({"verdict_id": hashlib.sha256(json.dumps(content).encode()).hexdigest()[:32],
                         "example_id": row["example_id"], "reviewer": row["reviewer"], "verdict": verdict,
                         "label": label, "note": row["note"]})
    if problems:
        raise DataError(path, problems)
    return store.add_verdicts(dataset_id, pd.DataFrame(verdicts, columns=["verdict_id", "example_id", "reviewer",
                                                                         "verdict", "label", "note"]))
