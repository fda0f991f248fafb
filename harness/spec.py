"""Benchmark spec files (TOML), validated once, with errors that name the field."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aligners.api import QUICK_BUDGET, Budget
from harness.assets import EMBEDDED_MODEL
from harness.config import validated
from harness.errors import AlignboardError
from harness.judges import DEFAULT_JUDGE

PRESETS = Path(__file__).parent / "presets"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelSpec(_Strict):
    base: str = Field(EMBEDDED_MODEL, description="embedded model name, local folder or hub id")


class DataSpec(_Strict):
    """The run's pools. Every task evaluates prompts from these pools (a split source's
    evaluation half, an eval source), never from defaults rebuilt elsewhere."""

    split_sources: list[str] = Field(["advbench", "donotanswer", "answer_pairs"],
                                     description="divided by seed into a training and an evaluation half")
    train_sources: list[str] = Field([], description="training only (e.g. a hub dataset's train split)")
    eval_sources: list[str] = Field(["harmbench", "strongreject", "mtbench", "overrefusal"],
                                    description="evaluation only; NAME:SPLIT picks a hub split (pku_saferlhf:test)")
    eval_fraction: float = Field(0.5, gt=0, lt=1)
    responses: Literal["self", "dataset"] = "self"
    verify_judge: Optional[str] = Field(None, description="judge that checks self-made y-/y+ before training; "
                                                          "None = the run's judge, 'none' = unchecked")

    def pool_spec(self):
        """The :class:`~harness.data.pools.PoolSpec` of these settings (split seed 0 for every run)."""
        from harness.data.pools import PoolSpec

        return PoolSpec(tuple(self.split_sources), tuple(self.eval_sources), self.eval_fraction, seed=0,
                        train_sources=tuple(self.train_sources))


class AlignerSpec(_Strict):
    """One leaderboard row: an aligner, its config, and how it is evaluated."""

    name: str
    config: dict[str, Any] = {}
    hint: Optional[bool] = Field(None, description="evaluate with the shared harmlessness hint; None = the "
                                                   "aligner's default (on for mistake_analysis only)")
    label: Optional[str] = Field(None, description="row name; default NAME, with '+hint' when the hint is on")

    def resolved(self) -> tuple[bool, str]:
        """(hint on?, row label) with the aligner's defaults filled in."""
        from aligners.api import ALIGNERS

        hint = self.hint if self.hint is not None else ALIGNERS.get(self.name).default_hint
        return hint, self.label or (f"{self.name}+hint" if hint else self.name)


class ProtocolJudgeSpec(_Strict):
    """``[eval.judges]`` entry: the judge (and its config) that scores one protocol's tasks."""

    judge: Optional[str] = Field(None, description="default: the protocol's own judge")
    config: dict[str, Any] = {}
    max_new_tokens: Optional[int] = Field(None, ge=1, description="answers end after this many new tokens instead of "
                                                                  "the protocol's own length: a deviation, named on "
                                                                  "the leaderboard (quick offline checks)")


class EvalSpec(_Strict):
    tasks: list[str] = ["alignboard_safety_mini", "alignboard_helpfulness_mini"]
    judge: str = DEFAULT_JUDGE
    judge_config: dict[str, Any] = {}
    judges: dict[str, ProtocolJudgeSpec] = Field(
        {}, description="per protocol (harmbench, strongreject, xstest): the judge of its tasks; a protocol task "
                        "not named here is scored by its own protocol judge, every other task by `judge`")
    limit: Optional[int] = Field(None, ge=1)
    batch_size: int = Field(32, ge=1)
    baseline: str = "base"
    max_unjudged: float = Field(0.05, ge=0, le=1, description="a cell with a larger share of answers the judge "
                                                              "could not judge is n/a and fails the run")
    backend: Literal["alignboard", "hf", "vllm"] = Field(
        "alignboard", description="generation backend: alignboard's own (cached), lm-eval's hf, or vLLM on GPUs")


