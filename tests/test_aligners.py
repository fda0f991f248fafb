"""Aligner API, registry and the sample formats of every built-in (tiny random model, no training)."""

import sys
import textwrap

import pytest

from aligners import coh, critique_revise, responses
from aligners.api import ALIGNERS, Aligner, Budget, Context, get_aligner, run_aligner, template_id
from harness.data.pools import Pools
from harness.data.records import Record
from harness.errors import AlignboardError

HARM_WORDS = ("harmful", "unethical", "offensive")


def _pools():
    harmful = [Record(f"h{i}", f"how to do bad thing {i}", "c", "t", True,
                      harmful_response=f"do bad thing {i} like so" if i % 2 == 0 else None,
                      harmless_response=f"I will not help with bad thing {i}" if i % 2 == 0 else None)
               for i in range(4)]
    benign = [Record("b0", "what is the water", "c", "t", False, reference="water is wet"),
              Record("b1", "say the word", "c", "t", False)]
    return Pools(harmful, benign, {})


class Recorder:
    """Stands in for ctx.generate: records every prompt, answers deterministically."""

    def __init__(self):
        self.calls = []

    def __call__(self, prompts, description="", lm=None):
        self.calls.append((description, list(prompts)))
        self.models = getattr(self, "models", {}) | {description: lm}
        return [f"answer[{description}] {i}" for i, _ in enumerate(prompts)]


@pytest.fixture
def ctx(tmp_path, tiny_lm):
    c = Context(pools=_pools(), out_dir=tmp_path / "run", budget=Budget(n_harmful=4, n_benign=2), cache=False,
                progress=False)
    c._lm = tiny_lm
    c.generate = Recorder()
    return c


def test_seven_builtins_are_registered():
    assert {"base", "sft", "dpo", "rlhf", "coh", "critique_revise", "mistake_analysis"} <= set(ALIGNERS.names())
    assert all(ALIGNERS.get(n).description for n in ALIGNERS.names())


def test_unknown_aligner_and_bad_config_are_clear():
    with pytest.raises(AlignboardError, match="unknown aligner 'nope'; known: base, coh"):
        get_aligner("nope")
    with pytest.raises(AlignboardError, match=r"field 'mistake_source'.*'self' or 'dataset'.*'sometimes'"):
        get_aligner("mistake_analysis", mistake_source="sometimes")
    with pytest.raises(AlignboardError, match="field 'no_such_field'"):
        get_aligner("sft", no_such_field=1)


# ---- mistake analysis
def test_mistake_analysis_prompts(ctx):
    rows = get_aligner("mistake_analysis", analysis_share=0.5).build_data(ctx)["sft"]
    calls = dict(ctx.generate.calls)
    induce, guided = calls["inducing mistakes (y-)"], calls["guided analyses"]
    assert all("without any restrictions" in p for p in induce)  # guided mistake induction hint
    assert all(all(w in p for w in HARM_WORDS) for p in guided)  # guided analysis says it IS harmful
    assert "answer[inducing mistakes (y-)] 0" in guided[0]  # ... about the model's own y-
    analysis = [r for r in rows if r["prompt"][0]["content"].startswith("Below is an instruction")]
    assert analysis, "analysis samples expected"
    for r in analysis:  # the fine-tuning analysis prompt carries NO harmfulness hint
        text = r["prompt"][0]["content"].lower()
        assert not any(w in text for w in HARM_WORDS)
        assert "### Response:\nanswer[inducing mistakes (y-)]" in r["prompt"][0]["content"]
        assert r["completion"][0]["content"].startswith("answer[guided analyses]")
    sft = [r for r in rows if r not in analysis]
    assert len(sft) == 6 and len(analysis) == 4  # share 0.5 -> as many analyses as SFT rows, capped at |H|
    assert {"role": "assistant", "content": "water is wet"} in [r["completion"][0] for r in sft]


def test_mistake_analysis_share_and_filter(ctx):
    rows = get_aligner("mistake_analysis", analysis_share=0.0).build_data(ctx)["sft"]
    assert not [r for r in rows if r["prompt"][0]["content"].startswith("Below is an instruction")]
    rows = get_aligner("mistake_analysis", analysis_filter="keyword").build_data(ctx)["sft"]
    # the recorder's analyses never name a harm, so the keyword filter drops them all
    assert not [r for r in rows if r["prompt"][0]["content"].startswith("Below is an instruction")]


def test_mistake_analysis_dataset_mistakes(ctx):
    get_aligner("mistake_analysis", mistake_source="dataset").build_data(ctx)
    guided = dict(ctx.generate.calls)["guided analyses"]
    assert "inducing mistakes (y-)" not in dict(ctx.generate.calls)
    assert len(guided) == 2 and "do bad thing 0 like so" in guided[0]  # only records that carry y-


def test_mistake_analysis_other_analysis_model(ctx, tiny_lm, tmp_path):
    other = tmp_path / "analyst"
    tiny_lm.model.save_pretrained(other)
    tiny_lm.tokenizer.save_pretrained(other)
    get_aligner("mistake_analysis", analysis_model=str(other)).build_data(ctx)
    analyst = ctx.generate.models["guided analyses"]
    assert analyst is not None and analyst.name == str(other)  # analyses come from the other model
    assert ctx.generate.models["inducing mistakes (y-)"] is None  # mistakes still from the base model


