"""Claude as a teacher, through the `anthropic` SDK: forced tool use so every answer is one label from the set
(or an explicit abstain), and, for large runs, the Message Batches API (half the price, answers within a day).

The calls go out as several batches, cut by the API's limits (requests and bytes per batch), submitted and polled
concurrently. Each batch is recorded in the store as soon as it is submitted, so a process that dies while it is
pending finds it again on restart and collects it instead of asking again. The API key comes only from the environment
(ANTHROPIC_API_KEY; the dashboard copies it there from Streamlit secrets)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

from pydantic import Field

from core.errors import ConfigError, TeacherError
from core.teachers.llm import LABEL_TOOL, TASK, CallCache, LLMParams, LLMTeacher, MalformedAnswer, llm_arguments
from core.teachers.registry import TEACHERS, TeacherContext

if TYPE_CHECKING:
    import anthropic
    from anthropic.types.messages.batch_create_params import Request

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-sonnet-5-5"
# USD per million tokens (input, output), only for models whose list price we know; any other model needs
# `prices` in its config rather than a cost we would have to guess.
PRICES = {"claude-haiku-4-5": (1.0, 5.0), "claude-opus-4-1": (15.0, 75.0)}
BATCH_DISCOUNT = 0.5
# the API's documented limits per Message Batch: requests, and bytes of the request body (256 MB, counted as
# 256,000,000 so that either reading of "MB" is respected); the settings default to them and may only lower them
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 256_000_000


class BatchLedger(Protocol):
    """Where submitted batches are remembered across processes (the store, through StoreCallCache)."""

    def open_batches(self, provider: str) -> list[tuple[str, list[str]]]: ...

    def add_batch(self, provider: str, batch_id: str, keys: list[str]) -> None: ...

    def end_batch(self, batch_id: str) -> None: ...


@runtime_checkable
class BatchCallCache(CallCache, BatchLedger, Protocol):
    """A call cache that also remembers submitted batches, which the Message Batches path needs."""


class ClaudeTeacher(LLMTeacher["anthropic.AsyncAnthropic"]):
    kind = "claude"
    default_template = TASK + f"""Answer only by calling the tool `{LABEL_TOOL}`. If no label fits, or you cannot tell, use ABSTAIN and say why.
