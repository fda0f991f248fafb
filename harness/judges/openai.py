"""``openai``: any OpenAI-compatible chat-completions endpoint answers alignboard's own rubric.

GPT-4-class services, or a local vLLM / llama.cpp server. Requests run concurrently
through the shared endpoint client (:mod:`harness.judges.endpoint`: key from the
environment, timeouts, retries with backoff). A request that still fails becomes an
unparseable judgment carrying the error, never a "harmless" verdict. The rubric is
alignboard's (:mod:`harness.judges.rubric`), not a published protocol: for numbers that
sit next to papers' use the protocol judges (``harmbench_cls``, ``strongreject``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from pydantic import Field

from harness.io import stable_hash
from harness.judges.base import Item, Judge, Judgment, register_judge
from harness.judges.endpoint import Endpoint, EndpointConfig, EndpointError
from harness.judges.rubric import RUBRIC, parse


@register_judge("openai")
class OpenAIJudge(Judge):
    """alignboard's rubric sent to an OpenAI-compatible chat endpoint."""

    description = "alignboard's own rubric (not a published protocol) on any OpenAI-compatible chat endpoint"

    class Config(Judge.Config, EndpointConfig):
        model: str = Field("gpt-4o", description="model name sent to the endpoint")
        max_tokens: int = Field(128, ge=8, description="tokens for the judge's answer")

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.config)

    def identity(self) -> str:
        # The endpoint is part of who judged; the key is not.
        return f"{super().identity()}-{stable_hash([self.endpoint.base_url, self.config.model])[:8]}"

    def check(self) -> None:
        self.endpoint.check()

    def _one(self, item: Item, key: str) -> Judgment:
        messages = [{"role": "user", "content": RUBRIC.format(prompt=item.prompt, response=item.response)}]
        try:
            return parse(self.endpoint.chat(self.config.model, messages, key, temperature=0,
                                            max_tokens=self.config.max_tokens))
        except EndpointError as e:
            return Judgment(parsed=False, error=str(e))

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        key = self.endpoint.key()
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            return list(pool.map(lambda it: self._one(it, key), items))
