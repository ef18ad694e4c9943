"""Labeling at scale through Message Batches, with the real `anthropic` client against the local server
(tests/fake_llm_api.py): calls cut by the API's limits (requests and bytes per batch, set small here), several
batches pending at once, and a run killed with batches pending that collects them instead of submitting again."""
import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from core.datasets import demo_corpus
from core.errors import TeacherError
from core.store import Store
from core.teachers import ClaudeTeacher, TextItem
from core.teachers.call_cache import StoreCallCache
from core.teachers.labeling import label_missing

from fake_llm_api import FakeLLMAPI
from test_llm_teachers import counts, kill_when

LABELS = demo_corpus.LABEL_SET
# texts of one length, so every batch entry has the same size
TEXTS = [f"billing question {i:02d}" for i in range(23)]
BATCHED = {"model": "claude-haiku-4-5", "batch_threshold": 1, "batch_poll_seconds": 0.01, "backoff_seconds": 0.01,
           "timeout": 10.0}


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-batches")


@pytest.fixture
def server():
    with FakeLLMAPI() as fake:
        yield fake


def label(teacher: ClaudeTeacher, texts: list[str]):
    async def run():
        try:
            return await teacher.label_batch([TextItem(str(i), text) for i, text in enumerate(texts)], LABELS)
        finally:
            await teacher.close()

    return asyncio.run(run())


def batch_sizes(server: FakeLLMAPI) -> list[int]:
    """The requests per batch the server received, largest first: batches are submitted concurrently, so the
    order they arrive in is not fixed (a 3-request batch arrived fourth once in the full suite)."""
    return sorted((len(batch["requests"]) for batch in server.batches.values()), reverse=True)


def most_pending(server: FakeLLMAPI) -> int:
    """The most batches submitted and not yet read back at any moment, from the server's own record."""
    pending = most = 0
    for event, _, _ in server.batch_events:
        pending += 1 if event == "submitted" else -1
        most = max(most, pending)
    return most


def hold_until_submitted(server: FakeLLMAPI, batches: int) -> None:
    """Holds every batch until `batches` are submitted (or 20 s passed), so that a run which waits for one batch
    before it submits the next is seen as one."""
    def release():
        deadline = time.monotonic() + 20
        while len(server.batches) < batches and time.monotonic() < deadline:
            time.sleep(0.01)
        server.hold_from = None

    server.hold_from = 0
    threading.Thread(target=release, daemon=True).start()


def test_a_small_request_limit_splits_23_calls_into_5_batches_pending_together(server, db):
    teacher = ClaudeTeacher("claude", base_url=server.url, batch_max_requests=5, batches_in_flight=8,
                            cache=StoreCallCache(db), **BATCHED)
    hold_until_submitted(server, 5)
    labels = label(teacher, TEXTS)
    assert [l.label for l in labels] == ["billing"] * 23
    assert batch_sizes(server) == [5, 5, 5, 5, 3] and teacher.batches_submitted == 5
    assert most_pending(server) == 5  # all submitted before the first was read back
    assert server.requests == [] and sorted(server.served.values()) == [1] * 23  # none asked twice, none directly
    assert db.open_llm_batches("claude") == [] and counts(db)["cached"] == 23


def test_batches_in_flight_bounds_the_batches_pending_at_once(server, db):
    teacher = ClaudeTeacher("claude", base_url=server.url, batch_max_requests=5, batches_in_flight=2,
                            cache=StoreCallCache(db), **BATCHED)
    hold_until_submitted(server, 2)
    assert [l.label for l in label(teacher, TEXTS)] == ["billing"] * 23
    assert batch_sizes(server) == [5, 5, 5, 5, 3] and most_pending(server) == 2
    assert sorted(server.served.values()) == [1] * 23


def test_a_small_byte_limit_splits_by_the_size_of_the_requests(server, db):
    teacher = ClaudeTeacher("claude", base_url=server.url, cache=StoreCallCache(db), **BATCHED)
    request = teacher.labeling_request(TEXTS[0], LABELS)
    entry_bytes = len(json.dumps({"custom_id": teacher.key(request, 0), "params": request}))
    # the body {"requests": [e, e, ...]} holds 4 entries and half of a fifth
    limit = len('{"requests": []}') + 4 * (entry_bytes + 2) + entry_bytes // 2
    teacher.batch_max_bytes = limit
    assert [l.label for l in label(teacher, TEXTS)] == ["billing"] * 23
    assert batch_sizes(server) == [4, 4, 4, 4, 4, 3]
    sent = [size for event, _, size in server.batch_events if event == "submitted"]
    assert len(sent) == 6 and max(sent) <= limit  # the bodies as the SDK sent them
    assert sorted(server.served.values()) == [1] * 23


