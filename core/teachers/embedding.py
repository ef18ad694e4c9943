"""A real offline zero-shot teacher: labels each text by its embedding's similarity to each label's
description. Nobody planned its blind spots (negation, nested clauses, labels whose descriptions
overlap), which is what makes it a useful stand-in for an LLM when no API is configured."""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
from pydantic import Field

from core.datasets import embeddings
from core.datasets.labelset import LabelSet
from core.registry import Params
from core.teachers.base import TeacherLabel, TextItem
from core.teachers.registry import TEACHERS, TeacherContext


class EmbeddingTeacher:
    kind = "zero_shot_embedding"
    simulated = False

    def __init__(self, name: str = "zero-shot-minilm", temperature: float = 0.05, min_confidence: float = 0.0,
                 encode: Callable[[list[str]], np.ndarray] = embeddings.encode):
        self.name = name
        self.temperature = temperature
        self.min_confidence = min_confidence
        self.encode = encode

    def config(self) -> dict:
        return {"model": embeddings.MODEL_NAME, "temperature": self.temperature, "min_confidence": self.min_confidence,
                "prototype": "label: description"}

    def _prototypes(self, label_set: LabelSet) -> np.ndarray:
        return embeddings.encode([f"{l.name}: {l.description}" if l.description else l.name for l in label_set.labels])

    async def label_batch(self, items: Sequence[TextItem], label_set: LabelSet) -> list[TeacherLabel]:
        started = time.perf_counter()
        vectors = self.encode([item.text for item in items])
        scores = vectors @ self._prototypes(label_set).T / self.temperature
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        latency = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        labels = []
        for item, row in zip(items, probs):
            best = int(row.argmax())
            distribution = {name: float(p) for name, p in zip(label_set.names, row)}
            raw = "cosine-softmax " + ", ".join(f"{k}={v:.3f}" for k, v in distribution.items())
            if row[best] < self.min_confidence:
                labels.append(TeacherLabel(item.example_id, None, probs=distribution, confidence=float(row[best]),
                                           abstain_reason=f"top similarity share {row[best]:.2f} below {self.min_confidence}",
                                           raw_response=raw, latency_ms=latency))
            else:
                labels.append(TeacherLabel(item.example_id, label_set.names[best], probs=distribution,
                                           confidence=float(row[best]), raw_response=raw, latency_ms=latency))
        return labels


class EmbeddingParams(Params):
    temperature: float = Field(0.05, gt=0, description="softmax temperature over cosine similarities")
    min_confidence: float = Field(0.0, ge=0, le=1, description="abstain below this top probability")


@TEACHERS.register("zero_shot_embedding", params=EmbeddingParams, simulated=False, llm=False, source="config",
                   description="offline zero-shot MiniLM: similarity of each text to each label's description; "
                               "a real model, but not an LLM")
def _zero_shot(name: str, params: EmbeddingParams, context: TeacherContext) -> EmbeddingTeacher:
    return EmbeddingTeacher(name, **params.model_dump(), encode=context.encode or embeddings.encode)
