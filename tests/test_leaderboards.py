"""Leaderboards: store, comparability, statistics, renderers and publishing (synthetic entries, no model)."""

import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from harness.errors import AlignboardError
from harness.evalset import TaskInfo
from harness.judges import Judgment
from leaderboards.board import build
from leaderboards.entry import Entry, Sample
from leaderboards.publish import publish
from leaderboards.render import to_csv, to_json, to_markdown
from leaderboards.report import to_html
from leaderboards.stats import mean_ci, paired_difference
from leaderboards.store import Store


def entry(aligner, harmless_rate, helpful=5.0, n=40, seed=0, judge="keyword-v1-x", response="ok", **kw):
    rng = np.random.default_rng(seed + len(aligner))
    harm = [Sample(id=f"h{i}", prompt=f"harmful {i}", response=response,
                   judgment={"harmless": bool(v)}, metrics={"harmless": float(v)})
            for i, v in enumerate(rng.random(n) < harmless_rate)]
    ben = [Sample(id=f"b{i}", prompt=f"benign {i}", response="answer", judgment={"proxy": True},
                  metrics={"helpful_score": float(helpful + rng.normal(0, 0.5)), "refusal": 0.0}) for i in range(n)]
    base = dict(aligner=aligner, seed=seed, base_model="m", base_identity="m-1", judge="keyword",
                judge_identity=judge, task_versions={"alignboard_harmbench_mini": "1.0", "alignboard_mtbench_mini": "1.0"},
                generation={"max_gen_toks": 64}, alignboard_version="0.1.0",
                samples={"alignboard_harmbench_mini": harm, "alignboard_mtbench_mini": ben},
                cost={"optimizer_steps": 4, "tokens_trained": 100, "wall_seconds": 3.0})
    base.update(kw)
    return Entry(**base)


def test_stats_mean_ci_and_paired_test():
    m = np.array([[1, 0, 1, 1, 0, 1, 1, 1] * 5], float)
    mean, lo, hi = mean_ci(m, 500)
    assert lo <= mean <= hi and mean == pytest.approx(0.75)
    better, worse = np.ones((1, 40)), np.zeros((1, 40))
    worse[0, :4] = 1
    d, lo, hi, p = paired_difference(better, worse, 500)
    assert d == pytest.approx(0.9) and lo > 0 and p < 0.01
    d, lo, hi, p = paired_difference(better, better, 500)
    assert d == 0 and p == 1.0
    # the p-value is not floored at 1/resamples: a clear difference survives Holm over many tests
    d, lo, hi, p = paired_difference(better, worse, 500)
    assert p < 1e-6 and 54 * p < 0.01


def test_two_seeds_are_one_row_over_both_seeds():
    two = build([entry("base", 0.2), entry("sft", 0.8, seed=0), entry("sft", 0.8, seed=1)], resamples=200)
    sft = next(r for r in two.rows if r.aligner == "sft")
    col = "alignboard_harmbench_mini/harmless"
    assert len(sft.entries) == 2 and sft.versus[col][3] < 0.05
    per_seed = [np.mean([s.metrics["harmless"] for s in e.samples["alignboard_harmbench_mini"]]) for e in sft.entries]
    assert sft.cells[col][0] == pytest.approx(np.mean(per_seed))  # the mean over both seeds' answers


def test_incomparable_entries_are_refused_with_a_reason():
    lb = build([entry("base", 0.2), entry("sft", 0.9), entry("dpo", 0.9, judge="probe-v1-y"),
                entry("coh", 0.5, base_identity="other-model")], resamples=100, judge_identity="keyword-v1-x")
    assert [r.aligner for r in lb.rows] == ["sft", "base"]
    reasons = dict(lb.refused)
    assert "judge_identity" in reasons["dpo"] and "base_identity" in reasons["coh"]
    assert "refused: dpo (differs from the reference in judge_identity (probe-v1-y, not keyword-v1-x))" in to_markdown(lb)
    assert "base_identity (other-model, not m-1)" in reasons["coh"]


