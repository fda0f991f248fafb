"""``sft``: supervised fine-tuning on x -> y+ over H, plus x -> answer over B.

The "vanilla SFT" baseline of Chen et al., "Gaining Wisdom from Setbacks" (ICLR 2024): the
same harmless answers and helpful answers every other aligner sees, plain next-token loss on
the answers. No deviation beyond LoRA (shared by every aligner).
"""

from aligners import training
from aligners.api import Aligner, register_aligner
from aligners.responses import benign_answers, chat, harmless_responses


@register_aligner("sft")
class SFT(Aligner):
    """Vanilla SFT on harmless answers to harmful instructions and helpful answers to benign ones."""

    description = "supervised fine-tuning on harmless answers (H) and helpful answers (B)"

    def build_data(self, ctx):
        rows = [chat(r.prompt, y) for r, y in harmless_responses(ctx, ctx.harmful())]
        rows += [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        return {"sft": rows}

    def train(self, ctx, data, out):
        model, result = training.sft(ctx, data["sft"])
        training.save_adapter(model, out)
        return result