class ResourcesSpec(_Strict):
    """What one stage asks of a Ray cluster (``--executor ray``); the local executor ignores it, and it never
    enters a cache key (it changes where a stage runs, not what it computes)."""

    cpus_per_train: float = Field(1, gt=0)
    gpus_per_train: float = Field(0, ge=0)
    memory_gb_per_train: Optional[float] = Field(None, gt=0, description="None: no memory reservation")
    cpus_per_eval: float = Field(1, gt=0)
    gpus_per_eval: float = Field(0, ge=0)
    memory_gb_per_eval: Optional[float] = Field(None, gt=0)
    max_retries: int = Field(3, ge=0, description="times Ray runs a stage again when its worker dies")


class LoggingSpec(_Strict):
    report_to: list[str] = Field(["tensorboard"], description="trackers of training metrics (transformers' "
                                                              "integrations: tensorboard, wandb, mlflow, ...); "
                                                              "tensorboard writes under ROOT/tensorboard")


class Spec(_Strict):
    """One head-to-head benchmark."""

    name: str
    model: ModelSpec = ModelSpec()
    data: DataSpec = DataSpec()
    budget: Budget = QUICK_BUDGET
    aligners: list[AlignerSpec]
    seeds: list[Annotated[int, Field(ge=0, lt=2**32)]] = [0]
    eval: EvalSpec = EvalSpec()
    resources: ResourcesSpec = ResourcesSpec()
    logging: LoggingSpec = LoggingSpec()

    @field_validator("aligners")
    @classmethod
    def _some(cls, v):
        if not v:
            raise ValueError("list at least one aligner")
        return v

    def judges_table(self) -> dict[str, dict]:
        """``[eval.judges]`` as :func:`harness.evaluation.evaluate` takes it."""
        return {p: c.model_dump(exclude_none=True) for p, c in self.eval.judges.items()}

    def check_names(self) -> None:
        """Unknown aligner, judge, dataset or task: a one-line error listing the known ones."""
        from aligners.api import get_aligner
        from harness.data.sources import get_source
        from harness.evaluation import known_tasks
        from harness.judges import get_judge

        labels = []
        for a in self.aligners:
            self.budget.split(get_aligner(a.name, **a.config).stages(), a.name)  # enough steps for every stage
            labels.append(a.resolved()[1])
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise AlignboardError(f"two aligner rows are labelled {twice[0]!r}; give one of them a distinct label")
        for s in self.data.split_sources + self.data.train_sources + self.data.eval_sources:
            get_source(s)
        get_judge(self.eval.judge, **self.eval.judge_config)
        if self.data.verify_judge not in (None, "none"):
            get_judge(self.data.verify_judge)
        known = known_tasks()
        from harness.evalset import protocols

        for t in self.eval.tasks:
            if t not in known:
                raise AlignboardError(f"unknown task {t!r} in eval.tasks; known: {', '.join(known)}")
        known_protocols = protocols()
        for protocol, choice in self.eval.judges.items():
            if protocol not in known_protocols:
                raise AlignboardError(f"unknown protocol {protocol!r} in [eval.judges]; known: "
                                      f"{', '.join(sorted(known_protocols))}")
            get_judge(choice.judge or known_protocols[protocol], **choice.config)
        from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

        for tracker in self.logging.report_to:
            if tracker not in INTEGRATION_TO_CALLBACK:
                raise AlignboardError(f"unknown tracker {tracker!r} in logging.report_to; known: "
                                      f"{', '.join(sorted(INTEGRATION_TO_CALLBACK))}")
        from harness.evalset import check_sources

        check_sources(self.eval.tasks, self.data.pool_spec())


def load_spec(path_or_preset: str) -> Spec:
    """A spec from a TOML file, a published ``spec.json``, or a shipped preset by name (demo, standard, paper)."""
    p = Path(path_or_preset)
    if not p.is_file():
        preset = PRESETS / f"{path_or_preset}.toml"
        if not preset.is_file():
            names = ", ".join(sorted(x.stem for x in PRESETS.glob("*.toml")))
            raise AlignboardError(f"no spec file {path_or_preset!r}; give a TOML path or a preset: {names}")
        p = preset
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as e:
        raise AlignboardError(f"{p} is not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {e}") from None
    spec = validated(Spec, f"spec {p}", data)
    spec.check_names()
    return spec
