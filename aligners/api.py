"""The aligner API: what an alignment method is, what it is handed, what it returns.

An aligner is a class with a name, a pydantic ``Config`` (documented defaults),
``build_data(ctx)``, ``train(ctx, data, out)`` and an inference template
(``inference_messages`` / ``postprocess``). Register it with
``@register_aligner("name")``; packages outside this repository register theirs
through the entry-point group ``alignboard.aligners``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

from harness.assets import EMBEDDED_MODEL
from harness.config import Component
from harness.data.pools import Pools
from harness.data.records import Record
from harness.errors import AlignboardError
from harness.generation import GenerationCache, GenerationSettings, Prompt, generate
from harness.io import atomic_write_json, stable_hash
from harness.models import LoadedModel, load_model
from harness.registry import Registry


class Budget(BaseModel):
    """What every aligner in a benchmark gets: same data sizes, LoRA shape and optimiser."""

    model_config = ConfigDict(extra="forbid")
    max_steps: int = Field(8, ge=1, description="optimizer steps per training stage")
    batch_size: int = Field(8, ge=1, description="examples per optimizer step")
    learning_rate: float = Field(5e-4, gt=0, description="AdamW learning rate (constant schedule)")
    lora_r: int = Field(8, ge=1, description="LoRA rank (all linear layers)")
    lora_alpha: int = Field(16, ge=1, description="LoRA alpha")
    lora_dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout")
    max_length: int = Field(512, ge=16, description="maximum training sequence length in tokens")
    n_harmful: int = Field(32, ge=0, description="harmful training instructions drawn from H")
    n_benign: int = Field(32, ge=0, description="benign training instructions drawn from B")
    gen_max_new_tokens: int = Field(128, ge=1, description="tokens per answer when building data by generation")
    gen_batch_size: int = Field(8, ge=1, description="prompts per generation batch")


# The budget of the offline demo: small enough for all seven aligners on 2 CPU cores.
DEMO_BUDGET = Budget(max_steps=4, batch_size=4, n_harmful=16, n_benign=8, gen_max_new_tokens=64)


class TrainingCost(BaseModel):
    """What an aligner spent; shown next to its scores so extra training is visible."""

    examples: int = 0
    tokens_trained: int = 0
    optimizer_steps: int = 0
    tokens_generated: int = 0
    wall_seconds: float = 0.0


class TrainResult(BaseModel):
    """What one training run reports (summed over stages by the aligner)."""

    examples: int = 0
    tokens_trained: int = 0
    optimizer_steps: int = 0
    metrics: dict[str, float] = {}

    def __add__(self, other: "TrainResult") -> "TrainResult":
        return TrainResult(examples=self.examples + other.examples,
                           tokens_trained=self.tokens_trained + other.tokens_trained,
                           optimizer_steps=self.optimizer_steps + other.optimizer_steps,
                           metrics={**self.metrics, **other.metrics})


class Artifact(BaseModel):
    """The typed record of one trained aligner (written as ``artifact.json``)."""

    aligner: str
    version: str
    config: dict[str, Any]
    seed: int
    adapter: Optional[str]
    cost: TrainingCost
    metrics: dict[str, float] = {}
    inference_template: list[dict[str, str]]
    inference_template_id: str


@dataclass
class Context:
    """Everything an aligner is handed: base model, data pool, seed, output folder, budget."""

    pools: Pools
    out_dir: Path
    base_model: str = EMBEDDED_MODEL
    seed: int = 0
    budget: Budget = field(default_factory=Budget)
    responses: Literal["self", "dataset"] = "self"  # where y+ / y- come from (a benchmark setting)
    cache: GenerationCache | bool | None = True
    progress: bool = True
    tokens_generated: int = 0
    _lm: Optional[LoadedModel] = None

    def base_lm(self) -> LoadedModel:
        """The base model, loaded once per context, for generating training data."""
        if self._lm is None:
            self._lm = load_model(self.base_model)
        return self._lm

    def harmful(self) -> list[Record]:
        """H: the first ``budget.n_harmful`` harmful training instructions."""
        return self.pools.harmful_train[: self.budget.n_harmful]

    def benign(self) -> list[Record]:
        """B: the first ``budget.n_benign`` benign training instructions."""
        return self.pools.benign_train[: self.budget.n_benign]

    def generate(self, prompts: Sequence[Prompt], description: str = "generating",
                 lm: LoadedModel | None = None) -> list[str]:
        """Generate with the shared, cached function and count the tokens the data needed."""
        lm = lm or self.base_lm()
        settings = GenerationSettings(max_new_tokens=self.budget.gen_max_new_tokens,
                                      batch_size=self.budget.gen_batch_size, seed=self.seed)
        texts = generate(lm, prompts, settings, cache=self.cache, progress=self.progress, description=description)
        self.tokens_generated += sum(len(lm.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
        return texts


class Aligner(Component):
    """Base class of every alignment method. Subclasses override what they need."""

    kind = "aligner"

    def build_data(self, ctx: Context) -> dict[str, list]:
        """Training data, by stage name. May generate with the base model through ``ctx.generate``."""
        return {}

    def train(self, ctx: Context, data: dict[str, list], out: Path) -> Optional[TrainResult]:
        """Train a LoRA adapter into ``out``; return what it cost, or None when nothing is trained."""
        return None

    def inference_messages(self, prompt: str) -> list[dict[str, str]]:
        """How a prompt is framed at evaluation (a final assistant message is a prefill)."""
        return [{"role": "user", "content": prompt}]

    def postprocess(self, text: str) -> str:
        """Turn a raw generation into the answer that gets judged."""
        return text


ALIGNERS: Registry[type[Aligner]] = Registry("aligner", "alignboard.aligners", "aligners.builtin")
register_aligner = ALIGNERS.register


def get_aligner(name: str, **config: Any) -> Aligner:
    """An aligner instance by name, with its config validated."""
    return ALIGNERS.get(name)(**config)


def template_id(aligner: Aligner) -> str:
    """Short hash of the aligner's inference framing, recorded with every result."""
    return stable_hash([aligner.inference_messages("{prompt}"), aligner.postprocess("{text}")])[:12]


def run_aligner(aligner: Aligner, ctx: Context) -> Artifact:
    """build_data -> train -> artifact.json under ``ctx.out_dir``; empty data fails before training."""
    start = time.time()
    ctx.tokens_generated = 0
    data = aligner.build_data(ctx)
    if data and not any(data.values()):
        raise AlignboardError(f"empty data pool for aligner {aligner.name}: no training examples were built; "
                              "check the pools (n_harmful / n_benign) and the response source")
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    adapter = ctx.out_dir / "adapter"
    result = aligner.train(ctx, data, adapter)
    r = result or TrainResult()
    art = Artifact(aligner=aligner.name, version=aligner.version, config=aligner.config.model_dump(), seed=ctx.seed,
                   adapter=str(adapter) if result is not None else None,
                   cost=TrainingCost(examples=r.examples, tokens_trained=r.tokens_trained,
                                     optimizer_steps=r.optimizer_steps, tokens_generated=ctx.tokens_generated,
                                     wall_seconds=round(time.time() - start, 2)),
                   metrics=r.metrics, inference_template=aligner.inference_messages("{prompt}"),
                   inference_template_id=template_id(aligner))
    atomic_write_json(ctx.out_dir / "artifact.json", art.model_dump())
    return art
