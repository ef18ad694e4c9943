"""Putting a validated data set into the store, with its recorded LLM labels, in one transaction."""
from __future__ import annotations

from core.datasets.reading import LoadedDataset
from core.datasets.recorded import RECORDED, recorded_labels, recorded_source
from core.errors import InputError
from core.store import DatasetInfo, Store


def import_dataset(store: Store, loaded: LoadedDataset, name: str) -> DatasetInfo:
    if not name.strip() or "\0" in name:
        raise InputError(f"{loaded.path}: the data set needs a name (--name), not {name!r}")
    dataset_id = f"{name}-{loaded.content_hash[:8]}"
    with store.transaction():
        store.add_dataset(dataset_id=dataset_id, name=name, source_path=str(loaded.path),
                          column_mapping=loaded.mapping.to_dict(), label_set=loaded.label_set,
                          content_hash=loaded.content_hash, examples=loaded.examples,
                          extra_columns=loaded.extra_columns)
        for teacher_name, answers in loaded.llm_labels.items():
            source = recorded_source(loaded.path.name, loaded.mapping.llm_labels[teacher_name])
            key, labels = recorded_labels(teacher_name, source, dataset_id, answers, loaded.label_set)
            store.ensure_teacher(teacher_id=key, name=teacher_name, kind=RECORDED, simulated=False, config=source)
            store.write_teacher_labels(labels)
    return store.dataset(dataset_id)
