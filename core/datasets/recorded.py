"""Labels a user already has from an LLM, read from a column of their file: each raw value checked against the
label set. Values outside it are kept as invalid answers with the raw text, never mapped to a label."""
from __future__ import annotations

import json
import math

import pandas as pd

from core.datasets.labelset import LabelSet
from core.fingerprints import teacher_key

RECORDED = "recorded"
LABEL_COLUMNS = ["label", "abstain_reason", "probs", "confidence", "raw_response", "input_tokens", "output_tokens",
                 "cost_usd", "latency_ms"]


def interpret(raw: str | None, confidence: float | None, label_set: LabelSet) -> dict:
    """One recorded answer as a teacher label's fields: a label from the set, or no label and why."""
    if raw is None:
        return {"label": None, "abstain_reason": "no recorded answer"}
    value = label_set.canonical(raw.strip())
    if confidence is not None and math.isnan(confidence):
        confidence = None
    if not value:
        return {"label": None, "abstain_reason": "empty recorded answer", "raw_response": raw}
    if value not in label_set:
        return {"label": None, "abstain_reason": f"invalid: {value[:60]!r} is not in the label set", "raw_response": raw}
    probs = label_set.spread(value, confidence) if confidence is not None else None
    return {"label": value, "probs": probs, "confidence": confidence, "raw_response": raw}


def label_frame(teacher_id: str, dataset_id: str, example_ids, answers: list[dict]) -> pd.DataFrame:
    """Teacher answers (dicts of teacher label fields) as rows of the store's teacher_labels table."""
    frame = pd.DataFrame(answers, columns=LABEL_COLUMNS).astype(
        {"label": object, "abstain_reason": object, "probs": object, "raw_response": object, "confidence": float})
    frame["probs"] = [json.dumps(p) if isinstance(p, dict) else None for p in frame["probs"]]
    defaults = {"input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0, "latency_ms": 0.0}
    frame = frame.fillna(defaults).astype({"input_tokens": int, "output_tokens": int})
    frame.insert(0, "example_id", list(example_ids))
    frame.insert(0, "dataset_id", dataset_id)
    frame.insert(0, "teacher_id", teacher_id)
    return frame


def recorded_source(file_name: str, column: str) -> dict:
    """A recorded teacher's config: where its labels came from."""
    return {"source": f"{file_name}:{column}"}


def recorded_labels(name: str, source: dict, dataset_id: str, answers: pd.DataFrame,
                    label_set: LabelSet) -> tuple[str, pd.DataFrame]:
    """(teacher id, label rows) of a recorded teacher from its column (`example_id`, `value`, `confidence`)."""
    key = teacher_key(name, RECORDED, source)
    confidences = answers["confidence"] if "confidence" in answers else [None] * len(answers)
    rows = [interpret(value, None if confidence is None or pd.isna(confidence) else float(confidence), label_set)
            for value, confidence in zip(answers["value"], confidences)]
    return key, label_frame(key, dataset_id, answers["example_id"], rows)
