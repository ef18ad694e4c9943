"""Human verdicts on teacher labels: recording one, and how often reviewers agree."""
from __future__ import annotations

import uuid

import pandas as pd

from core.errors import InputError
from core.store import Store

VERDICTS = ("label", "ambiguous", "skip")


def record_verdict(store: Store, dataset_id: str, example_id: str, reviewer: str, verdict: str,
                   label: str | None = None, note: str = "") -> str:
    if verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {VERDICTS}")
    if verdict != "label" and label is not None:
        raise InputError("only a 'label' verdict carries a label")
    if not reviewer.strip():
        raise InputError("a verdict needs a reviewer name")
    verdict_id = uuid.uuid4().hex
    with store.transaction():  # one connection for the check and the write: a reviewer waits on each opening
        if verdict == "label" and label not in store.dataset(dataset_id).label_set:
            raise InputError(f"{label!r} is not in the label set")
        store.add_verdicts(dataset_id, pd.DataFrame([{"verdict_id": verdict_id, "example_id": example_id,
                                                      "reviewer": reviewer.strip(), "verdict": verdict, "label": label,
                                                      "note": note.strip() or None}]))
    return verdict_id


def reviewer_agreement(verdicts: pd.DataFrame) -> dict:
    """Among examples reviewed by two or more people: how many, and the share where all gave the same verdict."""
    decided = verdicts.assign(answer=verdicts["label"].fillna(verdicts["verdict"]))
    per_example = decided.groupby("example_id").agg(reviewers=("reviewer", "nunique"), answers=("answer", "nunique"))
    shared = per_example[per_example["reviewers"] >= 2]
    return {"n_examples": len(shared), "all_agree": float((shared["answers"] == 1).mean()) if len(shared) else float("nan")}


def reviewer_disagreements(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Examples whose reviewers gave different answers (a label, or `ambiguous`; skips are no answer), each with
    every answer and whether a majority decides it (`tied`: no answer has more votes than every other, so applying
    the verdicts would fall back to a tie rule unless someone decides)."""
    answered = verdicts[verdicts["verdict"] != "skip"]
    answered = answered.assign(answer=answered["label"].fillna(answered["verdict"]))
    rows = []
    for example_id, group in answered.groupby("example_id"):
        counts = group["answer"].value_counts()
        if len(counts) < 2:
            continue
        rows.append({"example_id": example_id, "answers": ", ".join(f"{r}: {a}" for r, a in zip(group["reviewer"], group["answer"])),
                     "majority": None if counts.iloc[0] == counts.iloc[1] else counts.index[0],
                     "tied": bool(counts.iloc[0] == counts.iloc[1])})
    return pd.DataFrame(rows, columns=["example_id", "answers", "majority", "tied"])
