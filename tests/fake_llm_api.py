"""A local HTTP server speaking the Anthropic Messages and Message Batches endpoints and the OpenAI chat
completions endpoint closely enough for the real `anthropic` and `openai` clients (`base_url=server.url`, and
`server.url + "/v1"` for OpenAI), with injectable faults. Used by the tests and by bench/claude_teacher.py.

It answers the structured request it is sent (a forced tool call, or a JSON schema response format): a label
is the first label name that occurs in the text (else the first label), at confidence 0.9; any other field is
filled from the schema with words of the prompt, so multi-step callers (taxonomy, judges) get answers that
depend on what they sent. `faults` is a list consumed one per answer: 429 (retry-after 0; 429_wait: 30 s; 429_hour:
3600 s; 429_date: an HTTP date a second ahead), 400, 401, 500, 529, reset
(connection dropped), timeout (no answer in time), malformed (an answer without its label), outside (a label
not in the set), refusal, truncated (max_tokens), not_json (OpenAI: free text), and bodies that are not an answer at all, each with HTTP
200: body_not_json (a cut-off JSON body), html (a gateway's HTML page), empty_object (`{}`). In a Message Batch, a 500
fault makes that entry `errored`, empty_object a `succeeded` entry with an empty message, body_not_json a line cut
off mid-JSON. Batches end after `batch_polls` retrieve calls, except those numbered `hold_from` or later (0 holds
every batch) while it is set. `batch_faults` is consumed one per batch submission or status request: an HTTP status
(429, 500, 529) answered instead. `batch_events` lists ("submitted", id, body bytes) and ("results", id, 0) in order."""
from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = re.compile(r"<text>(.*)</text>", re.S)
WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")


