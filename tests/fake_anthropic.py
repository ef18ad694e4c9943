"""A local HTTP server speaking the Anthropic Messages endpoint closely enough for the real `anthropic`
client (`base_url=server.url`), with injectable faults. Used by the tests and by bench/claude_teacher.py.

It "labels" a text with the first label name that occurs in it (else the first label), at confidence 0.9,
through the forced tool call the request names. `faults` is a list consumed one per request: 429 (with
retry-after), 500, 529, reset (connection dropped), timeout (no answer in time), malformed (tool input
without a label), refusal, outside (a label not in the set), truncated (max_tokens)."""
from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = re.compile(r"<text>(.*)</text>", re.S)


class FakeAnthropic:
    def __init__(self, latency: float = 0.0, timeout_sleep: float = 3.0):
        self.latency = latency
        self.timeout_sleep = timeout_sleep
        self.faults: list[str] = []
        self.requests: list[dict] = []
        self.served = Counter()  # text -> answers actually delivered
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
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

    def _answer(self, request: dict, fault: str | None) -> dict:
        tool = request["tools"][0]
        labels = [l for l in tool["input_schema"]["properties"]["label"]["enum"] if l != "ABSTAIN"]
        found = TEXT.search(request["messages"][0]["content"])
        text = found.group(1) if found else ""
        label = next((l for l in labels if l.lower() in text.lower()), labels[0])
        content = [{"type": "tool_use", "id": "toolu_fake", "name": tool["name"], "input": {"label": label, "confidence": 0.9}}]
        stop = "tool_use"
        if fault == "malformed":
            content[0]["input"] = {"confidence": 0.5}
        elif fault == "outside":
            content[0]["input"] = {"label": "something else", "confidence": 0.8}
        elif fault == "refusal":
            content, stop = [{"type": "text", "text": "I can't help with that."}], "refusal"
        elif fault == "truncated":
            content, stop = [{"type": "text", "text": "The label is"}], "max_tokens"
        with self.lock:
            self.served[text] += 1
        return {"id": "msg_fake", "type": "message", "role": "assistant", "model": request["model"], "content": content,
                "stop_reason": stop, "stop_sequence": None, "usage": {"input_tokens": 100 + len(text) // 4, "output_tokens": 20}}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["content-length"])))
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
                          "529": (529, "overloaded_error", {})}
                if fault in errors:
                    status, kind, headers = errors[fault]
                    return self._send(status, {"type": "error", "error": {"type": kind, "message": kind}}, headers)
                self._send(200, fake._answer(request, fault))

        return Handler


if __name__ == "__main__":  # a server in its own process, for benchmarks: prints its URL, serves until killed
    import sys

    with FakeAnthropic(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as fake:
        print(fake.url, flush=True)
        fake.thread.join()
