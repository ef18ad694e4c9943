"""Any OpenAI-compatible chat endpoint as a teacher (local servers such as Ollama, vLLM or llama.cpp, or a hosted
API), through the `openai` SDK, with the same cache, samples, limits, retries and cost as Claude. Answers are
constrained by a JSON schema (`response_format`), and everything else is recorded as invalid.

The key is read from the environment variable named by `api_key_env` (default OPENAI_API_KEY); local servers
that need none get a placeholder. Cost is zero unless `prices` (USD per million input and output tokens) is
given, since a local model costs nothing per token."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from pydantic import Field

from core.teachers.llm import TASK, CallCache, LLMParams, LLMTeacher, llm_arguments
from core.teachers.registry import TEACHERS, TeacherContext

if TYPE_CHECKING:
    import openai


class OpenAICompatibleTeacher(LLMTeacher["openai.AsyncOpenAI"]):
    kind = "openai_compatible"
    default_template = TASK + """Answer only with a JSON object with the fields label, confidence and reason. If no label fits,
or you cannot tell, use the label ABSTAIN and say why. Give your confidence that the label is correct, from 0 to 1."""

    def __init__(self, name: str, model: str, base_url: str, prices: tuple[float, float] | list[float] = (0.0, 0.0),
                 api_key_env: str = "OPENAI_API_KEY", cache: CallCache | None = None, **params):
        import openai

        self.status_error = openai.APIStatusError
        self.transient_errors = (openai.APITimeoutError, openai.APIConnectionError)
        price_in, price_out = prices
        self.key_env = api_key_env  # before the base class's outbound guard reads it
        super().__init__(name, model, prices=(price_in, price_out), base_url=base_url, cache=cache, **params)

    def _new_client(self) -> openai.AsyncOpenAI:
        import openai

        return openai.AsyncOpenAI(base_url=self.base_url, api_key=os.environ.get(self.key_env) or "not-needed",
                                  max_retries=0, timeout=self.timeout)

    async def _send(self, request: dict):
        return await self._connect().chat.completions.create(**request)

    def structured_request(self, system: str, user: str, tool: str, schema: dict) -> dict:
        request = {"model": self.model, "max_tokens": self.max_tokens,
                   "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                   "response_format": {"type": "json_schema", "json_schema": {"name": tool, "schema": schema}}}
        if self.temperature is not None:
            request["temperature"] = self.temperature
        return request

    def _structured_answer(self, completion) -> dict:
        if not completion.choices:
            return {"answer": None, "invalid": "no choices in the response"}
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            return {"answer": None, "invalid": "truncated answer (max_tokens)"}
        if getattr(choice.message, "refusal", None):
            return {"answer": None, "invalid": f"refusal: {choice.message.refusal[:120]!r}"}
        content = (choice.message.content or "").strip()
        try:
            answer = json.loads(content)
        except json.JSONDecodeError:
            return {"answer": None, "invalid": f"not JSON: {content[:120]!r}"}
        if not isinstance(answer, dict):
            return {"answer": None, "invalid": f"not a JSON object: {content[:120]!r}"}
        return {"answer": answer, "invalid": None}

    def _missing_fields(self, completion) -> str | None:
        return None if isinstance(getattr(completion, "choices", None), list) else "choices"

    def _usage(self, completion) -> tuple[int, int]:
        usage = completion.usage  # some local servers leave it out
        return (usage.prompt_tokens or 0, usage.completion_tokens or 0) if usage else (0, 0)


class OpenAICompatibleParams(LLMParams):
    model: str
    base_url: str = Field(description="the endpoint, for example http://localhost:11434/v1")
    # only names of LLM API keys: any other variable would be sent to the endpoint as a bearer token, and looser
    # patterns (*_KEY, *_TOKEN) match AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, AWS_SESSION_TOKEN
    api_key_env: str = Field("OPENAI_API_KEY", pattern=r"^[A-Z][A-Z0-9_]*_API_KEY$",
                             description="the environment variable holding the key, named like GROQ_API_KEY")
    prices: tuple[float, float] = Field((0.0, 0.0), description="USD per million input and output tokens")


@TEACHERS.register("openai_compatible", params=OpenAICompatibleParams, simulated=False, llm=True, source="config",
                   description="any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp or a hosted API), "
                               "answers constrained by a JSON schema")
def _openai_compatible(name: str, params: OpenAICompatibleParams, context: TeacherContext) -> OpenAICompatibleTeacher:
    return OpenAICompatibleTeacher(name, **llm_arguments(params), few_shot=context.few_shot, cache=context.cache)
