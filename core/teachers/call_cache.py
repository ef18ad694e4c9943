"""The LLM call cache in the store: a finished API call is kept, so a rerun never pays for it again.

Answered calls wait in memory for a writer thread, which writes them as soon as `flush_every` are waiting or
`flush_seconds` after the first of them, whichever comes first: the event loop that awaits the API never waits
for the database, and the database is free between writes, so the dashboard is never locked out.

Each answer is also appended, as it arrives, to a journal beside the database (`NAME.duckdb.calls-PID-N.journal`,
locked by its process while it lives) and the journal is emptied once everything in it is in the store. A
process killed with SIGKILL leaves its journal; the next cache opened on that database merges every journal
whose process is gone into the store and removes it. So a kill re-asks only the calls that were in flight,
never twice recorded. `flush` (at the end of each batch, and when a
teacher gives up) writes what waits and waits for it. The cache also remembers submitted Message Batches until
they are collected, so a killed process does not submit them again."""
from __future__ import annotations

import atexit
import fcntl
import json
import os
import threading
from itertools import count
from pathlib import Path
from typing import TextIO

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
        merge_orphan_journals(store)
        self._journal: TextIO | None = None  # opened on the first answer

    def _journal_entry(self, key: str, record: dict) -> None:
        """Appends one answer to this process's journal (one write: a kill leaves whole lines, or a torn last one)."""
        if self._journal is None:
            path = journal_path(self.store.path, f"{os.getpid()}-{next(_JOURNALS)}")
            self._journal = open(path, "a", encoding="utf-8")
            fcntl.flock(self._journal, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held while this process lives
            atexit.register(_remove_if_empty, path, self._journal)
        self._journal.write(json.dumps([key, record]) + "\n")
        self._journal.flush()  # to the operating system, which keeps it when the process is killed

    def _empty_journal(self) -> None:
        """Everything put so far is in the store: the journal holds nothing the store lacks."""
        if self._journal is not None:
            self._journal.truncate(0)
            self._journal.seek(0)

    def get_many(self, keys: list[str]) -> dict[str, dict]:
        return self.store.cached_calls(keys)

    def put(self, key: str, record: dict) -> None:
        with self._changed:
            self._journal_entry(key, record)
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
                if self._written == self._put and not self.pending:
                    self._empty_journal()
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


def _remove_if_empty(path: Path, handle) -> None:
    """At a normal exit: an emptied journal is removed; one still holding answers is left for the next merge."""
    if handle.tell() == 0:
        path.unlink(missing_ok=True)
    handle.close()


_JOURNALS = count()  # one journal per cache: two caches of one process on one database must not share a lock


def journal_path(db: Path, owner: str) -> Path:
    return Path(db).with_name(f"{Path(db).name}.calls-{owner}.journal")


def merge_orphan_journals(store: Store) -> int:
    """Writes into the store the answers in journals whose process is gone (killed before its writer wrote them)
    and removes those journals; returns how many answers they held. A torn last line (the kill came mid-write)
    is a call that was still in flight: it is asked again."""
    merged = 0
    for path in sorted(Path(store.path).parent.glob(f"{Path(store.path).name}.calls-*.journal")):
        try:
            handle = open(path, "r+", encoding="utf-8")
        except OSError:
            continue  # removed meanwhile by another process merging it
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its process is alive and writes it
            records = {}
            for line in handle:
                try:
                    key, record = json.loads(line)
                except ValueError:
                    break
                records[key] = record
            if records:
                store.write_calls(records)
            path.unlink(missing_ok=True)
            merged += len(records)
    return merged