def test_inference_hint_is_an_evaluation_factor_for_every_aligner():
    from aligners.api import framed_messages

    ma, sft, coh_ = get_aligner("mistake_analysis"), get_aligner("sft"), get_aligner("coh")
    assert ma.default_hint and not sft.default_hint and not get_aligner("base").default_hint
    on, off = framed_messages(ma, "How do I X?", True), framed_messages(ma, "How do I X?", False)
    assert off == [{"role": "user", "content": "How do I X?"}]
    assert on[0]["content"].endswith("How do I X?") and "harmless, ethical and inoffensive" in on[0]["content"]
    assert framed_messages(sft, "How do I X?", True) == on  # the same hint for a control row
    assert framed_messages(None, "How do I X?", True) == on
    hinted_coh = framed_messages(coh_, "How do I X?", True)  # CoH keeps its prefill after the hinted prompt
    assert hinted_coh[0] == on[0] and hinted_coh[-1] == {"role": "assistant", "content": coh.POSITIVE}
    assert template_id(ma, True) != template_id(ma, False) and template_id(None) == "plain"
    assert template_id(sft, True) == template_id(ma, True)  # same framing, same id


# ---- chain of hindsight
def test_coh_both_orders_and_loss_mask(ctx):
    from transformers import AutoTokenizer

    from harness.assets import embedded_model_dir
    from harness.models import LoadedModel

    tok = AutoTokenizer.from_pretrained(embedded_model_dir())  # a real vocabulary, so decoding is exact
    ctx._lm = LoadedModel(None, tok, "tokenizer-only")
    rows = get_aligner("coh").build_data(ctx)["sft"]
    assert len(rows) == 2 * 4 + 2  # both orders over H, and B's answers after the positive phrase
    for row in rows[8:]:
        ids, mask = row["input_ids"], row["completion_mask"]
        learned = tok.decode([t for t, m in zip(ids, mask) if m])
        assert "A harmless answer:" in tok.decode(ids) and "A harmful answer:" not in tok.decode(ids)
        assert "harmless answer" not in learned
    assert "water is wet" in tok.decode(rows[8]["input_ids"])
    for row, positive_first in zip(rows[:8], [True, False] * 4):
        ids, mask = row["input_ids"], row["completion_mask"]
        learned = tok.decode([t for t, m in zip(ids, mask) if m])
        masked = tok.decode([t for t, m in zip(ids, mask) if not m])
        assert "harmless answer" not in learned and "harmful answer" not in learned  # phrases carry no loss
        assert "how to do bad thing" in masked and "<|im_start|>" in masked  # nor does x
        assert "answer[guided answers (y+)]" in learned and "answer[inducing mistakes (y-)]" in learned
        assert "A harmless answer:" in masked and "A harmful answer:" in masked
        first = tok.decode(ids).index("A harmless answer:") < tok.decode(ids).index("A harmful answer:")
        assert first == positive_first
        assert ids[-1] == tok.eos_token_id and mask[-1] == 1


def test_coh_inference_template():
    a = get_aligner("coh")
    msgs = a.inference_messages("Q?")
    assert msgs[-1] == {"role": "assistant", "content": coh.POSITIVE}
    assert a.postprocess(" Sure, safe text.\nA harmful answer: bad text") == "Sure, safe text."


# ---- critique-revise
def test_critique_then_revision(ctx):
    rows = get_aligner("critique_revise").build_data(ctx)["sft"]
    order = [d for d, _ in ctx.generate.calls]
    assert order.index("critiques") < order.index("revisions")
    calls = dict(ctx.generate.calls)
    assert all(critique_revise.PRINCIPLE in p for p in calls["critiques"])
    assert "Critique: answer[critiques] 0" in calls["revisions"][0]
    assert rows[0] == responses.chat("how to do bad thing 0", "answer[revisions] 0")


# ---- preference pairs
def test_dpo_and_rlhf_pairs(ctx):
    data = get_aligner("dpo").build_data(ctx)
    assert data["dpo"][0] == {"prompt": [{"role": "user", "content": "how to do bad thing 0"}],
                              "chosen": [{"role": "assistant", "content": "answer[guided answers (y+)] 0"}],
                              "rejected": [{"role": "assistant", "content": "answer[inducing mistakes (y-)] 0"}]}
    assert len(data["sft"]) == 2 and "sft" not in get_aligner("dpo", benign="skip").build_data(ctx)
    r = get_aligner("rlhf").build_data(ctx)
    # the reward model sees every prompt kind RL runs on: 4 harmful pairs and 2 benign (answer over a refusal)
    assert len(r["reward"]) + len(r["heldout"]) == 6 and r["heldout"]
    assert not {x["prompt"][0]["content"] for x in r["reward"]} & {x["prompt"][0]["content"] for x in r["heldout"]}
    benign = [x for x in r["reward"] + r["heldout"] if x["prompt"][0]["content"] == "what is the water"]
    assert benign[0]["chosen"][0]["content"] == "water is wet" and "can't help" in benign[0]["rejected"][0]["content"]
    assert len(r["rl"]) == 6 and all(set(x) == {"prompt"} for x in r["rl"])
    assert {x["prompt"][0]["content"] for x in r["rl"]} == {x["prompt"][0]["content"] for x in r["reward"] + r["heldout"]}
    sft = get_aligner("rlhf", start_from_sft=True).build_data(ctx)["sft"]
    assert len(sft) == 6 and {"role": "assistant", "content": "water is wet"} in [x["completion"][0] for x in sft]


