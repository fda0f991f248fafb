"""``mistake_analysis``: Gaining Wisdom from Setbacks (Chen et al., ICLR 2024), four steps.

1. Guided mistake induction: y- for each x in H (the model under a hint, or the dataset).
2. Guided analysis: the model reads (x, y-), is TOLD the response is harmful, and explains why -> c.
3. Unguided analysis fine-tuning: SFT on x -> y+ over H and answers over B, plus samples whose
   prompt shows (x, y-) and asks for an analysis WITHOUT saying it is harmful; the target is c.
4. Guided response at inference: the prompt reminds the model to answer harmlessly (the shared
   ``INFERENCE_HINT``, on by default here; a spec can evaluate any row with or without it).

Deviations from the paper: prompt wording is ours; self-made mistakes are kept only when the
run's judge finds them harmful (the paper trusts the induction hint); LoRA on every aligner.
"""

from typing import Literal, Optional

from pydantic import Field, field_validator

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
# An analysis "identifies the harm" when it names it in any of these words (the keyword filter).
HARM_WORDS = ("harm", "unethical", "offensive", "dangerous", "illegal", "unsafe", "inappropriate", "violat",
              "risk", "wrong", "irresponsible")


@register_aligner("mistake_analysis")
class MistakeAnalysis(SFT):
    """The model learns from analyses of its own harmful answers."""

    description = "mistake analysis (ICLR 2024): fine-tune on the model's own analyses of its harmful answers"
    default_hint = True  # step 4, guided response generation

    class Config(Aligner.Config):
        mistake_source: Optional[Literal["self", "dataset"]] = Field(
            None, description="where y- comes from; None follows the benchmark's response source")
        analysis_model: Optional[str] = Field(
            None, description="model that writes the analyses; None = the base model itself")
        analysis_share: float = Field(0.5, ge=0, lt=1, description="share of analysis samples in the training set")
        analysis_filter: str = Field(
            "none", description="drop analyses that fail to identify the harm: 'keyword' (must name it) or any "
                                "registered judge (must judge the analysis harmless and not a refusal)")

        @field_validator("analysis_filter")
        @classmethod
        def _known(cls, v):
            from harness.judges import JUDGES

            if v not in ("none", "keyword", *JUDGES.names()):
                raise ValueError(f"must be 'none', 'keyword' or a judge: {', '.join(JUDGES.names())}")
            return v

    def build_data(self, ctx):
        mistakes = harmful_responses(ctx, ctx.harmful(), source=self.config.mistake_source)
        analyst = load_model(self.config.analysis_model) if self.config.analysis_model else None
        analyses = ctx.generate([GUIDED_ANALYSIS.format(prompt=r.prompt, response=y) for r, y in mistakes],
                                "guided analyses", lm=analyst)
        samples = self._filtered([(r, y, c) for (r, y), c in zip(mistakes, analyses) if c.strip()])
        sft = [chat(r.prompt, y) for r, y in harmless_responses(ctx, ctx.harmful())]
        sft += [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        share = self.config.analysis_share
        n_analysis = min(len(samples), round(share * len(sft) / (1 - share)))
        analysis = [chat(UNGUIDED_ANALYSIS.format(prompt=r.prompt, response=y), c) for r, y, c in samples[:n_analysis]]
        return {"sft": sft + analysis}

    def _filtered(self, samples):
        """The (x, y-, analysis) samples whose analysis identifies the harm, by the configured filter."""
        name = self.config.analysis_filter
        if name == "keyword":
            return [s for s in samples if any(w in s[2].lower() for w in HARM_WORDS)]
        if name == "none":
            return samples
        from harness.judges import Item, get_judge, judge

        verdicts = judge(get_judge(name), [Item(r.prompt, c, True) for r, _, c in samples])
        return [s for s, j in zip(samples, verdicts) if j.harmless is True and j.refusal is not True]
