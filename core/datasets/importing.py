"""Putting a validated data set into the store, with its recorded LLM labels, in one transaction."""
from __future__ import annotations

from core.datasets.duplicates import duplicate_counts
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


def import_notes(loaded: LoadedDataset) -> list[str]:
    """What an import should say about its rows beyond their number: texts that occur more than once (cross-fitting
    keeps every copy in one fold, so a text never trains the student that scores it) and rows without a gold
    label (they never score a student; they train only students on teacher labels)."""
    texts, repeats = duplicate_counts(loaded.examples["text"])
    no_gold = int(loaded.examples["gold"].isna().sum())
    return [f"{texts} texts occur more than once ({repeats} rows repeat an earlier row's text, compared ignoring case "
            f"and spacing); cross-fitting keeps every copy of a text in one fold, so a text never trains the student "
            f"that scores it",
            f"{no_gold} of {len(loaded.examples)} rows have no gold label: they are never scored and train only the "
            f"students that learn from teacher labels"]
