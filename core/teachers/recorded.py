"""Labels a user already has from an LLM, read from a column of their file.

Values outside the label set are kept as invalid answers with the raw value, never mapped to a label."""
from __future__ import annotations

import math
from typing import Sequence

from ..labelset import LabelSet
from .base import TeacherLabel, TextItem, probs_from_confidence


class RecordedTeacher:
    kind = "recorded"
    simulated = False

    def __init__(self, name: str, source: str, answers: dict[str, tuple[str, float | None]]):
        self.name = name
        self.source = source  # file and column, for provenance
        self.answers = answers  # example_id -> (raw value, confidence or None)

    def config(self) -> dict:
        return {"source": self.source}

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        return [self._label(item.example_id, label_set) for item in items]

    def _label(self, example_id: str, label_set: LabelSet) -> TeacherLabel:
        if example_id not in self.answers:
            return TeacherLabel(example_id, None, abstain_reason="no recorded answer")
        raw, confidence = self.answers[example_id]
        value = raw.strip()
        if confidence is not None and math.isnan(confidence):
            confidence = None
        if not value:
            return TeacherLabel(example_id, None, abstain_reason="empty recorded answer", raw_response=raw)
        if value not in label_set:
            return TeacherLabel(example_id, None, abstain_reason=f"invalid: {value[:60]!r} is not in the label set",
                                raw_response=raw)
        probs = probs_from_confidence(value, confidence, label_set) if confidence is not None else None
        return TeacherLabel(example_id, value, probs=probs, confidence=confidence, raw_response=raw)
