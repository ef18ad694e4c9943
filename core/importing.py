"""Putting a validated data set into the store, with its recorded LLM labels, in one transaction."""
from __future__ import annotations

import asyncio

from .dataset import LoadedDataset
from .labeling import labels_frame
from .store import DatasetInfo, Store
from .teachers import RecordedTeacher, TextItem, teacher_id


def import_dataset(store: Store, loaded: LoadedDataset, name: str) -> DatasetInfo:
    dataset_id = f"{name}-{loaded.content_hash[:8]}"
    items = [TextItem(r.example_id, r.text) for r in loaded.examples.itertuples()]
    with store.transaction() as con:
        store.add_dataset(con, dataset_id=dataset_id, name=name, source_path=str(loaded.path),
                          column_mapping=loaded.mapping.to_dict(), label_set=loaded.label_set,
                          content_hash=loaded.content_hash, examples=loaded.examples,
                          extra_columns=loaded.extra_columns)
        for teacher_name, answers in loaded.llm_labels.items():
            teacher = RecordedTeacher(
                teacher_name, f"{loaded.path.name}:{loaded.mapping.llm_labels[teacher_name]}",
                {r.example_id: (r.value, r.confidence) for r in answers.itertuples()},
            )
            key = teacher_id(teacher)
            store.register_teacher(con, teacher_id=key, name=teacher.name, kind=teacher.kind,
                                   simulated=teacher.simulated, config=teacher.config())
            labels = asyncio.run(teacher.label_batch(items, loaded.label_set))
            store.write_teacher_labels(labels_frame(key, dataset_id, labels), con=con)
    return store.dataset(dataset_id)