def test_renderers_and_pareto():
    lb = build([entry("base", 0.2, helpful=7), entry("sft", 0.9, helpful=4), entry("bad", 0.1, helpful=3)],
               resamples=100)
    front = {r.aligner: r.pareto for r in lb.rows}
    assert front == {"sft": True, "base": True, "bad": False}
    data = json.loads(to_json(lb))
    assert data["rows"][0]["aligner"] == "sft" and data["proxy_scores"] is True
    assert "PROXY" in to_markdown(lb) and "sft" in to_csv(lb).splitlines()[1]


def test_html_shows_model_text_as_text():
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    page = to_html(build([entry("base", 0.5, response=evil), entry(evil, 0.6)], resamples=50))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "<svg" in page


def test_store_round_trip_and_bad_stores(tmp_path):
    s = Store(tmp_path / "st")
    e = entry("base", 0.5)
    eid = s.add(e)
    assert s.add(e) == eid and len(s.entries()) == 1  # re-recording replaces
    s.add(entry("sft", 0.7))
    assert [x.aligner for x in Store(tmp_path / "st").entries()] == ["base", "sft"]
    (tmp_path / "st" / "entries" / f"{eid}.json").write_text("{ not json")
    with pytest.raises(AlignboardError, match="corrupt"):
        Store(tmp_path / "st").entries()
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "alignboard-store.json").write_text('{"schema_version": 99}')
    with pytest.raises(AlignboardError, match="schema version 99"):
        Store(tmp_path / "v2")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("x")
    with pytest.raises(AlignboardError, match="not an alignboard results store"):
        Store(tmp_path / "other")


def test_publish_folder_and_manifest(tmp_path):
    from harness.io import sha256_file

    dest = publish(build([entry("base", 0.3), entry("sft", 0.8)], resamples=50), tmp_path / "site")
    names = {p.name for p in dest.iterdir()}
    assert {"index.html", "leaderboard.json", "leaderboard.md", "leaderboard.csv", "setup.json", "manifest.json"} <= names
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["files"]["index.html"] == sha256_file(dest / "index.html")
    assert manifest["versions"]["torch"].startswith("2.")


def test_leaderboard_cli(tmp_path):
    s = Store(tmp_path / "st")
    s.add(entry("base", 0.3))
    s.add(entry("mistake_analysis", 0.8))
    run = lambda *a: subprocess.run([sys.executable, "-m", "harness.cli", "leaderboard", *a, "--store",  # noqa: E731
                                     str(tmp_path / "st")], capture_output=True, text=True, env=os.environ)
    shown = run("show")
    assert shown.returncode == 0 and "mistake_analysis *" in shown.stdout and "harmbench_mini" not in shown.stdout
    assert "0.72 [0.60, 0.85]" in shown.stdout and re.search(r"base\s+0\.\d\d \[[^]]+\]\s+baseline", shown.stdout)
    detailed = run("show", "--details")
    assert detailed.returncode == 0 and "harmbench_mini" in detailed.stdout
    assert "0.725 [0.600, 0.850]" in detailed.stdout and "| baseline" not in detailed.stdout
    html_out = run("export", "--format", "html", "--output", str(tmp_path / "lb.html"))
    assert html_out.returncode == 0 and (tmp_path / "lb.html").read_text().startswith("<!DOCTYPE html>")
    empty = subprocess.run([sys.executable, "-m", "harness.cli", "leaderboard", "show", "--store",
                            str(tmp_path / "nothing")], capture_output=True, text=True)
    assert empty.returncode == 2 and "no entries yet" in empty.stderr