def fill(schema: dict, prompt: str, name: str = ""):
    """An answer of `schema` built from the prompt's words."""
    kind = schema.get("type")
    if "enum" in schema:
        found = TEXT.search(prompt)
        text = (found.group(1) if found else prompt).lower()
        return next((v for v in schema["enum"] if v.lower() in text), schema["enum"][0])
    if kind == "object":
        return {key: fill(sub, prompt, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        words = list(dict.fromkeys(w.lower() for w in WORD.findall(prompt)))[-3:] or ["topic"]
        return [fill(schema["items"], word, name) for word in words]
    if kind in ("number", "integer"):
        return 0.9
    if kind == "boolean":
        return "false" in prompt.lower() or "never" in prompt.lower()
    words = WORD.findall(prompt)
    return words[-1].lower() if name == "name" and words else " ".join(words[-8:]) or "text"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops connections when a client opens 32 at once

    def handle_error(self, request, client_address):
        pass  # a client that hung up before its answer (a cancelled call) is the client's business, not an error here


class FakeLLMAPI:
    def __init__(self, latency: float = 0.0, timeout_sleep: float = 3.0, batch_polls: int = 2):
        self.latency = latency
        self.timeout_sleep = timeout_sleep
        self.batch_polls = batch_polls
        self.hold_from: int | None = None
        self.batch_events: list[tuple[str, str, int]] = []
        self.batch_faults: list[str] = []
        self.faults: list[str] = []
        self.requests: list[dict] = []  # direct calls (messages, chat completions)
        self.batches: dict[str, dict] = {}
        self.served = Counter()  # text -> answers actually delivered, directly or in a batch
        self.lock = threading.Lock()
        self.server = Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    def _served(self, prompt: str) -> None:
        found = TEXT.search(prompt)
        with self.lock:
            self.served[found.group(1) if found else prompt] += 1

    def message(self, request: dict, fault: str | None) -> dict:
        tool = request["tools"][0]
        prompt = request["messages"][0]["content"]
        answer = fill(tool["input_schema"], prompt)
        if fault == "malformed":
            answer.pop("label", None)
        elif fault == "outside":
            answer["label"] = "something else"
        content, stop = [{"type": "tool_use", "id": "toolu_fake", "name": tool["name"], "input": answer}], "tool_use"
        if fault == "refusal":
            content, stop = [{"type": "text", "text": "I can't help with that."}], "refusal"
        elif fault == "truncated":
            content, stop = [{"type": "text", "text": "The label is"}], "max_tokens"
        self._served(prompt)
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": request["model"], "content": content,
                "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": 100 + len(prompt) // 4, "output_tokens": 20}}

    def completion(self, request: dict, fault: str | None) -> dict:
        prompt = request["messages"][-1]["content"]
        answer = fill(request["response_format"]["json_schema"]["schema"], prompt)
        if fault == "malformed":
            answer.pop("label", None)
        elif fault == "outside":
            answer["label"] = "something else"
        message, finish = {"role": "assistant", "content": json.dumps(answer), "refusal": None}, "stop"
        if fault == "refusal":
            message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
        elif fault == "truncated":
            message, finish = {"role": "assistant", "content": '{"label": "bil'}, "length"
        elif fault == "not_json":
            message["content"] = "I think this one is about billing."
        self._served(prompt)
        return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": request["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 100 + len(prompt) // 4, "completion_tokens": 20,
                          "total_tokens": 120 + len(prompt) // 4}}

    def batch(self, batch_id: str) -> dict:
        entry = self.batches[batch_id]
        held = self.hold_from is not None and entry["number"] >= self.hold_from
        ended = entry["polls"] >= self.batch_polls and not held
        n = len(entry["requests"])
        return {"id": batch_id, "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
                "request_counts": {"processing": 0 if ended else n, "succeeded": n if ended else 0, "errored": 0,
                                   "canceled": 0, "expired": 0},
                "created_at": "2026-11-24T00:00:00Z", "expires_at": "2026-11-25T00:00:00Z",
                "ended_at": "2026-11-24T00:01:00Z" if ended else None, "archived_at": None, "cancel_initiated_at": None,
                "results_url": f"{self.url}/v1/messages/batches/{batch_id}/results" if ended else None}

    def batch_results(self, batch_id: str) -> str:
        with self.lock:
            self.batch_events.append(("results", batch_id, 0))
        lines = []
        for item in self.batches[batch_id]["requests"]:
            fault = self._next_fault()
            if fault == "body_not_json":  # a cut-off line: from here on the results are not JSON Lines
                lines.append(json.dumps({"custom_id": item["custom_id"]})[:12])
                continue
            if fault == "500":
                result = {"type": "errored", "error": {"type": "error", "error": {"type": "api_error", "message": "boom"}}}
            elif fault == "empty_object":  # "succeeded" with a message that is no answer
                result = {"type": "succeeded", "message": {}}
            else:
                result = {"type": "succeeded", "message": self.message(item["params"], fault)}
            lines.append(json.dumps({"custom_id": item["custom_id"], "result": result}))
        return "\n".join(lines) + "\n"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out in two writes; with Nagle's algorithm the second waits for the client's
            # delayed ACK (about 40 ms), a stall no real API adds
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status: int, body, headers: dict | None = None, content_type: str = "application/json"):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _batch_fault(self) -> bool:
                """Answers with the next of `batch_faults`, if any is left."""
                with fake.lock:
                    fault = fake.batch_faults.pop(0) if fake.batch_faults else None
                if fault is None:
                    return False
                self._send(int(fault), {"type": "error", "error": {"type": "api_error", "message": fault}},
                           {"retry-after": "0"} if fault == "429" else {})
                return True

            def do_GET(self):
                parts = self.path.split("?")[0].strip("/").split("/")  # v1 messages batches ID [results]
                if parts[:3] != ["v1", "messages", "batches"] or len(parts) < 4 or parts[3] not in fake.batches:
                    return self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})
                batch_id = parts[3]
                if len(parts) == 5:
                    return self._send(200, fake.batch_results(batch_id), content_type="application/binary")
                if self._batch_fault():
                    return
                with fake.lock:
                    fake.batches[batch_id]["polls"] += 1
                self._send(200, fake.batch(batch_id))

            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                request = json.loads(body)
                path = self.path.split("?")[0].rstrip("/")
                if path == "/v1/messages/batches":
                    if self._batch_fault():
                        return
                    with fake.lock:
                        number = len(fake.batches)
                        batch_id = f"msgbatch_{number:04d}"
                        fake.batches[batch_id] = {"requests": request["requests"], "polls": 0, "number": number}
                        fake.batch_events.append(("submitted", batch_id, len(body)))
                    return self._send(200, fake.batch(batch_id))
                with fake.lock:
                    fake.requests.append(request)
                fault = fake._next_fault()
                if fake.latency:
                    time.sleep(fake.latency)
                if fault == "reset":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault == "timeout":
                    time.sleep(fake.timeout_sleep)
                    return
                errors = {"429": (429, "rate_limit_error", {"retry-after": "0"}), "500": (500, "api_error", {}),
                          "529": (529, "overloaded_error", {}),
                          "429_wait": (429, "rate_limit_error", {"retry-after": "30"}),
                          "429_date": (429, "rate_limit_error", {"retry-after": formatdate(time.time() + 1, usegmt=True)}),
                          "429_hour": (429, "rate_limit_error", {"retry-after": "3600"}),
                          "400": (400, "invalid_request_error", {}), "401": (401, "authentication_error", {})}
                bodies = {"body_not_json": ('{"id": "msg_fake", "content": [', "application/json"),
                          "html": ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
                          "empty_object": ("{}", "application/json")}
                if fault in bodies:
                    body, content_type = bodies[fault]
                    return self._send(200, body, content_type=content_type)
                if fault in errors:
                    status, kind, headers = errors[fault]
                    return self._send(status, {"type": "error", "error": {"type": kind, "message": kind}}, headers)
                answer = fake.completion if path.endswith("/chat/completions") else fake.message
                self._send(200, answer(request, fault))

        return Handler


if __name__ == "__main__":  # a server in its own process, for benchmarks: prints its URL, serves until killed
    import sys

    with FakeLLMAPI(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as fake:
        print(fake.url, flush=True)
        fake.thread.join()
