"""``hf``: a local Hugging Face chat model answers the rubric (default: the embedded model)."""

from __future__ import annotations

from typing import Sequence

from pydantic import Field

from harness.assets import EMBEDDED_MODEL
from harness.generation import GenerationSettings, generate
from harness.judges.base import Item, Judge, Judgment, register_judge
from harness.judges.rubric import RUBRIC, parse


@register_judge("hf")
class HFJudge(Judge):
    """A local chat model prompted with the rubric; unparseable answers stay unparseable."""

    description = "a local Hugging Face chat model prompted with a rubric"

    class Config(Judge.Config):
        model: str = Field(EMBEDDED_MODEL, description="embedded model name, local folder or hub id")
        max_new_tokens: int = Field(64, ge=8, description="tokens for the judge's answer")
        batch_size: int = Field(8, ge=1, description="prompts per generation batch")

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        from harness.models import load_model

        if not hasattr(self, "_lm"):
            self._lm = load_model(self.config.model)
        settings = GenerationSettings(max_new_tokens=self.config.max_new_tokens, batch_size=self.config.batch_size)
        texts = generate(self._lm, [RUBRIC.format(prompt=it.prompt, response=it.response) for it in items],
                         settings, description="judging (hf)")
        return [parse(t) for t in texts]