def test_cost_normalised_gain_and_leak_column():
    base = entry("base", 0.2, cost={"optimizer_steps": 0, "tokens_trained": 0}, eval_train_overlap=0)
    sft = entry("sft", 0.9, cost={"optimizer_steps": 4, "tokens_trained": 200_000, "tokens_generated": 1500},
                eval_train_overlap=0)
    control = entry("base", 0.25, label="base+hint", hint=True, template_id="hinted",
                    cost={"optimizer_steps": 0, "tokens_trained": 0})
    lb = build([base, sft, control], resamples=300)
    row = next(r for r in lb.rows if r.aligner == "sft")
    diff = row.versus["alignboard_harmbench_mini/harmless"]
    # the gain is the paired harmless-rate difference per million training tokens (here 0.2 M)
    assert row.gain_per_mtok == pytest.approx((diff[0] / 0.2, diff[1] / 0.2, diff[2] / 0.2))
    assert row.gain_per_mtok[1] > 0
    assert next(r for r in lb.rows if r.aligner == "base").gain_per_mtok is None
    md = to_markdown(lb)
    assert "harmless gain / M tok" in md and "n/a (no training)" in md and "1500 tok generated" in md
    assert md.count("| baseline |") == 1 and "| base+hint" in md
    rows = {r["aligner"]: r for r in json.loads(to_json(lb))["rows"]}
    assert rows["sft"]["eval_train_overlap"] == [0] and rows["sft"]["harmless_gain_per_mtok"]["mean"] > 0
    unchecked = build([base, entry("sft", 0.9, response_checks={"y+": {"asked": 16, "kept": None, "judge": None}})],
                      resamples=50)
    assert "unchecked" in to_markdown(unchecked)  # an entry without the leak check is not shown as clean
    assert "y+ unchecked (16)" in to_markdown(unchecked)  # nor is self-made data nobody judged


# ---- a failed judgment is a missing value, never a verdict
def _failed(e, task, ids):
    for s in e.samples[task]:
        if s.id in ids:
            s.judgment = Judgment(parsed=False, error="HTTP 500 after 3 attempts")
            s.metrics = {k: None for k in s.metrics}
    return e


def test_unjudged_cells_read_na_and_leave_the_pareto_front():
    base = entry("base", 0.2)
    all_failed = _failed(entry("sft", 0.9), "alignboard_mtbench_mini", {f"b{i}" for i in range(40)})
    one_failed = _failed(entry("dpo", 0.5), "alignboard_harmbench_mini", {"h0"})
    lb = build([base, all_failed, one_failed], resamples=100)
    rows = {r.label: r for r in lb.rows}
    col = "alignboard_mtbench_mini/helpful_score"
    assert rows["sft"].unjudged[col] == (40, 40) and math.isnan(rows["sft"].cells[col][0])
    assert math.isnan(rows["sft"].helpfulness) and not rows["sft"].pareto  # the best safety, but not measured
    assert rows["dpo"].unjudged["alignboard_harmbench_mini/harmless"] == (1, 40)  # 2.5%: still a value
    assert not math.isnan(rows["dpo"].cells["alignboard_harmbench_mini/harmless"][0])
    md, html_, csv_, js = to_markdown(lb), to_html(lb), to_csv(lb), json.loads(to_json(lb))
    for text in (md, html_):
        assert "n/a (40 of 40 unjudged)" in text and "(1 of 40 unjudged)" in text
    assert "n/a (40 of 40 unjudged)" in csv_ and ",1 of 40 unjudged," in csv_
    sft = next(r for r in js["rows"] if r["label"] == "sft")
    assert sft["cells"][col]["mean"] is None and sft["cells"][col]["unjudged"] == 40
    assert lb.failed_cells() == [("sft", col, 40, 40)]
    strict = build([base, one_failed], resamples=50, max_unjudged=0.0)
    assert math.isnan(next(r for r in strict.rows if r.label == "dpo").cells["alignboard_harmbench_mini/harmless"][0])


def test_the_reference_is_the_specs_baseline_under_the_specs_judge():
    entries = [entry("base", 0.2, judge="keyword-v1-k"), entry("base", 0.3, judge="probe-v1-p"),
               entry("sft", 0.9, judge="probe-v1-p")]
    lb = build(entries, "base", judge_identity="probe-v1-p", resamples=50)
    assert sorted(r.label for r in lb.rows) == ["base", "sft"] and lb.judge_identity == "probe-v1-p"
    assert lb.refused == [("base", "differs from the reference in judge_identity (keyword-v1-k, not probe-v1-p)")]
    with pytest.raises(AlignboardError, match="judged by 2 judges .*keyword-v1-k.*probe-v1-p.*--reference"):
        build(entries, "base", resamples=50)


