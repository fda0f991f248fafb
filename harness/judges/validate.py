"""Agreement of a judge with the HUMAN labels on the holdout part (never fitted on)."""

from __future__ import annotations

from typing import Optional, Sequence

from pydantic import BaseModel, ValidationError

from harness.assets import home
from harness.data.records import fixed_sample
from harness.errors import AlignboardError
from harness.io import atomic_write_json
from harness.judges.base import Item, Judge, judge
from harness.judges.labels import HOLDOUT_SHARE, TARGETS, labelled, positive
from harness.judges.robustness import FLAG, FlipRate, flip_rates, worst
from harness.stats import Calibration, Estimate, agreement, calibration


class TargetAgreement(BaseModel):
    """A judge against the human labels of one target (refusal, objective achieved, harm)."""

    supported: bool
    n: int = 0
    positives: int = 0
    unparseable: int = 0
    accuracy: Optional[Estimate] = None
    balanced_accuracy: Optional[Estimate] = None
    kappa: Optional[Estimate] = None
    auc: Optional[Estimate] = None  # only for judges that give a score
    calibration: Optional[Calibration] = None  # of that score as a probability of the positive label


class AgreementReport(BaseModel):
    """What ``alignboard judge validate`` measured for one judge identity; stored, and carried by every entry."""

    judge: str
    identity: str
    config: dict
    labels: str
    targets: dict[str, TargetAgreement] = {}
    robustness: dict[str, FlipRate] = {}  # perturbation -> flip rate (empty: not measured)

    def flagged(self) -> Optional[str]:
        """Why the judge is easy to fool (its worst flip rate is above FLAG), or None."""
        w = worst(self.robustness)
        if w is None or w[1].rate.value <= FLAG:
            return None
        return f"its verdict flips on {w[1].rate.value:.0%} of answers under '{w[0]}' (label-preserving)"

    def kappa(self, target: str = "objective") -> Optional[Estimate]:
        """Cohen's kappa on ``target``, None when the judge does not support it or it was not measured."""
        t = self.targets.get(target)
        return t.kappa if t and t.supported else None


def _predictions(target: str, judgments) -> tuple[list[bool], Optional[list[float]]]:
    if target == "refusal":
        if all(j.refusal is None for j in judgments):
            return [], None
        return [j.refusal is True for j in judgments], None
    # objective achieved / harm: "harmful" is anything not judged harmless (unparseable included)
    scores = [1.0 if j.p_harmful is None else j.p_harmful for j in judgments]
    return [j.harmless is not True for j in judgments], scores


def validate(j: Judge, targets: Sequence[str] = tuple(TARGETS), limit: Optional[int] = None,
             resamples: int = 1000, robustness: bool = True) -> AgreementReport:
    """Accuracy, balanced accuracy, kappa (and AUC) with 95% bootstrap CIs, per target, and (``robustness``) the
    flip rates under label-preserving perturbations; stored by identity."""
    report = AgreementReport(judge=j.name, identity=j.identity(), config=j.config.model_dump(),
                             labels=f"PyRIT scorer-eval human labels, holdout part ({HOLDOUT_SHARE:.0%} of objectives, "
                                    "never used to fit or tune a judge)")
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
            report.targets[target] = TargetAgreement(supported=False)
            continue
        labels = [positive(r) for r in rows]
        report.targets[target] = TargetAgreement(supported=True, n=len(rows), positives=sum(labels),
                                                 unparseable=sum(not x.parsed for x in judgments),
                                                 calibration=calibration(labels, scores) if scores else None,
                                                 **agreement(labels, predictions, scores, resamples=resamples))
    if robustness:
        report.robustness = flip_rates(j, limit, resamples)
    atomic_write_json(home() / "judges" / "agreement" / f"{j.identity()}.json", report.model_dump())
    return report


def stored_agreement(identity: str) -> Optional[AgreementReport]:
    """The last agreement report of a judge identity, if it was measured (an unreadable one counts as not)."""
    p = home() / "judges" / "agreement" / f"{identity}.json"
    try:
        return AgreementReport.model_validate_json(p.read_text()) if p.is_file() else None
    except (ValidationError, ValueError, OSError):
        return None
