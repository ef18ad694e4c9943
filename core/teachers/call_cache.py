"""The LLM call cache in the store: a finished API call is kept, so a rerun never pays for it again.

Answered calls wait in memory for a writer thread, which writes them as soon as `flush_every` are waiting or
`flush_seconds` after the first of them, whichever comes first: the event loop that awaits the API never waits
for the database, and a killed process (SIGKILL, a power cut) loses only the calls answered in the last
`flush_seconds`, which are then asked again, never twice recorded. `flush` (at the end of each batch, and when a
teacher gives up) writes what waits and waits for it. The cache also remembers submitted Message Batches until
they are collected, so a killed process does not submit them again."""
from __future__ import annotations

import threading

from core.store import Store


class StoreCallCache:
    def __init__(self, store: Store, flush_every: int = 8, flush_seconds: float = 0.5):
        self.store = store
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.pending: dict[str, dict] = {}
        self._changed = threading.Condition()
        # started by the first call that waits and ended when none does, so an idle cache holds no thread
        self._writer: threading.Thread | None = None
        self._put = 0  # calls put so far; `_written` of them are in the store
        self._written = 0
        self._flushing = 0  # callers waiting in `flush`: the writer writes at once rather than after a pause
        self._error: BaseException | None = None

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return self.store.cached_calls(keys)

    def put(self, key: str, record: dict) -> None:
        with self._changed:
            self.pending[key] = record
            self._put += 1
            if self._writer is None:
                self._start_writer()
            elif len(self.pending) >= self.flush_every:
                self._changed.notify_all()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._write_loop, name="call-cache-writer", daemon=True)
        self._writer.start()

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._flushing or len(self.pending) >= self.flush_every,
                                       timeout=self.flush_seconds)
                batch, self.pending, taken = self.pending, {}, self._put
                if not batch:
                    self._writer = None
                    self._changed.notify_all()
                    return
            try:
                self.store.write_calls(batch)
            except BaseException as exc:  # kept for `flush` to raise in the caller's thread
                with self._changed:
                    self.pending = {**batch, **self.pending}
                    self._error, self._writer = exc, None
                    self._changed.notify_all()
                return
            with self._changed:
                self._written = taken
                self._changed.notify_all()

    def flush(self) -> None:
        """Waits until every call put before this one is in the store (calls put meanwhile, by other batches in
        flight, need not wait for it); a failed write raises here."""
        with self._changed:
            wanted = self._put
            if self.pending and self._writer is None and self._error is None:
                self._start_writer()
            self._flushing += 1
            self._changed.notify_all()
            try:
                self._changed.wait_for(lambda: self._written >= wanted or self._error is not None
                                       or self._writer is None)
            finally:
                self._flushing -= 1
            error, self._error = self._error, None
        if error is not None:
            raise error

    def open_batches(self, provider: str) -> list[tuple[str, list[str]]]:
        return self.store.open_llm_batches(provider)

    def add_batch(self, provider: str, batch_id: str, keys: list[str]) -> None:
        self.store.add_llm_batch(provider, batch_id, keys)

    def end_batch(self, batch_id: str) -> None:
        self.store.end_llm_batch(batch_id)
