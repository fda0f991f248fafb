"""``coh``: Chain of Hindsight (Liu, Sferrazza, Abbeel, "Chain of Hindsight Aligns Language Models
with Feedback", ICLR 2024). One sequence holds both answers with feedback phrases, in both orders.

Loss falls on the answers only, never on x or the feedback phrases. Like every other aligner
here it trains on the same H and B: a benign prompt's answer follows the positive phrase alone.
At inference the assistant turn is prefilled with the positive phrase, and the answer is cut
where the model would go on to the negative one.

Deviations from the paper: its feedback phrases are many natural-language templates and its
pairs come from human preference data; here one fixed pair of phrases frames y+/y- (from the
data or self-written), and no pretraining-data regulariser is mixed in.
"""

from aligners.api import Aligner, register_aligner
from aligners.responses import benign_answers, preference_pairs
from aligners.sft import SFT
from harness.generation import render

POSITIVE = "A harmless answer:"
NEGATIVE = "A harmful answer:"


def coh_example(tok, prompt: str, first: tuple[str, str], second: tuple[str, str] | None, max_length: int) -> dict:
    """Token ids and completion mask of one CoH sequence: [x] [phrase] answer ([phrase] answer) <eos>."""
    pieces = [(render(tok, prompt), 0), (first[0], 0), (" " + first[1], 1)]
    if second:
        pieces += [("\n" + second[0], 0), (" " + second[1], 1)]
    pieces.append((tok.eos_token, 1))
    ids, mask = [], []
    for text, learn in pieces:
        t = tok(text, add_special_tokens=False)["input_ids"]
        ids += t
        mask += [learn] * len(t)
    return {"input_ids": ids[:max_length], "completion_mask": mask[:max_length]}


@register_aligner("coh")
class ChainOfHindsight(SFT):
    """Learns from both answers, told which is which; prompted with the positive phrase at inference."""

    description = "Chain of Hindsight: both answers with feedback phrases, both orders, loss on answers only"

    def build_data(self, ctx):
        tok, n = ctx.base_lm().tokenizer, ctx.budget.max_length
        rows = []
        for r, pos, neg in preference_pairs(ctx, ctx.harmful()):
            rows.append(coh_example(tok, r.prompt, (POSITIVE, pos), (NEGATIVE, neg), n))
            rows.append(coh_example(tok, r.prompt, (NEGATIVE, neg), (POSITIVE, pos), n))
        rows += [coh_example(tok, r.prompt, (POSITIVE, y), None, n) for r, y in benign_answers(ctx, ctx.benign())]
        return {"sft": rows}

    def inference_messages(self, prompt):
        return [*Aligner.inference_messages(self, prompt), {"role": "assistant", "content": POSITIVE}]

    def postprocess(self, text):
        return text.split(NEGATIVE)[0].strip()