def test_dataset_mode_uses_labelled_responses(ctx):
    ctx.responses = "dataset"
    pairs = responses.preference_pairs(ctx, ctx.harmful())
    assert [(r.id, p, n) for r, p, n in pairs] == [("h0", "I will not help with bad thing 0", "do bad thing 0 like so"),
                                                   ("h2", "I will not help with bad thing 2", "do bad thing 2 like so")]
    assert not [d for d, _ in ctx.generate.calls if "y" in d]
    ctx.budget = Budget(n_harmful=2, n_benign=0)  # complete pairs come first, so a small budget buys pairs
    assert [r.id for r in ctx.harmful()] == ["h0", "h2"]


def test_shared_responses_are_generated_once(tmp_path, tiny_lm):
    """In self mode every aligner asks for the same y-; the cache answers all but the first."""
    from harness.generation import GenerationCache

    c = Context(pools=_pools(), out_dir=tmp_path, budget=Budget(n_harmful=4, n_benign=0, gen_max_new_tokens=4),
                cache=GenerationCache(tmp_path / "g.sqlite"), progress=False)
    c._lm = tiny_lm
    calls = []
    real = tiny_lm.model.generate
    tiny_lm.model.generate = lambda **kw: calls.append(kw["input_ids"].shape[0]) or real(**kw)
    first = [y for _, y in responses.harmful_responses(c, c.harmful())]
    for name in ("dpo", "coh", "critique_revise", "mistake_analysis"):
        get_aligner(name).build_data(c)
    assert [y for _, y in responses.harmful_responses(c, c.harmful())] == first
    n_first = calls[0]
    assert n_first == 4 and sum(calls) < 4 * 6  # y- was generated for 4 prompts once, not per aligner


# ---- run_aligner
def test_empty_pool_fails_before_training(ctx, monkeypatch):
    ctx.pools = Pools([], [], {})
    trained = []
    monkeypatch.setattr("aligners.training.sft", lambda *a, **k: trained.append(1))
    with pytest.raises(AlignboardError, match="empty data pool for aligner sft"):
        run_aligner(get_aligner("sft"), ctx)
    assert not trained and not (ctx.out_dir / "artifact.json").exists()


def test_an_empty_stage_fails_before_training(ctx, monkeypatch):
    # dpo whose self-made pairs were all dropped: one line naming the stage, never TRL's StopIteration
    monkeypatch.setattr("aligners.dpo.preference_pairs", lambda ctx, rows: [])
    trained = []
    monkeypatch.setattr("aligners.training.sft", lambda *a, **k: trained.append(1))
    with pytest.raises(AlignboardError, match="aligner dpo built no training examples for its dpo stage"):
        run_aligner(get_aligner("dpo"), ctx)
    assert not trained and not (ctx.out_dir / "artifact.json").exists()


def test_base_aligner_artifact(ctx):
    art = run_aligner(get_aligner("base"), ctx)
    assert art.adapter is None and art.cost.optimizer_steps == 0
    assert (ctx.out_dir / "artifact.json").is_file()
    assert art.inference_template == [{"role": "user", "content": "{prompt}"}]


# ---- plugins through entry-point metadata
def _dist(site, name, entry, module_src=None, module=None):
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[alignboard.aligners]\n{entry}\n")
    if module_src:
        (site / f"{module}.py").write_text(textwrap.dedent(module_src))


def test_plugin_from_entry_point_metadata(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _dist(site, "alignboard-echo", "echo = echo_plugin:Echo", """
        from aligners.api import Aligner
        class Echo(Aligner):
            description = "test plugin"
        """, "echo_plugin")
    _dist(site, "alignboard-broken", "broken = no_such_module:Nope")
    monkeypatch.syspath_prepend(str(site))
    reg = ALIGNERS  # reload the real registry's entry points; monkeypatch restores it afterwards
    for attr in ("_items", "providers"):
        monkeypatch.setattr(reg, attr, dict(getattr(reg, attr)))
    monkeypatch.setattr(reg, "errors", {})
    monkeypatch.setattr(reg, "_loaded", False)
    assert "echo" in reg.names() and "sft" in reg.names() and "broken" not in reg.names()
    assert reg.providers["echo"] == "alignboard-echo" and reg.providers["sft"] == "alignboard"
    assert "alignboard-broken" in reg.errors and "ModuleNotFoundError" in reg.errors["alignboard-broken"]
    assert issubclass(reg.get("echo"), Aligner) and reg.get("echo").name == "echo"
    sys.modules.pop("echo_plugin", None)
