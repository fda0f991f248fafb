"""The aligner protocol: one budget over every training stage, and self-made data judged before training."""

import pytest

from aligners import responses
from aligners.api import Budget, get_aligner, run_aligner
from harness.errors import AlignboardError
from test_aligners import ctx  # noqa: F401 (a fixture)


# ---- one budget unit: total optimizer steps over every stage
def test_budget_splits_steps_over_stages_and_never_doubles():
    b = Budget(max_steps=5)
    assert b.split(["sft", "dpo"]) == {"sft": 2, "dpo": 3} and b.split(["sft"]) == {"sft": 5} and b.split([]) == {}
    assert sum(Budget(max_steps=7).split(get_aligner("rlhf", start_from_sft=True).stages()).values()) == 7
    with pytest.raises(AlignboardError, match=r"budget.max_steps=1 is less than the 2 training stages of dpo"):
        Budget(max_steps=1).split(get_aligner("dpo").stages(), "dpo")


@pytest.mark.parametrize("preset", ["demo", "standard", "paper"])
def test_presets_give_every_aligner_the_same_total_steps(preset):
    from harness.spec import load_spec

    spec = load_spec(preset)
    totals = {a.name: sum(spec.budget.split(get_aligner(a.name, **a.config).stages()).values()) for a in spec.aligners}
    assert totals.pop("base") == 0 and set(totals.values()) == {spec.budget.max_steps}


def test_a_stage_outside_the_declared_ones_is_refused(ctx):
    from aligners import training

    ctx.steps = {"sft": 4}
    with pytest.raises(AlignboardError, match="training stage 'dpo' is not among the aligner's declared stages"):
        training._steps(ctx, "dpo")


# ---- self-made data is judged before it is trained on
class Scripted:
    """ctx.generate stand-in: refusals for some prompts at first; a retry (sampling) writes a compliant answer."""

    def __init__(self, refuse_always=(), refuse_first=()):
        self.refuse_always, self.refuse_first, self.calls = set(refuse_always), set(refuse_first), []

    def __call__(self, prompts, description="", lm=None, temperature=0.0, attempt=0):
        self.calls.append((description, len(prompts), temperature, attempt))
        out = []
        for p in prompts:
            i = int(p.split("bad thing ")[1].split()[0]) if "bad thing " in p else -1
            refuse = i in self.refuse_always or (i in self.refuse_first and attempt == 0)
            out.append("I'm sorry, I can't help with that." if refuse else f"Sure: step one for thing {i}.")
        return out


def test_a_refusal_is_never_used_as_a_mistake(ctx, home):
    from harness.judges import get_judge

    ctx.verifier, ctx.verify_retries = get_judge("keyword"), 2
    ctx.generate = Scripted(refuse_always={1}, refuse_first={2})
    pairs = responses.harmful_responses(ctx, ctx.harmful())
    assert [r.id for r, _ in pairs] == ["h0", "h2", "h3"]  # h1 refused every time: dropped
    assert not any("sorry" in y.lower() for _, y in pairs)
    assert ctx.response_checks["y-"] == {"asked": 4, "kept": 3, "dropped": 1, "regenerated": 3,
                                         "judge": get_judge("keyword").identity()}
    retries = [c for c in ctx.generate.calls if c[3] > 0]
    assert retries == [("inducing mistakes (y-), retry 1", 2, 1.0, 1), ("inducing mistakes (y-), retry 2", 1, 1.0, 2)]
    # y+ must be judged harmless: a compliant answer to a harmful request is no y+
    ctx.generate = Scripted(refuse_always={0, 1, 2, 3})
    assert len(responses.harmless_responses(ctx, ctx.harmful())) == 4
    ctx.generate = Scripted(refuse_always={0})
    assert [r.id for r, _ in responses.harmless_responses(ctx, ctx.harmful())] == ["h0"]
    assert ctx.response_checks["y+"]["dropped"] == 3


def test_checks_reach_the_artifact(ctx, home, monkeypatch):
    import json

    from aligners.api import TrainResult
    from harness.judges import get_judge

    ctx.verifier = get_judge("keyword")
    ctx.generate = Scripted(refuse_always={3})
    monkeypatch.setattr("aligners.training.sft", lambda c, rows, **k: (None, TrainResult(examples=len(rows))))
    monkeypatch.setattr("aligners.training.save_adapter", lambda model, out: None)
    art = run_aligner(get_aligner("mistake_analysis"), ctx)
    saved = json.loads((ctx.out_dir / "artifact.json").read_text())
    assert saved["response_checks"]["y-"]["kept"] == 3 and saved["response_checks"]["y-"]["asked"] == 4
    assert art.response_checks["y+"] == {"asked": 4, "kept": 1, "dropped": 3, "regenerated": 6,
                                         "judge": get_judge("keyword").identity()}
    assert run_aligner(get_aligner("base"), ctx).response_checks is None  # base makes no data
    ctx.verifier = None  # self-made data without a judge is recorded as unchecked, not as all kept
    unchecked = run_aligner(get_aligner("sft"), ctx).response_checks["y+"]
    assert unchecked == {"asked": 4, "kept": None, "dropped": None, "regenerated": 0, "judge": None}


def test_mistake_analysis_filter_accepts_any_judge(ctx, home):
    from harness.judges import Judge, Judgment, register_judge

    @register_judge("test_harm_words")
    class HarmWords(Judge):  # a stand-in registered judge: harmful unless it talks about harm; refusals refuse
        def judge_batch(self, items):
            return [Judgment(refusal="sorry" in it.response.lower(),
                             harmless="harm" in it.response.lower() or "sorry" in it.response.lower())
                    for it in items]

    with pytest.raises(AlignboardError, match="field 'analysis_filter'.*'keyword' or a judge"):
        get_aligner("mistake_analysis", analysis_filter="nonesuch")
    rows = get_aligner("mistake_analysis", analysis_filter="keyword").build_data(ctx)["sft"]
    ma = get_aligner("mistake_analysis", analysis_filter="test_harm_words")
    kept = ma._filtered([(ctx.pools.harmful_train[0], "y", "This response is harmful because it explains a crime; "
                          "a responsible answer declines and points to legal help."),
                         (ctx.pools.harmful_train[1], "y", "I'm sorry, I can't help with that."),
                         (ctx.pools.harmful_train[2], "y", "Step one: buy the tools. Step two: go at night.")])
    assert len(kept) == 1 and kept[0][2].startswith("This response is harmful")  # refusal and repetition dropped
    assert rows  # the keyword filter still works
