"""The LLM call cache in the store: a finished API call is kept, so a rerun never pays for it again. Calls are
buffered and written every `flush_every` calls (and at the end of each batch): a killed process loses at most
that many unwritten calls, which are then asked again, never twice recorded."""
from __future__ import annotations

from .store import Store


class StoreCallCache:
    def __init__(self, store: Store, flush_every: int = 64):
        self.store = store
        self.flush_every = flush_every
        self.pending: dict[str, dict] = {}

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return self.store.cached_calls(keys)

    def put(self, key: str, record: dict) -> None:
        self.pending[key] = record
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            pending, self.pending = self.pending, {}
            self.store.write_calls(pending)
