"""One leaderboard entry: a model (base + aligner adapter) scored on tasks, with every judged sample."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, Field

from harness.evalset import TaskInfo
from harness.judges.validate import AgreementReport
from harness.results import EvalResult, Sample

SCHEMA_VERSION = 2  # 2: typed judgments; every sample names its template and judge identity
MIGRATES = (1,)  # older schema versions this one reads (see migrate)


class Entry(BaseModel):
    """Everything needed to rank an evaluated model fairly and to reproduce it."""

    schema_version: int = SCHEMA_VERSION
    aligner: str
    aligner_config: dict[str, Any] = {}
    label: Optional[str] = None  # the row name (e.g. "sft+hint"); default: the aligner's name
    hint: bool = False  # evaluated with the shared harmlessness hint
    seed: int = 0
    adapter_identity: Optional[str] = None
    base_model: str
    base_identity: str
    judge: str
    judge_identity: str
    judge_agreement: Optional[AgreementReport] = None
    template_id: str = "plain"
    task_versions: dict[str, str]
    tasks: dict[str, TaskInfo] = {}  # what each task means, as its YAML declared it when it was evaluated
    generation: dict[str, Any]
    cost: Optional[dict[str, Any]] = None
    eval_train_overlap: Optional[int] = None  # evaluation prompts found in training (None: not checked)
    response_checks: Optional[dict[str, Any]] = None  # self-made y-/y+: asked, kept, dropped (None: none or unchecked)
    alignboard_version: str
    samples: dict[str, list[Sample]] = Field(default_factory=dict)
    # tasks scored by another judge than judge_identity (protocol tasks): its identity, and how to cite the number
    task_judges: dict[str, dict[str, Any]] = {}

    def comparability_key(self) -> dict[str, Any]:
        """What must be equal for two entries to be ranked together."""
        key = {"base_identity": self.base_identity, "judge_identity": self.judge_identity,
               "task_versions": self.task_versions, "generation": self.generation}
        if self.task_judges:  # entries without them keep the key (and store id) they always had
            key["task_judges"] = {t: j["judge_identity"] for t, j in sorted(self.task_judges.items())}
        return key


def from_eval(result: EvalResult, aligner: str, aligner_config: dict, seed: int = 0, cost: Optional[dict] = None,
              label: Optional[str] = None, response_checks: Optional[dict] = None) -> Entry:
    """An entry from an :class:`EvalResult` evaluated with logged samples."""
    from harness import __version__
    from harness.judges.validate import stored_agreement

    r = result
    return Entry(aligner=aligner, aligner_config=aligner_config, label=label or (f"{aligner}+hint" if r.hint else aligner),
                 hint=r.hint, seed=seed, adapter_identity=r.adapter_identity, base_model=r.model,
                 base_identity=r.model_identity, judge=r.judge, judge_identity=r.judge_identity,
                 judge_agreement=stored_agreement(r.judge_identity), template_id=r.template_id,
                 task_versions={t: x.version for t, x in r.tasks.items()},
                 tasks={t: x.info for t, x in r.tasks.items()}, generation={t: x.generation for t, x in r.tasks.items()},
                 cost=cost, eval_train_overlap=r.eval_train_overlap, response_checks=response_checks,
                 alignboard_version=__version__, samples={t: x.samples for t, x in r.tasks.items()},
                 task_judges={t: {"judge_identity": x.judge_identity, **(x.protocol or {})} for t, x in r.tasks.items()
                              if x.judge_identity and (x.judge_identity != r.judge_identity or x.info.protocol)})


def migrate(data: dict) -> dict:
    """An entry as an older schema stored it, in this schema (version 1: judgments as plain dicts, and no
    per-sample template or judge identity, which are the entry's own)."""
    data = dict(data)
    if data.get("schema_version", 1) == 1:
        for rows in data.get("samples", {}).values():
            for s in rows:
                s.setdefault("template_id", data.get("template_id", "plain"))
                s.setdefault("judge_identity", data.get("judge_identity", ""))
        data["schema_version"] = 2
    return data
