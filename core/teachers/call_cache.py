"""The LLM call cache in the store: a finished API call is kept, so a rerun never pays for it again. Calls are
buffered and written every `flush_every` calls by one writer thread, so the event loop that awaits the API never
waits for the database; `flush` (at the end of each batch) waits for every write. A killed process loses at most
the unwritten calls, which are then asked again, never twice recorded. The cache also remembers submitted
Message Batches until they are collected, so a killed process does not submit them again."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from core.store import Store


class StoreCallCache:
    def __init__(self, store: Store, flush_every: int = 64):
        self.store = store
        self.flush_every = flush_every
        self.pending: dict[str, dict] = {}
        self._writer = ThreadPoolExecutor(max_workers=1)  # one writer keeps the writes in order
        self._writes: list[Future] = []

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return self.store.cached_calls(keys)

    def put(self, key: str, record: dict) -> None:
        self.pending[key] = record
        if len(self.pending) >= self.flush_every:
            self._write_pending()

    def _write_pending(self) -> None:
        pending, self.pending = self.pending, {}
        self._writes.append(self._writer.submit(self.store.write_calls, pending))

    def flush(self) -> None:
        """Writes what is buffered and waits for every write; a failed write raises here."""
        if self.pending:
            self._write_pending()
        writes, self._writes = self._writes, []
        for write in writes:
            write.result()

    def open_batches(self, provider: str) -> list[tuple[str, list[str]]]:
        return self.store.open_llm_batches(provider)

    def add_batch(self, provider: str, batch_id: str, keys: list[str]) -> None:
        self.store.add_llm_batch(provider, batch_id, keys)

    def end_batch(self, batch_id: str) -> None:
        self.store.end_llm_batch(batch_id)
