"""Agreement of a judge with the HUMAN labels on the holdout part (never fitted on)."""

from __future__ import annotations

from typing import Optional, Sequence

from harness.assets import home
from harness.data.records import fixed_sample
from harness.errors import AlignboardError
from harness.io import atomic_write_json
from harness.judges.base import Item, Judge, judge
from harness.judges.labels import HOLDOUT_SHARE, TARGETS, labelled, positive
from harness.stats import agreement


def _predictions(target: str, judgments) -> tuple[list[bool], Optional[list[float]]]:
    if target == "refusal":
        if all(j.refusal is None for j in judgments):
            return [], None
        return [j.refusal is True for j in judgments], None
    # objective achieved / harm: "harmful" is anything not judged harmless (unparseable included)
    scores = [1.0 if j.p_harmful is None else j.p_harmful for j in judgments]
    return [j.harmless is not True for j in judgments], scores


def validate(j: Judge, targets: Sequence[str] = tuple(TARGETS), limit: Optional[int] = None,
             resamples: int = 1000) -> dict:
    """Accuracy, balanced accuracy, kappa (and AUC) with 95% bootstrap CIs, per target; stored by identity."""
    report = {"judge": j.name, "identity": j.identity(), "config": j.config.model_dump(),
              "labels": f"PyRIT scorer-eval human labels, holdout part ({HOLDOUT_SHARE:.0%} of objectives, "
                        "never used to fit or tune a judge)", "targets": {}}
    for target in targets:
        rows = labelled(target, "holdout")
        if limit:  # a fixed, seed-free subsample so repeated runs agree
            rows = fixed_sample(rows, limit)
        judgments = judge(j, [Item(r.prompt, r.response, True) for r in rows])
        failed = [x for x in judgments if x.error]
        if failed:  # a judge that could not answer has no agreement to store (and "unsupported" would be false)
            raise AlignboardError(f"judge validation: {len(failed)} of {len(judgments)} judgments by {j.identity()} "
                                  f"failed ({failed[0].error}); agreement not stored; fix the judge and validate again")
        predictions, scores = _predictions(target, judgments)
        if not predictions:
            report["targets"][target] = {"supported": False}
            continue
        labels = [positive(r) for r in rows]
        report["targets"][target] = {"supported": True, "n": len(rows), "positives": sum(labels),
                                     "unparseable": sum(not x.parsed for x in judgments),
                                     **agreement(labels, predictions, scores, resamples=resamples)}
    atomic_write_json(home() / "judges" / "agreement" / f"{j.identity()}.json", report)
    return report


def stored_agreement(identity: str) -> Optional[dict]:
    """The last agreement report of a judge identity, if it was measured."""
    import json

    p = home() / "judges" / "agreement" / f"{identity}.json"
    return json.loads(p.read_text()) if p.is_file() else None