Give your confidence that the label is correct, from 0 to 1."""
    key_env = "ANTHROPIC_API_KEY"

    def __init__(self, name: str, model: str = DEFAULT_MODEL, prices: dict | None = None,
                 batch_threshold: int | None = None, batch_poll_seconds: float = 30.0,
                 batch_max_requests: int = MAX_BATCH_REQUESTS, batch_max_bytes: int = MAX_BATCH_BYTES,
                 batches_in_flight: int = 4, cache: CallCache | None = None, **params):
        """`batch_threshold`: send this many or more uncached calls as Message Batches (needs the store's cache,
        which remembers each batch); None asks every call directly. The calls are cut into batches of at most
        `batch_max_requests` requests and `batch_max_bytes` bytes; up to `batches_in_flight` are pending at once,
        each polled every `batch_poll_seconds`."""
        import anthropic

        self.status_error = anthropic.APIStatusError
        self.transient_errors = (anthropic.APITimeoutError, anthropic.APIConnectionError)
        known = {**PRICES, **{m: tuple(p) for m, p in (prices or {}).items()}}
        if model not in known:
            raise ConfigError(f"no price known for model {model!r}: add params.prices = {{ \"{model}\" = "
                             "[input_usd_per_million_tokens, output_usd_per_million_tokens] } to the teacher's config")
        super().__init__(name, model, prices=known[model], cache=cache, **params)
        # `cache` again, typed for the batch path; set exactly when `batch_threshold` is
        self.batch_cache: BatchCallCache | None = None
        if batch_threshold is not None:
            if not isinstance(cache, BatchCallCache):
                raise ConfigError("the Message Batches path needs the call cache, which remembers pending batches")
            self.batch_cache = cache
        self.batch_threshold = batch_threshold
        self.batch_poll_seconds = batch_poll_seconds
        self.batch_max_requests = batch_max_requests
        self.batch_max_bytes = batch_max_bytes
        self.batches_in_flight = batches_in_flight
        self.batches_submitted = 0
        if batch_threshold is not None:
            # the labeling loop keeps two label batches in flight: each brings half the batch slots' worth of
            # calls, so together they fill every slot and no more requests wait in memory (about 3 KB each)
            self.labels_per_batch = max(1, batches_in_flight * batch_max_requests // (2 * self.k))

    def _new_client(self) -> anthropic.AsyncAnthropic:
        import anthropic

        if not (os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN")):
            raise TeacherError(f"teacher {self.name!r} (claude): no API key; set ANTHROPIC_API_KEY in the environment "
                               "(or in .streamlit/secrets.toml for the dashboard)")
        return anthropic.AsyncAnthropic(base_url=self.base_url, max_retries=0, timeout=self.timeout)

    async def _send(self, request: dict):
        return await self._connect().messages.create(**request)

    def structured_request(self, system: str, user: str, tool: str, schema: dict) -> dict:
        request = {"model": self.model, "max_tokens": self.max_tokens, "system": system,
                   "tools": [{"name": tool, "description": "Record the answer.", "input_schema": schema}],
                   "tool_choice": {"type": "tool", "name": tool}, "messages": [{"role": "user", "content": user}]}
        if self.temperature is not None:
            # SDK 1.x dropped the typed argument and newer models reject non-default values
            request["extra_body"] = {"temperature": self.temperature}
        return request

    def _structured_answer(self, message) -> dict:
        if message.stop_reason == "max_tokens":
            return {"answer": None, "invalid": "truncated answer (max_tokens)"}
        # tool_choice forces the one tool of the request, so any tool call is a call of it
        calls = [b for b in message.content if b.type == "tool_use"]
        if not calls:
            said = " ".join(getattr(b, "text", "") for b in message.content).strip()
            kind = "refusal" if message.stop_reason == "refusal" else "no tool call"
            return {"answer": None, "invalid": f"{kind}: {said[:120]!r}"}
        answer = calls[0].input
        if not isinstance(answer, dict):
            return {"answer": None, "invalid": f"tool input is not an object: {str(answer)[:120]!r}"}
        return {"answer": answer, "invalid": None}

    def _usage(self, message) -> tuple[int, int]:
        return message.usage.input_tokens, message.usage.output_tokens

    def _missing_fields(self, message) -> str | None:
        if not isinstance(getattr(message, "content", None), list):
            return "content"
        usage = getattr(message, "usage", None)
        return None if usage is not None and isinstance(getattr(usage, "input_tokens", None), int) else "usage"

    def estimate(self, texts, label_set, output_tokens: int = 30) -> dict:
        estimate = super().estimate(texts, label_set, output_tokens)
        batched = self.batch_threshold is not None and estimate["calls"] >= self.batch_threshold
        return {**estimate, "message_batch": batched,
                "cost_usd": estimate["cost_usd"] * (BATCH_DISCOUNT if batched else 1.0)}

    # -- the Message Batches path ---------------------------------------------------------------------

    def _connect(self) -> anthropic.AsyncAnthropic:
        if self.client is None:  # a new event loop: the batch slots and collections of the last one are gone
            self._batch_slots = asyncio.Semaphore(self.batches_in_flight)
            self._collecting: dict[str, asyncio.Future[dict[str, dict]]] = {}
        return super()._connect()

    async def _answer(self, todo: dict[str, dict]) -> dict[str, dict]:
        cache = self.batch_cache
        if cache is None or self.batch_threshold is None or len(todo) < self.batch_threshold:
            return await super()._answer(todo)
        self._connect()
        # batches submitted before (by a process that was killed) are collected, never submitted again
        earlier = [(batch_id, keys) for batch_id, keys in cache.open_batches(self.kind) if not todo.keys().isdisjoint(keys)]
        submitted = {key for _, keys in earlier for key in keys}
        rest = {key: request for key, request in todo.items() if key not in submitted}
        chunks = split_batch(self.name, {key: batch_entry(key, request) for key, request in rest.items()},
                             self.batch_max_requests, self.batch_max_bytes)
        if earlier:
            log.info("teacher %r: collecting %d Message Batch(es) submitted before (%d calls), submitting %d more",
                     self.name, len(earlier), len(submitted), len(chunks))
        tasks = [self._collection(cache, batch_id) for batch_id, _ in earlier]
        tasks += [asyncio.ensure_future(self._submit(cache, chunk)) for chunk in chunks]
        try:
            answered = await asyncio.gather(*tasks)
        except BaseException:
            # a batch already submitted stays in the store and is collected by the next run
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        records = {key: record for batch in answered for key, record in batch.items() if key in todo}
        # requests the batch could not answer (errored, expired, canceled, malformed) are asked directly
        return {**records, **await super()._answer({k: r for k, r in todo.items() if k not in records})}

    async def _submit(self, cache: BatchCallCache, entries: dict[str, dict]) -> dict[str, dict]:
        """Submits one Message Batch, once one of `batches_in_flight` slots is free, and collects it."""
        async with self._batch_slots:
            client = self._connect()
            batch = await self._retrying(
                lambda: client.messages.batches.create(requests=cast("list[Request]", list(entries.values()))))
            # recorded before anything else is awaited: a process killed from here on collects it on restart
            cache.add_batch(self.kind, batch.id, list(entries))
            self.batches_submitted += 1
            log.info("teacher %r: submitted Message Batch %s (%d requests)", self.name, batch.id, len(entries))
            return await self._collection(cache, batch.id)

    def _collection(self, cache: BatchCallCache, batch_id: str) -> asyncio.Future[dict[str, dict]]:
        """The one collection of `batch_id` in this event loop: two label batches in flight that both need an
        earlier batch read its results once."""
        if batch_id not in self._collecting:
            collecting = self._collecting[batch_id] = asyncio.ensure_future(self._collect(cache, batch_id))
            collecting.add_done_callback(lambda _: self._collecting.pop(batch_id, None))
        return self._collecting[batch_id]

    async def _collect(self, cache: BatchCallCache, batch_id: str) -> dict[str, dict]:
        """Waits for the batch to end, caches every succeeded answer (at the batch price), marks it ended."""
        import anthropic

        client = self._connect()

        async def status() -> str | None:
            try:
                return (await client.messages.batches.retrieve(batch_id)).processing_status
            except anthropic.NotFoundError:
                return None

        started = time.perf_counter()
        while (processing := await self._retrying(status)) not in ("ended", None):
            await asyncio.sleep(self.batch_poll_seconds)
        if processing is None:
            log.warning("teacher %r: the API does not know Message Batch %s (deleted, or submitted with another "
                        "key); its calls are asked directly", self.name, batch_id)
            cache.end_batch(batch_id)
            return {}
        latency = (time.perf_counter() - started) * 1000
        records: dict[str, dict] = {}
        try:
            async for entry in await self._retrying(lambda: client.messages.batches.results(batch_id)):
                if entry.result.type != "succeeded":
                    continue
                try:
                    message = self._well_formed(entry.result.message)
                except MalformedAnswer as exc:  # asked directly, with the entries the batch could not answer
                    log.warning("teacher %r: batch %s answered one call with %s; it is asked directly",
                                self.name, batch_id, exc)
                    continue
                record = self.record(message, latency)
                record["cost_usd"] *= BATCH_DISCOUNT
                records[entry.custom_id] = record
                cache.put(entry.custom_id, record)
        except json.JSONDecodeError as exc:  # the answers read so far are kept; the rest are asked directly
            log.warning("teacher %r: batch %s's results stop being JSON after %d answers (%s); the calls not read "
                        "are asked directly", self.name, batch_id, len(records), exc.msg)
        await asyncio.to_thread(cache.flush)
        cache.end_batch(batch_id)
        return records


def batch_entry(key: str, request: dict) -> dict:
    """One request of a Message Batch: the cache key as its custom id, and the keyword arguments of
    messages.create (structured_request builds exactly those, only as a plain dict with `extra_body`)."""
    params = {name: value for name, value in request.items() if name != "extra_body"}
    return {"custom_id": key, "params": {**params, **request.get("extra_body", {})}}


# the body is {"requests": [entry, entry, ...]}: 16 bytes around the entries and 2 between each two
BODY_BYTES, SEPARATOR_BYTES = len('{"requests": []}'), len(", ")


def split_batch(teacher: str, entries: dict[str, dict], max_requests: int, max_bytes: int) -> list[dict[str, dict]]:
    """`entries` (by key) in order, cut into Message Batches of at most `max_requests` entries and `max_bytes`
    bytes of request body. Sizes are of the entries as json.dumps writes them (ASCII, with spaces): never less
    than the SDK sends, so a batch is never over the API's limit however the SDK encodes it."""
    batches: list[dict[str, dict]] = []
    current: dict[str, dict] = {}
    size = BODY_BYTES
    for key, entry in entries.items():
        entry_bytes = len(json.dumps(entry)) + SEPARATOR_BYTES
        if BODY_BYTES + entry_bytes > max_bytes:
            raise TeacherError(f"teacher {teacher!r} (claude): one request is {entry_bytes:,} bytes, more than a "
                               f"Message Batch may hold ({max_bytes:,} bytes, batch_max_bytes); shorten the text or "
                               "the prompt, or raise batch_max_bytes (at most the API's 256 MB)")
        if current and (len(current) == max_requests or size + entry_bytes > max_bytes):
            batches.append(current)
            current, size = {}, BODY_BYTES
        current[key] = entry
        size += entry_bytes
    return [*batches, current] if current else batches

