"""Embeddings of a data set's texts, computed once and kept in the store (students, teachers and the
disagreement map all reuse them)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.datasets import embeddings
from core.store import Store


def stored_encoder(store: Store, dataset_id: str, examples: pd.DataFrame):
    """An `encode(texts)` for texts of this data set that reads stored vectors and stores new ones."""
    known: dict[str, np.ndarray] = {}
    ids_by_text: dict[str, list[str]] = {}

    def load() -> None:
        # on first use only: a run whose teachers and student never embed never reads the vectors
        ids_by_text.update(examples.groupby("text")["example_id"].apply(list).to_dict())
        text_of = dict(zip(examples["example_id"], examples["text"]))
        for row in store.embeddings(dataset_id, embeddings.MODEL_NAME).itertuples():
            known[text_of[row.example_id]] = np.asarray(row.vector, dtype=np.float32)

    def encode(texts) -> np.ndarray:
        if not ids_by_text:
            load()
        texts = list(texts)
        missing = sorted({t for t in texts if t not in known})
        if missing:
            vectors = embeddings.encode(missing)
            known.update(zip(missing, vectors))
            stored = [(i, v) for t, v in zip(missing, vectors) for i in ids_by_text.get(t, [])]
            if stored:
                store.write_embeddings(dataset_id, embeddings.MODEL_NAME, [i for i, _ in stored], [v for _, v in stored])
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, embeddings.DIMENSION), np.float32)

    return encode
