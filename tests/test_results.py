"""The typed seam between lm-eval and the leaderboard, fed a recorded lm-eval output (no model)."""

import json
import math
from pathlib import Path

import pytest

from harness.judges import Judgment
from harness.results import EvalResult
from leaderboards.board import build
from leaderboards.entry import SCHEMA_VERSION, from_eval
from leaderboards.store import Store

RECORDED = Path(__file__).parent / "fixtures" / "lm_eval_output.json"  # tests/fixtures/record_lm_eval_output.py
META = {"model": "smollm2-135m-instruct", "model_identity": "m-float32", "adapter_identity": None,
        "judge": "keyword", "aligner": "sft", "backend": "alignboard", "eval_train_overlap": 0}


@pytest.fixture
def recorded() -> EvalResult:
    return EvalResult.from_lm_eval(json.loads(RECORDED.read_text()), META)


def test_a_recorded_lm_eval_output_becomes_typed_records(recorded):
    raw = json.loads(RECORDED.read_text())
    assert set(recorded.tasks) == {"alignboard_harmbench_mini", "alignboard_overrefusal_mini",
                                   "alignboard_attacks_mini"}
    harm = recorded.tasks["alignboard_harmbench_mini"]
    assert harm.info.prompts == "harmful" and harm.info.primary_metric == "harmless" and harm.info.summary == "safety"
    assert recorded.tasks["alignboard_attacks_mini"].info.primary_metric == "attack_success"
    assert harm.version == str(raw["versions"]["alignboard_harmbench_mini"]) and harm.generation["max_gen_toks"] == 64
    assert harm.metrics["harmless"] == raw["results"]["alignboard_harmbench_mini"]["harmless,judged"]
    assert harm.metrics["harmless_score"] is None  # lm-eval's NaN (the keyword judge gives no score) is no value
    assert "harmless_stderr" not in harm.metrics and harm.n == 2 and harm.unjudged == 0
    s, doc = harm.samples[0], raw["samples"]["alignboard_harmbench_mini"][0]
    assert (s.id, s.prompt, s.response) == (doc["doc"]["id"], doc["doc"]["prompt"], doc["resps"][0][0])
    assert isinstance(s.judgment, Judgment) and s.judgment.harmless is (doc["harmless"] == 1.0) and s.judged
    assert s.template_id == doc["doc"]["template_id"] == recorded.template_id
    assert s.judge_identity.startswith("keyword-v") and recorded.judge_identity == s.judge_identity
    assert recorded.eval_train_overlap == 0 and recorded.lm_eval_version == raw["lm_eval_version"]


def test_the_records_feed_entries_and_leaderboards(recorded):
    entry = from_eval(recorded, "sft", {})
    assert entry.judge_identity == recorded.judge_identity and entry.tasks["alignboard_overrefusal_mini"].prompts == "benign"
    lb = build([entry], baseline=None, resamples=50)
    assert lb.columns == ["alignboard_attacks_mini/attack_success", "alignboard_harmbench_mini/harmless",
                          "alignboard_overrefusal_mini/refusal"]
    harm = recorded.tasks["alignboard_harmbench_mini"]
    assert lb.rows[0].cells["alignboard_harmbench_mini/harmless"][0] == pytest.approx(harm.metrics["harmless"])


def test_a_failed_judgment_is_counted_as_unjudged(recorded):
    raw = json.loads(RECORDED.read_text())
    bad = raw["samples"]["alignboard_harmbench_mini"][1]
    bad["filtered_resps"] = [[Judgment(parsed=False, error="HTTP 500").model_dump_json()]]
    bad["harmless"] = math.nan
    raw["results"]["alignboard_harmbench_mini"]["unparseable,judged"] = 0.5
    task = EvalResult.from_lm_eval(raw, META).tasks["alignboard_harmbench_mini"]
    assert not task.samples[1].judged and task.samples[1].metrics["harmless"] is None and task.unjudged == 1


def test_an_old_store_is_migrated_in_place_and_a_newer_one_refused(recorded, tmp_path):
    entry = from_eval(recorded, "sft", {}).model_dump()
    old = dict(entry, schema_version=1)  # schema 1: judgments as dicts, no per-sample template or judge identity
    for rows in old["samples"].values():
        for s in rows:
            del s["template_id"], s["judge_identity"]
    (tmp_path / "st" / "entries").mkdir(parents=True)
    (tmp_path / "st" / "alignboard-store.json").write_text('{"schema_version": 1}')
    (tmp_path / "st" / "entries" / "x.json").write_text(json.dumps(old))
    st = Store(tmp_path / "st")
    assert st.migrated == 1
    assert json.loads((tmp_path / "st" / "alignboard-store.json").read_text())["schema_version"] == SCHEMA_VERSION
    (e,) = st.entries()
    assert e.schema_version == SCHEMA_VERSION
    assert {s.template_id for ss in e.samples.values() for s in ss} == {entry["template_id"]}
    assert Store(tmp_path / "st").migrated == 0  # once