class ClaudeParams(LLMParams):
    model: str = DEFAULT_MODEL
    prices: dict[str, tuple[float, float]] | None = Field(
        None, description="USD per million input and output tokens by model, for a model without a known price")
    base_url: str | None = None
    batch_threshold: int | None = Field(None, ge=1, description="this many uncached calls or more go to Message Batches")
    batch_poll_seconds: float = Field(30.0, gt=0)
    batch_max_requests: int = Field(MAX_BATCH_REQUESTS, ge=1, le=MAX_BATCH_REQUESTS,
                                    description="requests per Message Batch (the API's limit is 100,000)")
    batch_max_bytes: int = Field(MAX_BATCH_BYTES, ge=1024, le=MAX_BATCH_BYTES,
                                 description="bytes of request body per Message Batch (the API's limit is 256 MB)")
    batches_in_flight: int = Field(4, ge=1, description="Message Batches pending at once")


@TEACHERS.register("claude", params=ClaudeParams, simulated=False, llm=True, source="config",
                   description="Claude through the anthropic SDK: forced tool use, cached and costed calls, "
                               "k-sample self-consistency, Message Batches at half price")
def _claude(name: str, params: ClaudeParams, context: TeacherContext) -> ClaudeTeacher:
    return ClaudeTeacher(name, **llm_arguments(params), few_shot=context.few_shot, cache=context.cache)
