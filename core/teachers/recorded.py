"""Labels a user already has from an LLM, as a teacher (the import stores them the same way, through
`core.datasets.recorded`)."""
from __future__ import annotations

from typing import Sequence

from core.datasets.labelset import LabelSet
from core.datasets.recorded import RECORDED, interpret
from core.teachers.base import TeacherLabel, TextItem
from core.teachers.registry import register_kind


@register_kind(RECORDED, simulated=False, llm=False, source="import",
               description="labels you already have from an LLM, imported with the data set (--llm-label)")
class RecordedTeacher:
    kind = RECORDED
    simulated = False

    def __init__(self, name: str, source: str, answers: dict[str, tuple[str, float | None]]):
        self.name = name
        self.source = source  # file and column, for provenance
        self.answers = answers  # example_id -> (raw value, confidence or None)

    def config(self) -> dict:
        return {"source": self.source}

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        labels = []
        for item in items:
            raw, confidence = self.answers.get(item.example_id, (None, None))
            labels.append(TeacherLabel(item.example_id, **interpret(raw, confidence, label_set)))
        return labels
