"""A teacher's labels corrected by human verdicts: the label most reviewers gave (ties: the first in label
set order) replaces the teacher's; an example judged `ambiguous` is left out of training (abstains); `skip`
and unreviewed examples keep the teacher's answer. Its config fingerprints the verdicts it applied, so new
verdicts make a new teacher and never mix with old labels."""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import pandas as pd
from pydantic import Field

from core.datasets.labelset import LabelSet
from core.registry import Params
from core.teachers.base import TeacherLabel, TextItem
from core.teachers.registry import register_kind


class CorrectedParams(Params):
    base: str = Field(description="the run's teacher whose labels the verdicts correct")
    verdicts: str | None = Field(None, description="fingerprint of the verdicts applied (written by apply-verdicts)")


def majority_corrections(verdicts: pd.DataFrame, label_set: LabelSet) -> dict[str, tuple[str | None, str]]:
    """example_id -> (corrected label or None for ambiguous, who said so)."""
    out = {}
    for example_id, group in verdicts[verdicts["verdict"] != "skip"].groupby("example_id"):
        labels = group[group["verdict"] == "label"]["label"]
        ambiguous = (group["verdict"] == "ambiguous").sum()
        if len(labels) > ambiguous:
            counts = labels.value_counts()
            best = min(counts[counts == counts.max()].index, key=label_set.index)
            out[example_id] = (best, ", ".join(sorted(set(group.loc[group["label"] == best, "reviewer"]))))
        else:
            out[example_id] = (None, ", ".join(sorted(set(group.loc[group["verdict"] == "ambiguous", "reviewer"]))))
    return out


def verdict_fingerprint(corrections: dict) -> str:
    return hashlib.sha256(json.dumps(sorted(corrections.items())).encode()).hexdigest()[:12]


@register_kind("corrected", params=CorrectedParams, simulated=None, llm=False, source="verdicts",
               description="another teacher of the run with human verdicts applied (simulated if its base is)")
class CorrectedTeacher:
    kind = "corrected"

    def __init__(self, name: str, base_id: str, simulated: bool, base_labels: pd.DataFrame, verdicts: pd.DataFrame,
                 label_set: LabelSet):
        self.name = name
        self.base_id = base_id
        self.simulated = simulated
        self.base = base_labels.set_index("example_id")
        self.corrections = majority_corrections(verdicts, label_set)
        self.fingerprint = verdict_fingerprint(self.corrections)

    def config(self) -> dict:
        return {"base_teacher_id": self.base_id, "verdicts": self.fingerprint, "n_corrections": len(self.corrections)}

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        return [self._label(item.example_id) for item in items]

    def _label(self, example_id: str) -> TeacherLabel:
        if example_id in self.corrections:
            label, who = self.corrections[example_id]
            if label is None:
                return TeacherLabel(example_id, None, abstain_reason=f"judged ambiguous by {who}",
                                    raw_response="[human verdict] ambiguous")
            return TeacherLabel(example_id, label, confidence=1.0, raw_response=f"[human verdict by {who}]")
        if example_id not in self.base.index or not isinstance(self.base.at[example_id, "label"], str):
            reason = self.base.at[example_id, "abstain_reason"] if example_id in self.base.index else "not labeled"
            return TeacherLabel(example_id, None, abstain_reason=f"base teacher: {reason}")
        row = self.base.loc[example_id]
        return TeacherLabel(example_id, row["label"], probs=json.loads(row["probs"]) if isinstance(row["probs"], str) else None,
                            confidence=None if pd.isna(row["confidence"]) else float(row["confidence"]),
                            raw_response=row["raw_response"])
