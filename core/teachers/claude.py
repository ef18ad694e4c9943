"""Claude as a teacher, through the `anthropic` SDK: forced tool use so every answer is one label from the set
(or an explicit abstain), and, for large runs, the Message Batches API (half the price, answers within a day).

A batch is recorded in the store as soon as it is submitted, so a process that dies while it is pending finds
it again on restart and collects it instead of asking again. The API key comes only from the environment
(ANTHROPIC_API_KEY; the dashboard copies it there from Streamlit secrets)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import TYPE_CHECKING, Protocol, cast, runtime_checkable

import anthropic
from pydantic import Field

from core.errors import ConfigError, TeacherError
from core.teachers.llm import LABEL_TOOL, TASK, CallCache, LLMParams, LLMTeacher, MalformedAnswer, llm_arguments
from core.teachers.registry import TEACHERS, TeacherContext

if TYPE_CHECKING:
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

log = logging.getLogger(__name__)

DEFAULT_MODEL = "claude-sonnet-5-5"
# USD per million tokens (input, output), only for models whose list price we know; any other model needs
# `prices` in its config rather than a cost we would have to guess.
PRICES = {"claude-haiku-4-5": (1.0, 5.0), "claude-opus-4-1": (15.0, 75.0)}
BATCH_DISCOUNT = 0.5
MAX_BATCH_REQUESTS = 100_000  # the API's limit per batch


class BatchLedger(Protocol):
    """Where submitted batches are remembered across processes (the store, through StoreCallCache)."""

    def open_batches(self, provider: str) -> list[tuple[str, list[str]]]: ...

    def add_batch(self, provider: str, batch_id: str, keys: list[str]) -> None: ...

    def end_batch(self, batch_id: str) -> None: ...


@runtime_checkable
class BatchCallCache(CallCache, BatchLedger, Protocol):
    """A call cache that also remembers submitted batches, which the Message Batches path needs."""


class ClaudeTeacher(LLMTeacher[anthropic.AsyncAnthropic]):
    kind = "claude"
    default_template = TASK + f"""Answer only by calling the tool `{LABEL_TOOL}`. If no label fits, or you cannot tell, use ABSTAIN and say why.
Give your confidence that the label is correct, from 0 to 1."""
    status_error = anthropic.APIStatusError
    transient_errors = (anthropic.APITimeoutError, anthropic.APIConnectionError)
    key_env = "ANTHROPIC_API_KEY"

    def __init__(self, name: str, model: str = DEFAULT_MODEL, prices: dict | None = None,
                 batch_threshold: int | None = None, batch_poll_seconds: float = 30.0,
                 cache: CallCache | None = None, **params):
        """`batch_threshold`: send this many or more uncached calls as one Message Batch (needs the store's
        cache, which remembers the batch); None asks every call directly."""
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
        self.batches_submitted = 0
        if batch_threshold is not None:  # one Message Batch per run is the point: hand over everything at once
            self.labels_per_batch = MAX_BATCH_REQUESTS // self.k

    def _new_client(self) -> anthropic.AsyncAnthropic:
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

    async def _answer(self, todo: dict[str, dict]) -> dict[str, dict]:
        cache = self.batch_cache
        if cache is None or self.batch_threshold is None or len(todo) < self.batch_threshold:
            return await super()._answer(todo)
        client = self._connect()
        records = await self._collect_open_batches(cache, set(todo))
        rest = [key for key in todo if key not in records]
        for start in range(0, len(rest), MAX_BATCH_REQUESTS):
            chunk = rest[start:start + MAX_BATCH_REQUESTS]
            batch = await client.messages.batches.create(
                requests=[{"custom_id": key, "params": _batch_params(todo[key])} for key in chunk])
            cache.add_batch(self.kind, batch.id, chunk)
            self.batches_submitted += 1
            records.update(await self._collect(cache, batch.id))
        # requests the batch could not answer (errored, expired, canceled) are asked directly
        return {**records, **await super()._answer({k: r for k, r in todo.items() if k not in records})}

    async def _collect_open_batches(self, cache: BatchCallCache, wanted: set[str]) -> dict[str, dict]:
        records: dict[str, dict] = {}
        for batch_id, keys in cache.open_batches(self.kind):
            if wanted.intersection(keys):
                records.update(await self._collect(cache, batch_id))
        return records

    async def _collect(self, cache: BatchCallCache, batch_id: str) -> dict[str, dict]:
        """Waits for the batch to end, caches every succeeded answer (at the batch price), marks it ended."""
        client = self._connect()
        started = time.perf_counter()
        while (await client.messages.batches.retrieve(batch_id)).processing_status != "ended":
            await asyncio.sleep(self.batch_poll_seconds)
        latency = (time.perf_counter() - started) * 1000
        records: dict[str, dict] = {}
        try:
            async for entry in await client.messages.batches.results(batch_id):
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
        cache.flush()
        cache.end_batch(batch_id)
        return records


def _batch_params(request: dict) -> MessageCreateParamsNonStreaming:
    params = {key: value for key, value in request.items() if key != "extra_body"}
    # structured_request builds exactly the keyword arguments of messages.create, only as a plain dict
    return cast("MessageCreateParamsNonStreaming", {**params, **request.get("extra_body", {})})


class ClaudeParams(LLMParams):
    model: str = DEFAULT_MODEL
    prices: dict[str, tuple[float, float]] | None = Field(
        None, description="USD per million input and output tokens by model, for a model without a known price")
    base_url: str | None = None
    batch_threshold: int | None = Field(None, ge=1, description="this many uncached calls or more go to a Message Batch")
    batch_poll_seconds: float = Field(30.0, gt=0)


@TEACHERS.register("claude", params=ClaudeParams, simulated=False, llm=True, source="config",
                   description="Claude through the anthropic SDK: forced tool use, cached and costed calls, "
                               "k-sample self-consistency, Message Batches at half price")
def _claude(name: str, params: ClaudeParams, context: TeacherContext) -> ClaudeTeacher:
    return ClaudeTeacher(name, **llm_arguments(params), few_shot=context.few_shot, cache=context.cache)
