"""One leaderboard entry: a model (base + aligner adapter) scored on tasks, with every judged sample."""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from pydantic import BaseModel, Field

from harness.evalset import TaskInfo

SCHEMA_VERSION = 1


class Sample(BaseModel):
    """One judged response."""

    id: str
    prompt: str
    response: str
    judgment: dict[str, Any]
    metrics: dict[str, Optional[float]]


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
    judge_agreement: Optional[dict[str, Any]] = None
    template_id: str = "plain"
    task_versions: dict[str, str]
    tasks: dict[str, TaskInfo] = {}  # what each task means, as its YAML declared it when it was evaluated
    generation: dict[str, Any]
    cost: Optional[dict[str, Any]] = None
    eval_train_overlap: Optional[int] = None  # evaluation prompts found in training (None: not checked)
    response_checks: Optional[dict[str, Any]] = None  # self-made y-/y+: asked, kept, dropped (None: none or unchecked)
    alignboard_version: str
    samples: dict[str, list[Sample]] = Field(default_factory=dict)

    def comparability_key(self) -> dict[str, Any]:
        """What must be equal for two entries to be ranked together."""
        return {"base_identity": self.base_identity, "judge_identity": self.judge_identity,
                "task_versions": self.task_versions, "generation": self.generation}


def _clean(v: Any) -> Optional[float]:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def from_eval(res: dict, aligner: str, aligner_config: dict, seed: int = 0, cost: Optional[dict] = None,
              label: Optional[str] = None, response_checks: Optional[dict] = None) -> Entry:
    """An entry from ``harness.evaluation.evaluate(..., log_samples=True)`` results."""
    from harness import __version__
    from harness.judges.validate import stored_agreement

    meta = res["alignboard"]
    samples: dict[str, list[Sample]] = {}
    judge_identity, template_id, hint = None, "plain", False
    for task, rows in res["samples"].items():
        out = []
        for s in rows:
            doc = s["doc"]
            judge_identity, template_id, hint = doc["judge_identity"], doc["template_id"], bool(doc.get("hint"))
            judged = s["filtered_resps"][0]
            judged = judged[0] if isinstance(judged, list) else judged
            out.append(Sample(id=doc["id"], prompt=doc["prompt"], response=s["resps"][0][0],
                              judgment=json.loads(judged),
                              metrics={m: _clean(s[m]) for m in s["metrics"] if m in s}))
        samples[task] = out
    gen = {t: res["configs"][t].get("generation_kwargs", {}) for t in res["samples"]}
    tasks = {t: TaskInfo.from_metadata(t, res["configs"][t].get("metadata") or {}) for t in res["samples"]}
    label = label or (f"{aligner}+hint" if hint else aligner)
    return Entry(aligner=aligner, aligner_config=aligner_config, label=label, hint=hint, seed=seed,
                 adapter_identity=meta["adapter_identity"],
                 base_model=meta["model"], base_identity=meta["model_identity"], judge=meta["judge"],
                 judge_identity=judge_identity or meta["judge"], judge_agreement=stored_agreement(judge_identity or ""),
                 template_id=template_id, task_versions={t: str(res["versions"][t]) for t in res["samples"]},
                 tasks=tasks,
                 generation=gen, cost=cost, eval_train_overlap=meta.get("eval_train_overlap"),
                 response_checks=response_checks,
                 alignboard_version=__version__, samples=samples)
