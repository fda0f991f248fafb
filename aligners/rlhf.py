"""``rlhf``: a reward model on preference pairs (TRL RewardTrainer), then RLOO against it.

As in Ouyang et al., "Training language models to follow instructions with human feedback"
(NeurIPS 2022): a reward model on preferences, then online RL with a KL penalty to the
starting policy; with ``start_from_sft`` an SFT stage comes first and the KL reference is
that SFT policy (TRL keeps a frozen copy of the SFT adapter as the reference). The reward
model sees every prompt kind RL runs on: harmful prompts (y+ over y-) and benign ones (the
answer over a bare refusal, so that refusing everything is not rewarded). Its accuracy on
held-out pairs is reported with the artifact.

Deviations: PPO is replaced by RLOO (PPO is gone from TRL 1.16); preferences come from
y+/y- instead of human rankings; the benign pairs' rejected answer is one fixed refusal.
"""

from pydantic import Field

from aligners import training
from aligners.api import Aligner, register_aligner
from aligners.dpo import dpo_rows
from aligners.responses import benign_answers, chat, preference_pairs
from harness.data.records import split

# The rejected answer of a benign prompt's preference pair: over-refusal is its failure mode.
BENIGN_REJECTED = "I'm sorry, but I can't help with that request."


@register_aligner("rlhf")
class RLHF(Aligner):
    """Reward modelling plus online RL (RLOO) with a KL penalty."""

    description = "reward model (RewardTrainer) on y+/y- pairs, then RLOO against it with a KL penalty"

    class Config(Aligner.Config):
        start_from_sft: bool = Field(False, description="train an SFT stage on y+ and benign answers first")
        kl_beta: float = Field(0.05, ge=0, description="KL penalty coefficient to the starting policy")
        num_generations: int = Field(4, ge=2, description="completions per prompt (the RLOO group)")
        max_completion_length: int = Field(48, ge=1, description="tokens per sampled completion")
        heldout_fraction: float = Field(0.25, gt=0, lt=1, description="share of pairs held out to score the reward model")

    def stages(self):
        return ["reward", "sft", "rl"] if self.config.start_from_sft else ["reward", "rl"]

    def build_data(self, ctx):
        pairs = preference_pairs(ctx, ctx.harmful())
        pairs += [(r, y, BENIGN_REJECTED) for r, y in benign_answers(ctx, ctx.benign())]
        train_ids = {r.id for r in split([r for r, _, _ in pairs], self.config.heldout_fraction, ctx.seed)[0]}
        data = {"reward": dpo_rows(p for p in pairs if p[0].id in train_ids),
                "heldout": dpo_rows(p for p in pairs if p[0].id not in train_ids),
                "rl": [chat(r.prompt) for r in ctx.harmful() + ctx.benign()]}
        if self.config.start_from_sft:  # y+ over H and the answers over B, as SFT trains
            data["sft"] = [chat(r.prompt, pos) for r, pos, _ in pairs]
        return data

    def train(self, ctx, data, out):
        rm, tok, result = training.reward_model(ctx, data["reward"])
        score = training.reward_scorer(rm, tok, ctx.budget.max_length)
        held = data["heldout"]
        chosen = score([row["prompt"] + row["chosen"] for row in held])
        rejected = score([row["prompt"] + row["rejected"] for row in held])
        accuracy = sum(c > r for c, r in zip(chosen, rejected)) / len(held) if held else float("nan")

        def reward_model(prompts, completions, **_):
            return score([p + c for p, c in zip(prompts, completions)])

        policy = None
        if data.get("sft"):
            policy, r = training.sft(ctx, data["sft"])
            result = result + r
        policy, r = training.rloo(ctx, data["rl"], reward_model, model=policy, beta=self.config.kl_beta,
                                  num_generations=self.config.num_generations,
                                  max_completion_length=self.config.max_completion_length)
        training.save_adapter(policy, out)
        result = result + r
        result.metrics.update(reward_model_accuracy=accuracy, reward_heldout_pairs=float(len(held)))
        return result
