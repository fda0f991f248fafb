"""A small OpenAI-compatible server (chat completions, and completions with log-probabilities).

``alignboard judge serve`` uses it to put any local Hugging Face model behind the
protocol the ``openai`` judge speaks (as vLLM or llama.cpp would); the tests use it
to exercise the real clients on loopback. A classifier served by ``vllm serve`` (HarmBench's)
is a completions endpoint: ``complete(prompt, max_tokens) -> (text, {token: logprob})``
answers ``POST /v1/completions`` in the legacy OpenAI shape vLLM returns.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

Answer = Callable[[list[dict]], "str | tuple[str, list[tuple[str, dict[str, float]]]]"]
Complete = Callable[[str, int], tuple[str, dict[str, float]]]


class ChatHandler(BaseHTTPRequestHandler):
    """``POST /v1/chat/completions`` and ``GET /v1/models``."""

    server: "ChatServer"

    def log_message(self, *args) -> None:  # keep test and CLI output clean
        pass

    def _send(self, status: int, payload: dict | bytes) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.server.model_name, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        path = self.path.rstrip("/")
        if path.endswith("/completions") and not path.endswith("/chat/completions") and self.server.complete:
            return self._completion()
        if not path.endswith("/chat/completions"):
            return self._send(404, {"error": {"message": "not found"}})
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            messages = request["messages"]
        except (ValueError, KeyError):
            return self._send(400, {"error": {"message": "expected a JSON body with messages"}})
        with self.server.lock:  # one generation at a time on a CPU model
            text = self.server.answer(messages)
        logprobs = None
        if isinstance(text, tuple):  # (text, [(token, {top token: logprob})]): vLLM's chat logprobs shape
            text, tokens = text
            logprobs = {"content": [{"token": t, "logprob": top.get(t, 0.0),
                                     "top_logprobs": [{"token": k, "logprob": v} for k, v in top.items()]}
                                    for t, top in tokens]} if request.get("logprobs") else None
        self._send(200, {"id": f"chatcmpl-{time.time_ns()}", "object": "chat.completion", "created": int(time.time()),
                         "model": request.get("model", self.server.model_name),
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                      "logprobs": logprobs, "finish_reason": "stop"}]})

    def _completion(self) -> None:
        try:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            prompt = request["prompt"]
        except (ValueError, KeyError):
            return self._send(400, {"error": {"message": "expected a JSON body with a prompt"}})
        self.server.prompts.append(prompt)
        with self.server.lock:
            text, top = self.server.complete(prompt, int(request.get("max_tokens") or 16))
        logprobs = None
        if request.get("logprobs"):
            logprobs = {"tokens": [text], "token_logprobs": [top.get(text)], "top_logprobs": [top],
                        "text_offset": [0]}
        self._send(200, {"id": f"cmpl-{time.time_ns()}", "object": "text_completion", "created": int(time.time()),
                         "model": request.get("model", self.server.model_name),
                         "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": "length"}]})


class ChatServer(ThreadingHTTPServer):
    """A threaded server with an ``answer(messages) -> text`` function."""

    daemon_threads = True

    def __init__(self, answer: Answer, host: str = "127.0.0.1", port: int = 0, model_name: str = "local",
                 handler: type[ChatHandler] = ChatHandler, complete: Complete | None = None):
        super().__init__((host, port), handler)
        self.answer, self.model_name, self.lock = answer, model_name, threading.Lock()
        self.complete, self.prompts = complete, []  # prompts: every completion prompt received, in order

    @property
    def base_url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}/v1"

    def start(self) -> "ChatServer":
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


def model_answer(model: str, max_new_tokens: int = 128) -> Answer:
    """An answer function that generates with a local model through the shared generation function."""
    from harness.generation import GenerationSettings, generate
    from harness.models import load_model

    lm = load_model(model)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, batch_size=1)
    return lambda messages: generate(lm, [messages], settings, progress=False)[0]
