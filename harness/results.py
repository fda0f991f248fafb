"""The typed evaluation result, and the one function that reads lm-eval's output.

lm-eval hands back a nested dict (``results`` keyed ``"metric,filter"``, per-sample
``resps``/``filtered_resps``/``doc``, ``configs``, ``versions``). :meth:`EvalResult.from_lm_eval`
is the only code that knows that shape: entries, leaderboards and renderers read
:class:`EvalResult`, :class:`TaskResult` and :class:`Sample`. When an lm-eval upgrade changes
its output, ``tests/test_results.py`` (fed a recorded output) fails, and this module is
the one to adapt.
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from pydantic import BaseModel, Field

from harness.evalset import TaskInfo
from harness.judges.base import Judgment
from harness.stats import Estimate

_FILTER = "judged"  # the tasks' one filter: every response judged
TURN = ":turn"  # a later turn's sample id: its conversation's id, then this and the turn (":turn2")


class Sample(BaseModel):
    """One judged answer: what was asked, what the model said, the judge's verdict and the metrics from it."""

    id: str
    prompt: str
    response: str
    judgment: Judgment
    metrics: dict[str, Optional[float]]  # None: the judge gave no verdict (never a value)
    template_id: str = "plain"  # how the prompt was framed (aligner template, hint)
    judge_identity: str = ""

    @property
    def judged(self) -> bool:
        return not self.judgment.failed


class TaskResult(BaseModel):
    """One task: its version, declared meaning, generation settings, aggregate metrics and samples."""

    name: str
    version: str
    info: TaskInfo
    generation: dict[str, Any] = {}
    metrics: dict[str, Optional[float]] = {}  # mean over judged answers; None when no answer was judged
    n: int = 0  # answers evaluated
    samples: list[Sample] = Field(default_factory=list)  # empty unless samples were logged
    judge_identity: str = ""  # who scored this task (a protocol task has its own judge)
    protocol: Optional[dict[str, Any]] = None  # how to cite it: protocol, judge model, template sha256, decoding

    @property
    def unjudged(self) -> int:
        """Answers the judge gave no verdict on."""
        return round((self.metrics.get("unparseable") or 0.0) * self.n)

    def with_later_turns(self, later: "TaskResult") -> "TaskResult":
        """This task with the samples of its next turn's pass, each metric averaged again over all of them (every
        metric is a mean over the samples that have a value)."""
        samples = [*self.samples, *later.samples]
        metrics = {}
        for k in dict.fromkeys(k for s in samples for k in s.metrics):
            values = [s.metrics[k] for s in samples if s.metrics.get(k) is not None]
            metrics[k] = sum(values) / len(values) if values else None
        return self.model_copy(update={"samples": samples, "metrics": metrics, "n": self.n + later.n})

    def estimate(self, metric: str, resamples: int = 1000) -> Optional[Estimate]:
        """The metric's mean over the samples that have a value, with its 95% bootstrap CI; the turns of one
        conversation are resampled together. None without logged samples or values."""
        from harness.stats import mean_estimate

        rows = [(s.id.split(TURN)[0], s.metrics.get(metric)) for s in self.samples]
        rows = [(c, v) for c, v in rows if v is not None]
        return mean_estimate([v for _, v in rows], [c for c, _ in rows], resamples)


class EvalResult(BaseModel):
    """What one evaluation of one model produced, over all its tasks."""

    model: str
    model_identity: str
    adapter_identity: Optional[str] = None
    judge: str
    judge_identity: str
    aligner: Optional[str] = None
    backend: str = "alignboard"
    hint: bool = False
    template_id: str = "plain"
    eval_train_overlap: Optional[int] = None  # evaluation prompts found in training (None: not checked)
    lm_eval_version: Optional[str] = None
    tasks: dict[str, TaskResult] = {}

    @classmethod
    def from_lm_eval(cls, res: dict, meta: dict) -> "EvalResult":
        """From ``lm_eval.simple_evaluate``'s output over alignboard tasks and alignboard's own ``meta``
        (model, model_identity, adapter_identity, judge, aligner, backend, eval_train_overlap)."""
        tasks, judge_identity, template_id, hint = {}, None, "plain", False
        for name, values in res["results"].items():
            if name not in res.get("configs", {}):  # a group's aggregate row, not a task
                continue
            config = res["configs"][name]
            samples = [_sample(s) for s in (res.get("samples") or {}).get(name, [])]
            for s, raw in zip(samples, res["samples"][name] if samples else []):
                judge_identity, template_id, hint = s.judge_identity, s.template_id, bool(raw["doc"].get("hint"))
            tasks[name] = TaskResult(
                name=name, version=str(res["versions"][name]),
                info=TaskInfo.from_metadata(name, config.get("metadata") or {}),
                generation=config.get("generation_kwargs") or {},
                metrics={k.split(",")[0]: _number(v) for k, v in values.items()
                         if k.endswith("," + _FILTER) and "_stderr" not in k},
                n=int(res.get("n-samples", {}).get(name, {}).get("effective") or len(samples)), samples=samples)
        return cls(model=meta["model"], model_identity=meta["model_identity"],
                   adapter_identity=meta.get("adapter_identity"), judge=meta["judge"],
                   judge_identity=judge_identity or meta.get("judge_identity") or meta["judge"],
                   aligner=meta.get("aligner"), backend=meta.get("backend", "alignboard"), hint=hint,
                   template_id=template_id, eval_train_overlap=meta.get("eval_train_overlap"),
                   lm_eval_version=res.get("lm_eval_version"), tasks=tasks)


def _number(v: Any) -> Optional[float]:
    """A metric value, or None where there is none (NaN: no answer was judged; "N/A": lm-eval had no stderr)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        return None
    return float(v)


def _sample(s: dict) -> Sample:
    doc = s["doc"]
    judged = s["filtered_resps"][0]  # the doc's one request, after the judging filter: [judgment JSON]
    judged = judged[0] if isinstance(judged, list) else judged
    return Sample(id=doc["id"], prompt=doc["prompt"], response=s["resps"][0][0],
                  judgment=Judgment(**json.loads(judged)), metrics={m: _number(s.get(m)) for m in s["metrics"]},
                  template_id=doc["template_id"], judge_identity=doc["judge_identity"])
