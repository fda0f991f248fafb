"""``openai``: any OpenAI-compatible chat-completions endpoint answers the rubric.

GPT-4-class services, or a local vLLM / llama.cpp server. The base URL and the key
come from the environment (variables named in the config); the key is sent only
in the Authorization header and never written to logs, errors or results.
Requests run concurrently, with a timeout, and are retried with exponential
backoff on 429, 5xx, timeouts and connection errors. A request that still fails
becomes an unparseable judgment carrying the error, never a "harmless" verdict.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from pydantic import Field

from harness.errors import AlignboardError
from harness.io import stable_hash
from harness.judges.base import Item, Judge, Judgment, register_judge
from harness.judges.rubric import RUBRIC, parse

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class _Retryable(Exception):
    pass


@register_judge("openai")
class OpenAIJudge(Judge):
    """The rubric sent to an OpenAI-compatible chat endpoint."""

    description = "any OpenAI-compatible chat endpoint (GPT-4-class, vLLM, llama.cpp) with a rubric"

    class Config(Judge.Config):
        model: str = Field("gpt-4o", description="model name sent to the endpoint")
        base_url_env: str = Field("OPENAI_BASE_URL", description=f"variable holding the base URL "
                                  f"(unset: {DEFAULT_BASE_URL})")
        api_key_env: str = Field("OPENAI_API_KEY", description="variable holding the API key")
        concurrency: int = Field(8, ge=1, description="requests in flight at once")
        max_retries: int = Field(4, ge=0, description="retries after a 429, 5xx, timeout or connection error")
        timeout_s: float = Field(60.0, gt=0, description="per-request timeout in seconds")
        backoff_s: float = Field(1.0, ge=0, description="first retry delay; doubles each retry (Retry-After wins)")
        max_tokens: int = Field(128, ge=8, description="tokens for the judge's answer")

    @property
    def base_url(self) -> str:
        return (os.environ.get(self.config.base_url_env) or DEFAULT_BASE_URL).rstrip("/")

    def identity(self) -> str:
        # The endpoint is part of who judged; the key is not.
        return f"{super().identity()}-{stable_hash([self.base_url, self.config.model])[:8]}"

    def _key(self) -> str:
        key = os.environ.get(self.config.api_key_env)
        if not key:
            raise AlignboardError(f"{self.config.api_key_env} is not set: export the API key for {self.base_url} "
                                  "(any non-empty value for a local server)")
        return key

    def check(self) -> None:
        self._key()
        req = urllib.request.Request(self.base_url + "/models", headers={"Authorization": f"Bearer {self._key()}"})
        try:
            urllib.request.urlopen(req, timeout=min(10.0, self.config.timeout_s)).close()
        except urllib.error.HTTPError:
            pass  # it answered: reachable (a 401/404 on /models still proves the URL is right)
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise AlignboardError(f"cannot reach the judge endpoint {self.base_url} ({getattr(e, 'reason', e)}); "
                                  f"check {self.config.base_url_env}") from None

    def _post(self, body: bytes, key: str) -> str:
        req = urllib.request.Request(self.base_url + "/chat/completions", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(req, timeout=self.config.timeout_s) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as e:
            if e.code in _RETRY_STATUS:
                raise _Retryable(f"HTTP {e.code}", e.headers.get("Retry-After")) from None
            raise ValueError(f"HTTP {e.code} from {self.base_url}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise _Retryable(f"{type(e).__name__}: {getattr(e, 'reason', e)}", None) from None
        try:
            return json.loads(payload)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ValueError("malformed response (not chat-completions JSON)") from None

    def _one(self, item: Item, key: str) -> Judgment:
        body = json.dumps({"model": self.config.model, "temperature": 0, "max_tokens": self.config.max_tokens,
                           "messages": [{"role": "user", "content": RUBRIC.format(prompt=item.prompt,
                                                                                  response=item.response)}]}).encode()
        delay = self.config.backoff_s
        for attempt in range(self.config.max_retries + 1):
            try:
                return parse(self._post(body, key))
            except ValueError as e:
                return Judgment(parsed=False, error=str(e))
            except _Retryable as e:
                reason, retry_after = e.args
                if attempt == self.config.max_retries:
                    return Judgment(parsed=False, error=f"{reason} after {attempt + 1} attempts")
                wait = float(retry_after) if retry_after and str(retry_after).replace(".", "").isdigit() else delay
                time.sleep(min(wait, 60.0))
                delay *= 2
        raise AssertionError("unreachable")

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        key = self._key()
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            return list(pool.map(lambda it: self._one(it, key), items))
