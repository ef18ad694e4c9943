"""The `Teacher` protocol every labeler implements, and the record each label is returned as."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

from core.datasets.labelset import LabelSet
from core.fingerprints import teacher_key


@dataclass(frozen=True)
class TextItem:
    """What a teacher is shown: an id and the text. Never the gold label."""

    example_id: str
    text: str


@dataclass(frozen=True)
class TeacherLabel:
    """One teacher answer. `label` is None when the teacher abstained or its answer was invalid;
    `abstain_reason` then says which and why, and `raw_response` keeps what it actually said."""

    example_id: str
    label: str | None
    probs: dict[str, float] | None = None
    confidence: float | None = None
    abstain_reason: str | None = None
    raw_response: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.label is None and not self.abstain_reason:
            raise ValueError(f"example {self.example_id}: a missing label needs an abstain_reason")


@runtime_checkable
class Teacher(Protocol):
    """A labeler. `label_batch` is a coroutine so network teachers can overlap requests; offline
    teachers simply compute. `config()` holds everything that determines the labels: it is hashed
    into the teacher id, which keys the stored labels (so a changed prompt or model is a new teacher)."""

    name: str
    kind: str
    simulated: bool

    def config(self) -> dict: ...

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]: ...


def label_texts(teacher: Teacher, examples, label_set: LabelSet):
    """A teacher's answers for a frame of `example_id`, `text`, as a frame (one row per example: the fields of
    `TeacherLabel`), without a store: for a notebook. Runs use `labeling.label_missing`, which caches and resumes."""
    import asyncio

    import pandas as pd

    async def ask() -> list[TeacherLabel]:
        try:
            return await teacher.label_batch([TextItem(i, t) for i, t in zip(examples["example_id"], examples["text"])],
                                             label_set)
        finally:
            await close_teacher(teacher)

    return pd.DataFrame([vars(label) for label in asyncio.run(ask())]).drop(columns="extra")


async def close_teacher(teacher: Teacher) -> None:
    """Teachers that hold network connections may define `async close()`; the labeling loop calls it last."""
    close = getattr(teacher, "close", None)
    if close is not None:
        await close()


def teacher_id(teacher: Teacher) -> str:
    return teacher_key(teacher.name, teacher.kind, teacher.config())

