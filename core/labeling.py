"""Running a teacher over a data set: only over what it has not labeled yet, writing each batch as it
arrives, so an interrupted run keeps every finished label and a rerun asks only for the rest."""
from __future__ import annotations

import asyncio
import json
from typing import Callable, Sequence

import pandas as pd

from .labelset import LabelSet
from .store import Store
from .teachers import Teacher, TeacherLabel, TextItem, teacher_id
from .teachers.base import close_teacher

Progress = Callable[[str, int, int], None]


def labels_frame(teacher_key: str, dataset_id: str, labels: Sequence[TeacherLabel]) -> pd.DataFrame:
    return pd.DataFrame({
        "teacher_id": teacher_key,
        "dataset_id": dataset_id,
        "example_id": [l.example_id for l in labels],
        "label": [l.label for l in labels],
        "abstain_reason": [l.abstain_reason for l in labels],
        "probs": [json.dumps(l.probs) if l.probs is not None else None for l in labels],
        "confidence": [l.confidence for l in labels],
        "raw_response": [l.raw_response for l in labels],
        "input_tokens": [l.input_tokens for l in labels],
        "output_tokens": [l.output_tokens for l in labels],
        "cost_usd": [l.cost_usd for l in labels],
        "latency_ms": [l.latency_ms for l in labels],
    }).astype({"label": object, "abstain_reason": object, "probs": object, "raw_response": object,
               "confidence": float})


def register(store: Store, teacher: Teacher) -> str:
    key = teacher_id(teacher)
    store.ensure_teacher(teacher_id=key, name=teacher.name, kind=teacher.kind, simulated=teacher.simulated,
                         config=teacher.config())
    return key


def label_missing(store: Store, dataset_id: str, teacher: Teacher, label_set: LabelSet, examples: pd.DataFrame,
                  batch_size: int = 1000, progress: Progress | None = None) -> int:
    """Labels the examples (`example_id`, `text`) this teacher has not labeled yet; returns how many it labeled.
    A teacher that works best on everything at once (a Message Batch) says so in `labels_per_batch`."""
    batch_size = getattr(teacher, "labels_per_batch", None) or batch_size
    key = register(store, teacher)
    done = store.labeled_example_ids(key, dataset_id)
    todo = [TextItem(r.example_id, r.text) for r in examples.itertuples() if r.example_id not in done]
    stage = f"labeling with {teacher.name}"
    if progress:
        progress(stage, 0, len(todo))

    async def run() -> None:
        try:
            await label_all()
        finally:
            await close_teacher(teacher)

    async def write(labels: list[TeacherLabel], done: int) -> None:
        await asyncio.to_thread(store.write_teacher_labels, labels_frame(key, dataset_id, labels))
        if progress:  # from the loop's thread, which a dashboard's progress bar needs
            progress(stage, done, len(todo))

    async def label_all() -> None:
        writing = None  # a batch is written in a thread while the teacher labels the next one
        try:
            for start in range(0, len(todo), batch_size):
                batch = todo[start:start + batch_size]
                labels = await teacher.label_batch(batch, label_set)
                returned = {l.example_id for l in labels}
                if returned != {item.example_id for item in batch}:
                    raise RuntimeError(f"teacher {teacher.name} answered for other examples than it was asked about")
                if writing:
                    await writing
                writing = asyncio.create_task(write(labels, start + len(batch)))
        finally:  # a failing teacher must not lose the batch before it
            if writing:
                await writing

    asyncio.run(run())
    return len(todo)
