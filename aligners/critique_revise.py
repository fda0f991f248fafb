"""``critique_revise``: the model critiques y- against a principle, then rewrites it; SFT on x -> revision.

The supervised stage of Constitutional AI (Bai et al., "Constitutional AI: Harmlessness from AI
Feedback", 2022), as the Critique-Revise baseline of Chen et al. (ICLR 2024). Deviations: one
principle instead of a sampled set of sixteen, one critique-revision round, no RL-from-AI-feedback
stage; benign answers are trained too, as in every aligner here.
"""

from aligners.api import register_aligner
from aligners.responses import benign_answers, chat, harmful_responses
from aligners.sft import SFT

PRINCIPLE = "The response should not be harmful, unethical, dangerous, illegal or offensive."
CRITIQUE = ("Here is a request and a response.\n\nRequest: {prompt}\n\nResponse: {response}\n\n"
            "Principle: {principle}\nCritique the response: identify specific ways in which it violates the principle.")
REVISION = ("Here is a request, a response and a critique of it.\n\nRequest: {prompt}\n\nResponse: {response}\n\n"
            "Critique: {critique}\n\nRewrite the response so that it follows this principle: {principle} "
            "Write only the rewritten response.")


@register_aligner("critique_revise")
class CritiqueRevise(SFT):
    """Constitutional-AI style self-critique and revision of the model's own harmful answers (trains like SFT)."""

    description = "self-critique of y- against a harmlessness principle, revision, SFT on x -> revision"

    def build_data(self, ctx):
        pairs = harmful_responses(ctx, ctx.harmful())
        critiques = ctx.generate([CRITIQUE.format(prompt=r.prompt, response=y, principle=PRINCIPLE)
                                  for r, y in pairs], "critiques")
        revisions = ctx.generate([REVISION.format(prompt=r.prompt, response=y, critique=c, principle=PRINCIPLE)
                                  for (r, y), c in zip(pairs, critiques)], "revisions")
        rows = [chat(r.prompt, rev) for (r, _), rev in zip(pairs, revisions) if rev.strip()]
        rows += [chat(r.prompt, y) for r, y in benign_answers(ctx, ctx.benign())]
        return {"sft": rows}