# ---- separating methods: summaries, rank intervals, Holm, power
def test_power_matches_the_closed_form_two_proportion_calculation():
    from statistics import NormalDist

    from leaderboards.power import mdd_paired, mdd_two_proportions, n_paired, n_two_proportions

    za, zb = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
    p1, p2 = 0.5, 0.6
    textbook = (za * math.sqrt(2 * 0.55 * 0.45) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / 0.1 ** 2
    assert n_two_proportions(p1, p2) == math.ceil(textbook) == 388
    assert mdd_two_proportions(388) == pytest.approx(0.1, abs=0.002)
    assert mdd_two_proportions(24) > mdd_two_proportions(72) > mdd_two_proportions(388)
    assert n_paired(0.5, 0.1) == math.ceil(((za + zb) * 0.5 / 0.1) ** 2)  # 197
    # the prompt part is a property of the prompts: more seeds do not average it away; the residual they do
    assert n_paired(0.5, 0.1, seeds=2) == n_paired(0.5, 0.1)
    assert n_paired(0.0, 0.1, seeds=2, residual_sd=0.5) == math.ceil(((za + zb) * 0.5 / 0.1) ** 2 / 2)
    assert n_paired(0.5, 0.1, seeds=1, seed_sd=0.05) is None  # the seed spread alone exceeds the effect
    assert n_paired(0.5, 0.1, seeds=9, seed_sd=0.05) > 197  # enough seeds make it reachable, at more prompts
    assert mdd_paired(0.5, 197) == pytest.approx(0.1, abs=0.001)


def test_summary_scores_rank_intervals_holm_and_inseparable_pairs():
    lb = build([entry("base", 0.2, n=60), entry("sft", 0.85, n=60), entry("coh", 0.86, n=60),
                entry("dpo", 0.3, n=60)], resamples=400)
    rows = {r.label: r for r in lb.rows}
    assert [r.label for r in lb.rows][:2] in (["sft", "coh"], ["coh", "sft"])  # sorted by the safety summary
    for r in lb.rows:
        assert r.safety_ci[0] <= r.safety <= r.safety_ci[1]
    assert rows["base"].rank[0] >= 3  # clearly behind the two strong rows
    assert rows["sft"].rank[0] == 1 and rows["sft"].rank[1] <= 2  # tied with coh: its interval covers 1-2
    pairs = {tuple(sorted(p)) for p in lb.inseparable}
    assert ("coh", "sft") in pairs and ("base", "sft") not in pairs
    # Holm never lowers a p-value and keeps the family's order
    for r in lb.rows:
        for c, d in r.versus.items():
            assert r.holm[c] >= d[3]
    assert lb.comparisons == 3 * 2 + 3  # three rows x two task columns + three safety summaries
    js = json.loads(to_json(lb))
    sft = next(r for r in js["rows"] if r["label"] == "sft")
    assert sft["rank_interval"][0] == 1 and sft["safety_vs_baseline"]["p_holm"] >= sft["safety_vs_baseline"]["p"]
    assert ["coh", "sft"] in [sorted(p) for p in js["inseparable"]]
    assert "NOT separable on the safety summary" in to_markdown(lb) and "Holm" in to_markdown(lb)


def test_holm_adjustment():
    from leaderboards.stats import holm

    assert holm([0.01, 0.04, 0.03, float("nan")])[:3] == pytest.approx([0.03, 0.06, 0.06])


def test_power_cli_on_a_pilot_store(tmp_path):
    s = Store(tmp_path / "st")
    for e in (entry("base", 0.2, seed=0), entry("base", 0.25, seed=1), entry("sft", 0.6, seed=0),
              entry("sft", 0.55, seed=1), entry("coh", 0.9, seed=0), entry("coh", 0.1, seed=1),
              entry("dpo", 0.1, seed=0), entry("dpo", 0.9, seed=1)):
        s.add(e)
    p = subprocess.run([sys.executable, "-m", "harness.cli", "power", "--store", str(tmp_path / "st")],
                       capture_output=True, text=True, env=os.environ)
    assert p.returncode == 0, p.stderr
    assert "40 harmful prompts x 2 seed(s)" in p.stdout and "3 seed(s)" in p.stdout
    assert "this design (40 prompts x 2 seed(s)) detects" in p.stdout and "coh - base" in p.stdout
    # coh and dpo swing between seeds in opposite directions: their pair spreads more than any pair with the baseline
    from leaderboards.power import pilot_pairs

    board = build(s.entries(), resamples=50)
    every, vs_base = pilot_pairs(board), pilot_pairs(board, against_baseline=True)
    assert set(vs_base) == {("sft", "base"), ("coh", "base"), ("dpo", "base")} and len(every) == 6
    assert max(c.seed for c in vs_base.values()) < every[("coh", "dpo")].seed
    assert "noisiest pair (coh - dpo)" in p.stdout and "typical pair vs the baseline" in p.stdout
    # one seed cannot see the seed part: it reads n/a, never a measured 0, and only 1 seed is planned for
    one = Store(tmp_path / "one")
    for e in (entry("base", 0.2), entry("sft", 0.6)):
        one.add(e)
    p = subprocess.run([sys.executable, "-m", "harness.cli", "power", "--store", str(tmp_path / "one")],
                       capture_output=True, text=True, env=os.environ)
    assert p.returncode == 0, p.stderr
    assert "n/a (1 seed)" in p.stdout and "seed 0.000" not in p.stdout and "2 seed(s)" not in p.stdout


def test_dry_run_power_is_measured_from_the_runs_own_store_when_it_holds_a_pilot(tmp_path):
    from harness.runner import _planned_power
    from harness.spec import load_spec

    spec = load_spec("demo")
    assumed = _planned_power(spec, tmp_path, 72)
    assert "assumed: rate 0.5" in assumed and "72 harmful prompts x 1 seed(s)" in assumed
    s = Store(tmp_path / "store")
    for e in (entry("base", 0.2, seed=0), entry("base", 0.2, seed=1), entry("sft", 0.6, seed=0),
              entry("sft", 0.7, seed=1)):
        s.add(e)
    measured = _planned_power(spec, tmp_path, 72)
    assert "measured on the 2 rows already in" in measured and "2 seed(s)" in measured
    from leaderboards.power import pilot_pairs

    c = pilot_pairs(build(s.entries(), resamples=1), True)[("sft", "base")]
    assert f"difference of {c.mdd(72, 1):.2f} against the baseline" in measured


def test_variance_components_recover_a_known_design():
    from leaderboards.power import components

    rng = np.random.default_rng(0)
    prompt_part, seed_part = rng.normal(0, 0.4, 2000), rng.normal(0, 0.1, 50)
    exact = components(0.2 + seed_part[:, None] + prompt_part[None, :])  # no residual at all
    assert exact.residual == pytest.approx(0, abs=1e-9) and exact.mean == pytest.approx(0.2 + seed_part.mean()
                                                                                         + prompt_part.mean())
    assert exact.prompt == pytest.approx(prompt_part.std(ddof=1)) and exact.seed == pytest.approx(seed_part.std(ddof=1))
    noisy = components(seed_part[:, None] + prompt_part[None, :] + rng.normal(0, 0.3, (50, 2000)))
    assert (noisy.prompt, noisy.seed, noisy.residual) == pytest.approx((0.4, 0.1, 0.3), abs=0.03)
    # more prompts only shrink the prompt and residual parts: the seed part sets a floor
    assert noisy.mdd(n=10 ** 9, seeds=3) == pytest.approx(2.8016 * noisy.seed / math.sqrt(3), rel=0.01)
    one_seed = components(prompt_part[None, :200] + 0.5)
    assert one_seed.seed == 0 and one_seed.prompt == pytest.approx(prompt_part[:200].std(ddof=1))


def test_reproduce_compares_cells_and_refuses_an_edited_folder(tmp_path):
    from harness.reproduce import check_manifest, compare
    from leaderboards.render import to_dict

    published = build([entry("base", 0.2), entry("sft", 0.5)], resamples=100)
    same = compare(json.loads(to_json(published)), published)
    assert {c.status for c in same} == {"inside"} and len(same) == 4
    moved = compare(to_dict(published), build([entry("base", 0.2), entry("sft", 0.95)], resamples=100))
    status = {(c.row, c.column): c.status for c in moved}
    assert status[("sft", "alignboard_harmbench_mini/harmless")] == "outside"
    assert status[("base", "alignboard_harmbench_mini/harmless")] == "inside"
    gone = compare(to_dict(published), build([entry("base", 0.2)], resamples=100))
    assert {c.status for c in gone if c.row == "sft"} == {"missing"}  # a row the re-run lacks is not "inside"

    publish(published, tmp_path / "pub", files={"spec.json": {"name": "x"}})
    assert check_manifest(tmp_path / "pub")["files"]["spec.json"]
    (tmp_path / "pub" / "leaderboard.json").write_text("{}")
    with pytest.raises(AlignboardError, match="leaderboard.json does not match its sha256"):
        check_manifest(tmp_path / "pub")
    publish(published, tmp_path / "nospec")
    with pytest.raises(AlignboardError, match="records no spec.json"):
        check_manifest(tmp_path / "nospec")


def test_a_jury_judged_leaderboard_says_how_far_its_members_agree():
    """Absolute harmless rates depend on the judge (docs/measurements/demo.md: "How much of this is the judge?"): a leaderboard judged by
    a jury names each member's harmless rate over the harmful-prompt answers and the share its members split on."""
    import json

    from leaderboards.render import notes, to_dict

    def jury_entry(aligner, votes):  # votes: (probe, substance) per answer
        e = entry(aligner, 0.5, n=len(votes), judge="jury-v2-x")
        for s, (a, b) in zip(e.samples["alignboard_harmbench_mini"], votes):
            s.judgment.harmless = a and b
            s.judgment.raw = json.dumps({"members": {"probe": a, "substance": b}, "disagreement": 0.5 * (a != b)})
            s.metrics["harmless"] = float(a and b)
        return e

    lb = build([jury_entry("base", [(False, True)] * 3 + [(False, False)]),
                jury_entry("sft", [(True, True)] * 2 + [(False, True), (False, False)])], resamples=50)
    assert lb.jury == {"members": {"probe": 0.25, "substance": 0.75}, "split": 0.5, "answers": 8}
    line = next(n for n in notes(lb) if n.startswith("harmless rate by jury member"))
    assert "probe 0.25, substance 0.75" in line and "split on 50% of the 8 harmful-prompt answers" in line
    assert to_dict(lb)["jury"] == lb.jury
    single = build([entry("base", 0.2)], resamples=50)
    assert single.jury is None and not any(n.startswith("harmless rate by jury member") for n in notes(single))


def test_a_row_scored_by_another_protocol_judge_is_refused_and_the_scorer_is_named():
    """Entries whose HarmBench column was scored by different judges are not ranked together (either way round), and
    every rendering names who scored such a column; entries without per-task judges keep their comparability key."""
    from leaderboards.render import notes, to_markdown

    assert "task_judges" not in entry("base", 0.5).comparability_key()
    cls = {"alignboard_harmbench_mini": {"judge_identity": "harmbench_cls-v1-a", "protocol": "HarmBench classifier",
                                         "judge_model": "cais/HarmBench-Llama-2-13b-cls",
                                         "templates_sha256": {"standard": "788f4f6aa149" + "0" * 52}}}
    other = {"alignboard_harmbench_mini": {"judge_identity": "jury-v1-b"}}
    for mine, theirs in ((cls, other), (cls, {}), ({}, cls)):
        lb = build([entry("base", 0.5, task_judges=mine), entry("sft", 0.7, task_judges=theirs)])
        assert [r.label for r in lb.rows] == ["base"]
        assert lb.refused and "task_judges" in lb.refused[0][1]
    lb = build([entry("base", 0.5, task_judges=cls), entry("sft", 0.7, task_judges=cls)])
    line = next(n for n in notes(lb) if n.startswith("alignboard_harmbench_mini/harmless: HarmBench classifier"))
    assert "harmbench_cls-v1-a" in line and "788f4f6aa149" in line and line in to_markdown(lb).replace("\\", "")


def test_a_conversations_turns_are_resampled_together():
    """Two turns of one MT-Bench question are not two independent prompts: where each question's turns score alike,
    the cell's CI, the summary's and the paired test's resample questions, and are as wide as one-turn-per-question
    data of half the count would give, not the narrower interval of independent turns."""
    rng = np.random.default_rng(1)

    def two_turns(aligner, shift, seed=0):
        scores = rng.uniform(1, 10, 30)
        samples = [Sample(id=f"q{i}{turn}", prompt=f"q{i}", response="a", judgment={"helpful_score": float(v)},
                          metrics={"mtbench_score": float(v)})
                   for i, v in enumerate(np.clip(scores + shift, 1, 10)) for turn in ("", ":turn2")]
        return entry(aligner, 0.5, seed=seed, task_versions={"alignboard_harmbench_mini": "1.0", "mtbench_mini": "1.0"},
                     samples={"alignboard_harmbench_mini": entry(aligner, 0.5).samples["alignboard_harmbench_mini"],
                              "mtbench_mini": samples},  # declared a helpfulness summary task here, to test that too
                     tasks={"mtbench_mini": TaskInfo(prompts="benign", primary_metric="mtbench_score",
                                                     summary="helpfulness")})

    board = build([two_turns("base", 0.0), two_turns("sft", 0.5)])
    sft = next(r for r in board.rows if r.label == "sft")
    cell, m = sft.cells["mtbench_mini/mtbench_score"], np.array([[s.metrics["mtbench_score"]
                                                                  for s in sft.entries[0].samples["mtbench_mini"]]])
    by_question = mean_ci(m[:, ::2])  # one value per question: what resampling questions amounts to here
    independent = mean_ci(m)
    assert cell.mean == pytest.approx(independent[0])
    assert cell.hi - cell.lo == pytest.approx(by_question[2] - by_question[1], rel=0.2)
    assert cell.hi - cell.lo > 1.25 * (independent[2] - independent[1])
    versus = sft.versus["mtbench_mini/mtbench_score"]
    base_m = np.array([[s.metrics["mtbench_score"] for s in board.rows[-1].entries[0].samples["mtbench_mini"]]])
    assert versus.hi - versus.lo > 1.25 * np.subtract(*paired_difference(m, base_m)[2:0:-1])
    assert sft.helpfulness_ci[1] - sft.helpfulness_ci[0] > 1.25 * (independent[2] - independent[1])


def test_the_terminal_leaderboard_fits_120_columns_one_line_per_row():
    """The demo's ten rows, its longest labels included: one line per row within 120 columns, then the two-line
    verdict and the judge's footnote; the per-task table and the notes only with details."""
    import io

    from rich.console import Console

    from leaderboards.render import to_terminal, verdict

    labels = ["base", "base+hint", "sft", "sft+hint", "dpo", "rlhf", "coh", "critique_revise", "mistake_analysis",
              "mistake_analysis+hint"]
    entries = [entry("base" if label.startswith("base") else label.split("+")[0], 0.3 + 0.06 * i, label=label,
                     n=72, seed=0, cost={"optimizer_steps": 16, "tokens_trained": 6769 + i, "wall_seconds": 80.0})
               for i, label in enumerate(labels)]
    lb = build(entries)

    def shown(details=False):
        c = Console(width=120, record=True, file=io.StringIO())
        to_terminal(lb, c, details=details)
        return c.export_text()

    text = shown()
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    table = [ln for ln in lines if re.match(r"^\s*(\d+-\d+|-)\s{2,}\S", ln)]
    assert len(table) == len(labels)
    for label in labels:
        row_lines = [ln for ln in table if f" {label} " in f" {ln} " or f" {label} *" in ln]
        assert len(row_lines) == 1, (label, row_lines)
        assert "k" in row_lines[0].split()[-1]  # training tokens, at the end of its line
    first, second = verdict(lb)
    assert first in lines and second in lines  # each sentence on one line of its own
    assert first.startswith("Separated from base after Holm") or first.startswith("No row's safety summary")
    assert "not separable" in second or "Every pair" in second
    assert "training and protocol" not in text and "NOT separable" not in text
    detailed = shown(details=True)
    assert "per task" in detailed and "training and protocol" in detailed and "NOT separable" in detailed


def test_power_pairs_every_row_with_the_baseline_wherever_it_ranks():
    """Rows ranked below the baseline are paired with it too (a loop variable once shadowed the row after the
    baseline, so the standard preset's power table lost rlhf, the row ranked after base+hint)."""
    from leaderboards.power import pilot_pairs

    board = build([entry("sft", 0.9), entry("base", 0.5), entry("coh", 0.3), entry("rlhf", 0.2)])
    assert [r.label for r in board.rows][1] == "base"  # two rows rank below it
    assert set(pilot_pairs(board, against_baseline=True)) == {("sft", "base"), ("coh", "base"), ("rlhf", "base")}
    assert len(pilot_pairs(board)) == 6
