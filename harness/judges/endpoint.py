"""The one client of OpenAI-compatible endpoints that judges use: chat and completions, with retries.

The base URL and the key come from environment variables named in a judge's config; the key
is sent only in the Authorization header and never written to logs, errors or results.
A request is retried with exponential backoff on 429, 5xx, timeouts and connection errors;
one that still fails raises :class:`EndpointError`, which a judge turns into an unparseable
judgment carrying the reason, never a verdict.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from pydantic import BaseModel, Field

from harness.errors import AlignboardError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class EndpointError(Exception):
    """The request failed for good (after retries, or a non-retryable answer); the message says why."""


class _Retryable(Exception):
    pass


class EndpointConfig(BaseModel):
    """Where an endpoint is and how patiently to ask it (fields shared by every endpoint judge)."""

    base_url_env: str = Field("OPENAI_BASE_URL", description=f"variable holding the base URL "
                              f"(unset: {DEFAULT_BASE_URL})")
    api_key_env: str = Field("OPENAI_API_KEY", description="variable holding the API key")
    concurrency: int = Field(8, ge=1, description="requests in flight at once")
    max_retries: int = Field(4, ge=0, description="retries after a 429, 5xx, timeout or connection error")
    timeout_s: float = Field(60.0, gt=0, description="per-request timeout in seconds")
    backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles each retry (Retry-After wins)")


class Endpoint:
    """An OpenAI-compatible endpoint as one judge config names it."""

    def __init__(self, config: EndpointConfig):
        self.config = config

    @property
    def base_url(self) -> str:
        return (os.environ.get(self.config.base_url_env) or DEFAULT_BASE_URL).rstrip("/")

    def key(self) -> str:
        """The API key (a one-line error when its variable is unset)."""
        key = os.environ.get(self.config.api_key_env)
        if not key:
            raise AlignboardError(f"{self.config.api_key_env} is not set: export the API key for {self.base_url} "
                                  "(any non-empty value for a local server)")
        return key

    def check(self) -> None:
        """Fail fast (one line) when the key is missing or the URL does not answer."""
        req = urllib.request.Request(self.base_url + "/models", headers={"Authorization": f"Bearer {self.key()}"})
        try:
            urllib.request.urlopen(req, timeout=min(10.0, self.config.timeout_s)).close()
        except urllib.error.HTTPError:
            pass  # it answered: reachable (a 401/404 on /models still proves the URL is right)
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise AlignboardError(f"cannot reach the judge endpoint {self.base_url} ({getattr(e, 'reason', e)}); "
                                  f"check {self.config.base_url_env}") from None

    def _post_once(self, path: str, body: bytes, key: str) -> dict:
        req = urllib.request.Request(self.base_url + path, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(req, timeout=self.config.timeout_s) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as e:
            if e.code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {e.code}", e.headers.get("Retry-After")) from None
            raise EndpointError(f"HTTP {e.code} from {self.base_url}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise _Retryable(f"{type(e).__name__}: {getattr(e, 'reason', e)}", None) from None
        try:
            return json.loads(payload)
        except ValueError:
            raise EndpointError("malformed response (not JSON)") from None

    def post(self, path: str, request: dict[str, Any], key: str) -> dict:
        """POST ``request`` to ``path`` (e.g. ``/chat/completions``), retrying what may pass on a later try."""
        body = json.dumps(request).encode()
        delay = self.config.backoff_s
        for attempt in range(self.config.max_retries + 1):
            try:
                return self._post_once(path, body, key)
            except _Retryable as e:
                reason, retry_after = e.args
                if attempt == self.config.max_retries:
                    raise EndpointError(f"{reason} after {attempt + 1} attempts") from None
                wait = float(retry_after) if retry_after and str(retry_after).replace(".", "").isdigit() else delay
                time.sleep(min(wait, 60.0))
                delay *= 2
        raise AssertionError("unreachable")

    def chat(self, model: str, messages: list[dict], key: str, **decoding: Any) -> str:
        """The assistant message's text."""
        return self.chat_logprobs(model, messages, key, **decoding)[0]

    def chat_logprobs(self, model: str, messages: list[dict], key: str,
                      **decoding: Any) -> tuple[str, list[tuple[str, dict[str, float]]]]:
        """The assistant message's text and, per generated token, (token, its top log-probabilities) when the
        request asked for ``logprobs`` ([] otherwise)."""
        payload = self.post("/chat/completions", {"model": model, "messages": messages, **decoding}, key)
        try:
            choice = payload["choices"][0]
            text = choice["message"]["content"] or ""
            tokens = [(t["token"], {x["token"]: float(x["logprob"]) for x in t.get("top_logprobs") or []})
                      for t in ((choice.get("logprobs") or {}).get("content") or [])]
        except (KeyError, IndexError, TypeError):
            raise EndpointError("malformed response (not chat-completions JSON)") from None
        return text, tokens

    def complete(self, model: str, prompt: str, key: str, **decoding: Any) -> tuple[str, dict[str, float]]:
        """The completion's text and the top log-probabilities of its first token ({} when not returned)."""
        payload = self.post("/completions", {"model": model, "prompt": prompt, **decoding}, key)
        try:
            choice = payload["choices"][0]
            text = choice["text"]
        except (KeyError, IndexError, TypeError):
            raise EndpointError("malformed response (not completions JSON)") from None
        top = ((choice.get("logprobs") or {}).get("top_logprobs") or [None])[0] or {}
        return text, {str(k): float(v) for k, v in top.items()}
