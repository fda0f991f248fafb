"""``dpo``: DPO on (x, chosen=y+, rejected=y-), with the benign set as SFT data first or skipped.

Rafailov et al., "Direct Preference Optimization" (NeurIPS 2023). The reference policy is the
starting point of the DPO stage: after the benign SFT stage it is that SFT policy (TRL keeps a
frozen copy of the adapter), as in the paper; without it, the base model. The budget's steps
are split between the two stages. Deviation: preferences are y+ over y- (from the data or
self-written and judged), not human rankings.
"""

from typing import Literal

from pydantic import Field

from aligners import training
from aligners.api import Aligner, register_aligner
from aligners.responses import benign_answers, chat, preference_pairs


def dpo_rows(pairs) -> list[dict]:
    """Conversational DPO rows from (record, y+, y-) triples."""
    return [{**chat(r.prompt), "chosen": [{"role": "assistant", "content": pos}],
             "rejected": [{"role": "assistant", "content": neg}]} for r, pos, neg in pairs]


@register_aligner("dpo")
class DPO(Aligner):
    """Direct preference optimisation on harmless-over-harmful pairs."""

    description = "DPO on (x, y+ over y-) pairs; benign answers as an SFT stage first or skipped"

    class Config(Aligner.Config):
        beta: float = Field(0.1, gt=0, description="DPO temperature: strength of the pull away from the reference")
        benign: Literal["sft", "skip"] = Field("sft", description="train the benign answers (SFT stage) or skip them")

    def stages(self):
        return ["sft", "dpo"] if self.config.benign == "sft" else ["dpo"]

    def build_data(self, ctx):
        data = {"dpo": dpo_rows(preference_pairs(ctx, ctx.harmful()))}
        if self.config.benign == "sft":
            data["sft"] = [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        return data

    def train(self, ctx, data, out):
        model, result = None, None
        if data.get("sft"):
            model, result = training.sft(ctx, data["sft"])
        model, r = training.dpo(ctx, data["dpo"], model=model, beta=self.config.beta)
        training.save_adapter(model, out)
        return r if result is None else result + r
