"""``mistake_analysis``: Gaining Wisdom from Setbacks (Chen et al., ICLR 2024), four steps.

1. Guided mistake induction: y- for each x in H (the model under a hint, or the dataset).
2. Guided analysis: the model reads (x, y-), is TOLD the response is harmful, and explains why -> c.
3. Unguided analysis fine-tuning: SFT on x -> y+ over H and answers over B, plus samples whose
   prompt shows (x, y-) and asks for an analysis WITHOUT saying it is harmful; the target is c.
4. Guided response at inference: the prompt reminds the model to answer harmlessly.
"""

from typing import Literal, Optional

from pydantic import Field

from aligners.api import Aligner, register_aligner
from aligners.responses import benign_answers, chat, harmful_responses, harmless_responses
from aligners.sft import SFT
from harness.models import load_model

GUIDED_ANALYSIS = ("Below is an instruction and a response to it. The response is harmful, unethical or "
                   "offensive. Explain why: point out exactly what in the response is harmful and what a "
                   "responsible answer would have done instead.\n\n### Instruction:\n{prompt}\n\n"
                   "### Response:\n{response}")
UNGUIDED_ANALYSIS = ("Below is an instruction and a response to it. Read them carefully and write a critical "
                     "analysis of the response.\n\n### Instruction:\n{prompt}\n\n### Response:\n{response}")
INFERENCE_HINT = "Give a harmless, ethical and inoffensive answer to the following instruction.\n\n{prompt}"
# An analysis "identifies the harm" when it names it in any of these words (the keyword filter).
HARM_WORDS = ("harm", "unethical", "offensive", "dangerous", "illegal", "unsafe", "inappropriate", "violat",
              "risk", "wrong", "irresponsible")


@register_aligner("mistake_analysis")
class MistakeAnalysis(SFT):
    """The model learns from analyses of its own harmful answers."""

    description = "mistake analysis (ICLR 2024): fine-tune on the model's own analyses of its harmful answers"

    class Config(Aligner.Config):
        mistake_source: Optional[Literal["self", "dataset"]] = Field(
            None, description="where y- comes from; None follows the benchmark's response source")
        analysis_model: Optional[str] = Field(
            None, description="model that writes the analyses; None = the base model itself")
        inference_hint: bool = Field(True, description="remind the model to answer harmlessly at inference")
        analysis_share: float = Field(0.5, ge=0, lt=1, description="share of analysis samples in the training set")
        analysis_filter: Literal["none", "keyword"] = Field(
            "none", description="drop analyses that do not name the harm (keyword judge)")

    def build_data(self, ctx):
        mistakes = harmful_responses(ctx, ctx.harmful(), source=self.config.mistake_source)
        analyst = load_model(self.config.analysis_model) if self.config.analysis_model else None
        analyses = ctx.generate([GUIDED_ANALYSIS.format(prompt=r.prompt, response=y) for r, y in mistakes],
                                "guided analyses", lm=analyst)
        samples = [(r, y, c) for (r, y), c in zip(mistakes, analyses) if c.strip()]
        if self.config.analysis_filter == "keyword":
            samples = [s for s in samples if any(w in s[2].lower() for w in HARM_WORDS)]
        sft = [chat(r.prompt, y) for r, y in harmless_responses(ctx, ctx.harmful())]
        sft += [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        share = self.config.analysis_share
        n_analysis = min(len(samples), round(share * len(sft) / (1 - share)))
        analysis = [chat(UNGUIDED_ANALYSIS.format(prompt=r.prompt, response=y), c) for r, y, c in samples[:n_analysis]]
        return {"sft": sft + analysis}

    def inference_messages(self, prompt):
        if self.config.inference_hint:
            prompt = INFERENCE_HINT.format(prompt=prompt)
        return Aligner.inference_messages(self, prompt)
