"""Running a teacher over a data set: only over what it has not labeled yet, writing each batch as it
arrives (the first batches small), so an interrupted run keeps every finished label and a rerun asks
only for the rest."""
from __future__ import annotations

import asyncio
from typing import Sequence

import pandas as pd

from core.datasets.labelset import LabelSet
from core.datasets.recorded import LABEL_COLUMNS, label_frame
from core.progress import Progress
from core.store import Store
from core.teachers.base import Teacher, TeacherLabel, TextItem, close_teacher, teacher_id


def labels_frame(teacher_key: str, dataset_id: str, labels: Sequence[TeacherLabel]) -> pd.DataFrame:
    return label_frame(teacher_key, dataset_id, [label.example_id for label in labels],
                       [{column: getattr(label, column) for column in LABEL_COLUMNS} for label in labels])


def register(store: Store, teacher: Teacher) -> str:
    key = teacher_id(teacher)
    store.ensure_teacher(teacher_id=key, name=teacher.name, kind=teacher.kind, simulated=teacher.simulated,
                         config=teacher.config())
    return key


def growing_batches(n: int, largest: int, first: int):
    """(start, end) of batches that start small and double up to `largest`: a small or just-started run has its
    first labels stored within seconds, a large one is written in few transactions (each opens the database)."""
    start, size = 0, min(first, largest)
    while start < n:
        yield start, min(start + size, n)
        start, size = start + size, min(size * 2, largest)


def label_missing(store: Store, dataset_id: str, teacher: Teacher, label_set: LabelSet, examples: pd.DataFrame,
                  batch_size: int | None = None, progress: Progress | None = None) -> int:
    """Labels the examples (`example_id`, `text`) this teacher has not labeled yet; returns how many it labeled.
    Batches grow from 25 to 1000 texts unless `batch_size` fixes them; a teacher that works best on everything at
    once (a Message Batch) says so in `labels_per_batch`."""
    preferred = getattr(teacher, "labels_per_batch", None) or batch_size
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

    async def label(batch: list[TextItem]) -> list[TeacherLabel]:
        labels = await teacher.label_batch(batch, label_set)
        if {l.example_id for l in labels} != {item.example_id for item in batch}:
            raise RuntimeError(f"teacher {teacher.name} answered for other examples than it was asked about")
        return labels

    async def label_all() -> None:
        # two batches in flight, written in order: small batches keep a killed run's labels, and the next batch
        # keeps the teacher's request slots busy while the last calls of this one finish
        largest: int = preferred if preferred else getattr(teacher, "largest_batch", 1000)
        first = preferred or 25  # a batch size asked for (a Message Batch's, the caller's) is kept whole
        batches = [todo[start:end] for start, end in growing_batches(len(todo), largest, first)]
        labeling = [asyncio.ensure_future(label(batch)) for batch in batches[:2]]
        done = 0
        try:
            for i, batch in enumerate(batches):
                labels = await labeling[i]
                if i + 2 < len(batches):
                    labeling.append(asyncio.ensure_future(label(batches[i + 2])))
                done += len(batch)
                await write(labels, done)
        finally:  # a failing teacher stops the batch in flight; what was labeled before it is written
            for task in labeling:
                task.cancel()
            await asyncio.gather(*labeling, return_exceptions=True)

    asyncio.run(run())
    return len(todo)