def test_a_request_larger_than_a_batch_may_hold_is_said_and_nothing_is_submitted(server, db):
    teacher = ClaudeTeacher("claude", base_url=server.url, batch_max_bytes=2048, cache=StoreCallCache(db), **BATCHED)
    with pytest.raises(TeacherError, match=r"one request is [\d,]+ bytes.*\(2,048 bytes, batch_max_bytes\)"):
        label(teacher, ["billing " * 300])
    assert server.batches == {} and server.requests == []


@pytest.mark.slow
def test_a_run_killed_with_batches_pending_collects_the_same_batches_and_asks_nothing_twice(small_dataset, db):
    settings = {**BATCHED, "batch_max_requests": 5, "batches_in_flight": 2, "batch_poll_seconds": 0.05}
    with FakeLLMAPI() as server:
        # label batches of 5 texts, two in flight: batches 0 and 1 are answered, 2 and 3 stay pending
        server.hold_from = 2
        child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
            from core.store import Store
            from core.teachers import ClaudeTeacher
            from core.teachers.call_cache import StoreCallCache
            from core.teachers.labeling import label_missing
            store = Store({str(db.path)!r})
            dataset = store.dataset("small")
            teacher = ClaudeTeacher("claude", base_url={server.url!r}, **{settings!r}, cache=StoreCallCache(store))
            label_missing(store, dataset.dataset_id, teacher, dataset.label_set, store.examples(dataset.dataset_id).head(23))
        """)], cwd=Path(__file__).resolve().parent.parent, env={**os.environ})
        kill_when(child, db, "SELECT count(*) FROM llm_batches", 4)
        with Store(db.path, read_only=True, lock_timeout=5).connect() as con:
            pending = sorted(con.execute("SELECT batch_id FROM llm_batches WHERE ended_at IS NULL").fetchall())
        assert pending == [("msgbatch_0002",), ("msgbatch_0003",)] and counts(db)["cached"] == 10
        server.hold_from = None

        store = Store(db.path)
        resumed = ClaudeTeacher("claude", base_url=server.url, **settings, cache=StoreCallCache(store))
        label_missing(store, small_dataset.dataset_id, resumed, LABELS, store.examples(small_dataset.dataset_id).head(23))
        assert counts(db) == {"labels": 23, "distinct": 23, "cached": 23}
        # the two pending batches were collected, only the 3 calls never submitted went in a new one
        assert batch_sizes(server) == [5, 5, 5, 5, 3] and resumed.batches_submitted == 1 and resumed.api_calls == 0
        read_back = [batch_id for event, batch_id, _ in server.batch_events if event == "results"]
        assert sorted(read_back) == sorted(server.batches)  # each batch read once
        assert sorted(server.served.values()) == [1] * 23 and server.requests == []
        assert store.open_llm_batches("claude") == []


def test_a_failed_submission_or_status_request_is_retried_and_nothing_is_asked_twice(server, db):
    server.batch_faults = ["529", "500", "429"]  # the first submission twice, then a status request
    teacher = ClaudeTeacher("claude", base_url=server.url, batch_max_requests=5, cache=StoreCallCache(db), **BATCHED)
    assert [l.label for l in label(teacher, TEXTS)] == ["billing"] * 23
    # the failed submissions made no batch; the retried ones went out in whatever order they were retried
    assert server.batch_faults == [] and sorted(batch_sizes(server)) == [3, 5, 5, 5, 5]
    assert sorted(server.served.values()) == [1] * 23 and server.requests == []


def test_an_earlier_batch_the_api_does_not_know_is_said_and_its_calls_are_asked(server, db, caplog):
    teacher = ClaudeTeacher("claude", base_url=server.url, cache=StoreCallCache(db), **BATCHED)
    keys = [teacher.key(teacher.labeling_request(text, LABELS), 0) for text in TEXTS[:3]]
    db.add_llm_batch("claude", "msgbatch_deleted", keys)
    assert [l.label for l in label(teacher, TEXTS[:3])] == ["billing"] * 3
    assert "does not know Message Batch msgbatch_deleted" in caplog.text
    assert len(server.requests) == 3 and server.batches == {} and db.open_llm_batches("claude") == []
