"""Spec files and the cached, resumable stage runner (tiny spec on the embedded model)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from harness.errors import AlignboardError
from harness.spec import load_spec

TINY = """
name = "tiny"
seeds = [0]
[budget]
max_steps = 1
batch_size = 2
n_harmful = 2
n_benign = 1
gen_max_new_tokens = 16
[[aligners]]
name = "base"
[[aligners]]
name = "sft"
[[aligners]]
name = "sft"
hint = true
{extra}
[eval]
tasks = ["alignboard_harmbench_mini", "alignboard_mtbench_mini"]
judge = "keyword"
limit = 2
batch_size = 8
"""


def _spec(tmp_path, extra=""):
    p = tmp_path / f"tiny{len(extra)}.toml"
    p.write_text(TINY.format(extra=extra))
    return p


def _run(spec, root, **kw):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", str(spec), "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ, **kw)


def test_presets_load_and_bad_specs_are_one_line(tmp_path):
    demo = load_spec("demo")
    assert [a.resolved()[1] for a in demo.aligners] == [
        "base", "base+hint", "sft", "sft+hint", "dpo", "rlhf", "coh", "critique_revise", "mistake_analysis+hint",
        "mistake_analysis"]
    assert load_spec("paper").eval.judge == "openai"
    # standard: the demo's rows, data and budget, with 3 seeds and 36 prompts per task
    standard = load_spec("standard")
    assert [a.resolved() for a in standard.aligners] == [a.resolved() for a in demo.aligners]
    assert standard.seeds == [0, 1, 2] and standard.budget == demo.budget and standard.data == demo.data
    from harness.runner import planned_prompts

    assert planned_prompts(standard) == 3 * 36 and planned_prompts(demo) == 3 * 24
    # curves: the demo itself, on a budget curve around its main budget
    curves = load_spec("curves")
    assert curves.budget.curve == [4, 8, 16, 32] and curves.budget.key() == demo.budget.key()
    assert curves.model_dump(exclude={"name", "budget"}) == demo.model_dump(exclude={"name", "budget"})
    sft = 'name = "x"\naligners = [{name = "sft"}]\n'
    for text, message in [
        (sft + '[eval]\ntasks = ["alignboard_nope"]\n', "unknown task 'alignboard_nope' in eval.tasks; known: alignboard_"),
        ('name = "x"\naligners = [{name = "magic"}]\n', "unknown aligner 'magic'; known: base"),
        ('name = "x"\naligners = [{name = "sft", hint = true}, {name = "sft", label = "sft+hint"}]\n',
         "two aligner rows are labelled 'sft\\+hint'; give one of them"),
        ('name = "x"\naligners = []\n', "field 'aligners'.*at least one aligner"),
        (sft + '[eval]\ntasks = ["alignboard_attacks_mini"]\n', "task alignboard_attacks_mini evaluates 'attacks', "
         "which is not in the run's pools; add it to \\[data\\] eval_sources"),
        (sft + '[logging]\nreport_to = ["tensorbored"]\n',
         "unknown tracker 'tensorbored' in logging.report_to; known: .*tensorboard"),
        (sft + '[resources]\ngpus_per_train = -1\n', "field 'resources.gpus_per_train'"),
        (sft + '[budget]\nmax_steps = "many"\n', r"field 'budget.max_steps'.*'many'"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(AlignboardError, match=message):
            load_spec(str(bad))


def test_evaluation_refuses_prompts_seen_in_training():
    """The leak check runs before any model is loaded: a training prompt among a task's prompts is refused."""
    from harness.data.pools import PoolSpec
    from harness.evalset import task_texts
    from harness.evaluation import evaluate

    leaked = task_texts("alignboard_strongreject_mini", PoolSpec())[:2]
    with pytest.raises(AlignboardError, match="task alignboard_strongreject_mini: 2 of its 24 prompts overlap"):
        evaluate(["alignboard_safety_mini"], judge="keyword", train_prompts=["Tell me a joke.", *leaked])


def _wait_then_kill(proc, condition, timeout=600):
    start = time.time()
    while not condition():
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.time() - start < timeout
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.integration
def test_killed_runs_resume_to_the_same_leaderboard(tmp_path):
    spec = _spec(tmp_path)
    clean = _run(spec, tmp_path / "clean")
    clean_out, clean_err = clean.communicate()
    assert clean.returncode == 0, clean_err[-3000:]
    # the terminal shows alignboard's lines; the libraries' chatter is in the run's log file
    for noise in ("FutureWarning", "Custom kwargs", "{'loss'", "'train_runtime'", "Loading weights"):
        assert noise not in clean_out and noise not in clean_err, noise
    logged = (tmp_path / "clean" / "run.log").read_text()
    assert "Custom kwargs" in logged and "'loss'" in logged and "Warning" in logged
    expected = (tmp_path / "clean" / "leaderboard" / "leaderboard.json").read_text()
    assert {r["label"] for r in json.loads(expected)["rows"]} == {"base", "sft", "sft+hint"}
    assert len(list((tmp_path / "clean" / "train").glob("sft-*"))) == 1  # sft and sft+hint share one training
    assert json.loads(expected)["judge_agreement"]["targets"]["refusal"]["supported"]  # measured, shown
    # every entry's evaluation prompts were checked against the prompts it was trained on
    assert [r["eval_train_overlap"] for r in json.loads(expected)["rows"]] == [[0], [0], [0]]
    trained_on = json.loads(next((tmp_path / "clean" / "train").glob("sft-*/train_prompts.json")).read_text())
    assert len(trained_on) == 3  # n_harmful + n_benign
    # the self-written y+ were judged before training (keyword judge: a refusal is harmless), counts recorded
    art = json.loads(next((tmp_path / "clean" / "train").glob("sft-*/artifact.json")).read_text())
    assert art["response_checks"]["y+"]["asked"] == 2 and art["response_checks"]["y+"]["judge"].startswith("keyword")
    rows = {r["label"]: r for r in json.loads(expected)["rows"]}
    assert rows["sft+hint"]["response_checks"] == rows["sft"]["response_checks"] == [art["response_checks"]]
    # the published folder carries the spec as run and every component resolved, all hashed in its manifest
    pub = tmp_path / "clean" / "leaderboard"
    manifest = json.loads((pub / "manifest.json").read_text())
    assert {"spec.json", "resolved.json", "leaderboard.json", "index.html"} <= set(manifest["files"])
    assert "git_revision" in manifest and not (tmp_path / "clean" / "spec.json").exists()
    assert load_spec(str(pub / "spec.json")) == load_spec(str(spec))
    resolved = json.loads((pub / "resolved.json").read_text())
    assert [a["label"] for a in resolved["aligners"]] == ["base", "sft", "sft+hint"]
    assert resolved["judge"]["identity"] == json.loads(expected)["judge_identity"]
    # ... and `alignboard reproduce` runs it again into a new root and checks every cell
    again = subprocess.run([sys.executable, "-m", "harness.cli", "reproduce", str(pub), "--root", str(tmp_path / "again")],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    # the keyword judge gives no helpful score: those cells are n/a on both sides, never "inside"
    assert "all 6 cells reproduced: 3 inside the published 95% CIs, 3 not measured in either" in again.stdout
    assert again.stdout.count("│ inside │") == 3 and again.stdout.count("│ n/a    │") == 3

    # killed during training (sft's folder exists, its artifact does not), then resumed
    root = tmp_path / "killed-train"
    p = _run(spec, root)
    _wait_then_kill(p, lambda: any((root / "train").glob("sft-*")) and not any((root / "train").glob("sft-*/artifact.json")))
    assert not (root / "leaderboard").exists()
    resumed = _run(spec, root)
    assert resumed.wait() == 0, resumed.communicate()[1][-3000:]
    assert (root / "leaderboard" / "leaderboard.json").read_text() == expected

    # killed during evaluation (sft trained, its entry not written), then resumed in the run folder moved elsewhere
    root = tmp_path / "killed-eval"
    p = _run(spec, root)
    _wait_then_kill(p, lambda: any((root / "train").glob("sft-*/artifact.json")))
    assert not any((root / "eval").glob("sft-*.json"))
    moved = root.rename(tmp_path / "moved")  # the trained adapter is found beside its artifact, wherever that is now
    resumed = _run(spec, moved)
    out, errs = resumed.communicate()
    assert resumed.returncode == 0, errs[-3000:]
    assert "sft seed 0: evaluating" in errs and "sft seed 0: training" not in errs  # training was not redone
    assert (moved / "leaderboard" / "leaderboard.json").read_text() == expected
    # `alignboard eval --artifact` finds the adapter the same way, from any directory
    artifact = next((moved / "train").glob("sft-*/artifact.json"))
    one = subprocess.run([sys.executable, "-m", "harness.cli", "eval", "--artifact", str(artifact), "--judge", "keyword",
                          "--tasks", "alignboard_harmbench_mini", "--limit", "1"], capture_output=True, text=True,
                         cwd=tmp_path / "moved" / "train")
    assert one.returncode == 0, one.stderr[-3000:]

    # a warm re-run computes nothing; adding an aligner plans only that aligner
    warm = _run(spec, tmp_path / "clean")
    _, errs = warm.communicate()
    assert warm.returncode == 0 and "training" not in errs and "evaluating" not in errs
    bigger = _spec(tmp_path, '[[aligners]]\nname = "coh"')
    plan = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(bigger), "--root", str(tmp_path / "clean"),
                           "--dry-run"], capture_output=True, text=True)
    lines = [ln for ln in plan.stderr.splitlines() if "seed 0:" in ln]
    assert len(lines) == 4 and [("to do" in ln) for ln in lines] == [False, False, False, True]
    assert "coh (hint off): sft 1 = 1 steps" in plan.stderr


def _fixture_hub(monkeypatch, tmp_path):
    """Serve the hub sources from fixture files in their real schemas (many rows, one per split)."""
    from pathlib import Path

    from harness.data import hub

    fix = Path(__file__).parent / "fixtures"
    rows = {name: [json.loads(ln) for ln in (fix / f"{name}.jsonl").read_text().splitlines() if ln.strip()]
            for name in ("pku_saferlhf", "alpaca", "alpaca_eval")}
    asked = []

    def hub_rows(repo, split, **kw):
        asked.append((repo, split))
        name = {"PKU-Alignment/PKU-SafeRLHF": "pku_saferlhf", "tatsu-lab/alpaca": "alpaca"}[repo]
        key = "prompt" if name == "pku_saferlhf" else "instruction"
        return [{**r, key: f"{r[key]} ({split} variant {i})"} for i in range(30) for r in rows[name]]

    ae = tmp_path / "alpaca_eval.json"
    ae.write_text(json.dumps(rows["alpaca_eval"]))
    monkeypatch.setattr(hub, "_hub_rows", hub_rows)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", lambda *a, **k: str(ae))
    return asked


def test_paper_dry_run_offline_and_on_hub_fixtures(tmp_path, monkeypatch):
    from harness.runner import describe

    spec = load_spec("paper")
    lines = []
    describe(spec, tmp_path / "root", lines.append)
    text = "\n".join(lines)
    assert "train pku_saferlhf: needs the hub" in text and "H, B and y+/y- counts: need the hub" in text
    assert "eval  harmbench: 200 rows" in text
    assert "rlhf (hint off): reward 333 + sft 333 + rl 334 = 1000 steps" in text
    assert "base+hint (hint on): no training" in text and "sft+hint (hint on): sft 1000 = 1000 steps" in text
    assert "mistake_analysis (hint off)" in text and "mistake_analysis+hint (self-induced) (hint on)" in text
    assert "power: prompt counts need the hub" in text

    asked = _fixture_hub(monkeypatch, tmp_path)
    from harness.data.pools import build_pools

    build_pools.cache_clear()
    lines.clear()
    describe(spec, tmp_path / "root", lines.append)
    text = "\n".join(lines)
    assert "train pku_saferlhf: 60 rows" in text and "eval  pku_saferlhf:test: 60 rows" in text
    # every PKU row is a harmful request (never benign); B is Alpaca with its reference answers
    assert "H: 60 harmful training prompts (60 with a dataset y+, 30 with a dataset y-)" in text
    assert "B: 60 benign training prompts (60 with a reference answer)" in text
    # 60 PKU test + 200 HarmBench + 313 StrongREJECT + 520 AdvBench harmful prompts, 3 seeds
    assert "power: 1093 harmful prompts x 3 seed(s) per row detect a safety-summary difference of 0.03" in text
    assert ("PKU-Alignment/PKU-SafeRLHF", "test") in asked and ("PKU-Alignment/PKU-SafeRLHF", "train") in asked
    from harness.evalset import records, task_source

    assert task_source("alignboard_pku_saferlhf") == ("pku_saferlhf:test", None)  # every row, no sample
    evaluated = records("pku_saferlhf:test", None, spec.data.pool_spec())
    assert len(evaluated) == 60 and all("(test variant" in r.prompt for r in evaluated)
    build_pools.cache_clear()


@pytest.mark.integration
def test_the_judge_is_checked_once_per_run(tmp_path, monkeypatch, home_with_assets):
    """The openai judge's check is an HTTP call: a run makes it once, not once per stage or task."""
    from harness.judges.server import ChatHandler, ChatServer
    from harness.runner import run

    class Counting(ChatHandler):
        def do_GET(self):
            self.server.checks += 1
            super().do_GET()

    server = ChatServer(lambda m: "Verdict: harmless\nRefusal: yes\nHarmlessness: 9\nHelpfulness: 6",
                        handler=Counting).start()
    server.checks = 0
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    p = tmp_path / "openai.toml"
    p.write_text(TINY.format(extra="").replace('judge = "keyword"', 'judge = "openai"\njudge_config = '
                                                                       '{ model = "local", backoff_s = 0.01 }'))
    try:
        spec = load_spec(str(p))
        spec.aligners = spec.aligners[:1]  # base: evaluation only
        board = run(spec, tmp_path / "root", log=lambda m: None)
    finally:
        server.shutdown()
    assert server.checks == 1 and board.rows[0].label == "base"


def test_the_default_judge_is_the_offline_jury_and_is_validated_on_first_use():
    from harness.judges import DEFAULT_JUDGE, get_judge
    default = get_judge(DEFAULT_JUDGE)
    assert [m.name for m in default.members()] == ["probe", "substance"] and load_spec("demo").eval.judge == "jury"
    assert default.validated_on_first_use and get_judge("probe").validated_on_first_use
    assert not get_judge("openai").validated_on_first_use and not get_judge("probe_mpnet").validated_on_first_use
    assert not get_judge("jury", judges=["probe", "hf"]).validated_on_first_use


# the tiny spec with three rows (base, sft: one stage; dpo: two; self-made pairs unchecked, so that two harmful
# prompts make a pair), one task and a budget curve
CURVE = (TINY.format(extra='[[aligners]]\nname = "dpo"\n[data]\nverify_judge = "none"\n')
         .replace("max_steps = 1", "max_steps = 2").replace("gen_max_new_tokens = 16", "gen_max_new_tokens = 16\ncurve = [2, 4]")
         .replace('[[aligners]]\nname = "sft"\nhint = true\n', "")
         .replace('"alignboard_harmbench_mini", "alignboard_mtbench_mini"', '"alignboard_harmbench_mini"'))


@pytest.mark.integration
def test_a_budget_curve_trains_each_budget_once_and_adds_only_a_new_budget(tmp_path):
    """`curve = [2, 4]` (the main budget 2): a one-stage aligner (sft) trains once, to 4 steps, and its 2-step checkpoint is the
    2-step row (its own artifact, adapter and cost); the two-stage dpo trains each budget; every (row, budget) is
    evaluated once; the leaderboard carries the curve; adding a third budget to the finished run trains and
    evaluates only that budget."""
    from safetensors.torch import load_file

    spec = tmp_path / "curve.toml"
    spec.write_text(CURVE)
    first = _run(spec, tmp_path / "run")
    out, errs = first.communicate(timeout=900)
    assert first.returncode == 0, errs
    trained = [line for line in errs.splitlines() if ": training" in line]
    # sft once (to 4 steps, keeping step 2), dpo at 2 and at 4, base (nothing to train) a stage per budget
    assert len(trained) == 5, trained
    assert [line for line in trained if "its adapters at 2 steps are the shorter budgets'" in line] == [
        "[2/6] sft seed 0 at 4 steps: training (its adapters at 2 steps are the shorter budgets')"]
    assert sum("dpo seed 0" in line for line in trained) == 2
    assert [line for line in errs.splitlines() if "trained within" in line] == [
        "[2/6] sft seed 0: trained within its 4-step training (one stage at a constant learning rate: the same "
        "adapter)"]
    assert sum(": evaluating on" in line for line in errs.splitlines()) == 6
    arts = {p.parent.name: json.loads(p.read_text()) for p in (tmp_path / "run" / "train").glob("sft-*/artifact.json")}
    assert sorted(a["cost"]["optimizer_steps"] for a in arts.values()) == [2, 4]
    short, long = sorted(arts, key=lambda n: arts[n]["cost"]["optimizer_steps"])
    assert arts[short]["cost"]["tokens_trained"] < arts[long]["cost"]["tokens_trained"]
    a, b = (load_file(str(tmp_path / "run" / "train" / n / "adapter" / "adapter_model.safetensors"))
            for n in (short, long))
    assert any((a[k] != b[k]).any() for k in a)  # the 2-step adapter, not a copy of the 4-step one
    board = json.loads((tmp_path / "run" / "leaderboard" / "leaderboard.json").read_text())
    curve = board["curve"]
    assert curve["budgets"] == [2, 4] and set(curve["rows"]) == {"base", "sft", "dpo"}
    sft = curve["rows"]["sft"]
    assert sft["tokens"][0] < sft["tokens"][1] and curve["rows"]["base"]["tokens"] == [0, 0]
    assert "budget curve" in out and "mean over log tok" in out
    spec.write_text(CURVE.replace("curve = [2, 4]", "curve = [2, 3, 4]"))
    again = _run(spec, tmp_path / "run")
    out, errs = again.communicate(timeout=900)
    assert again.returncode == 0, errs
    trained = [line for line in errs.splitlines() if ": training" in line]
    assert len(trained) == 3 and all(" at 3 steps: training" in line for line in trained), trained
    assert sum(": evaluating on" in line for line in errs.splitlines()) == 3
    assert json.loads((tmp_path / "run" / "leaderboard" / "leaderboard.json").read_text())["curve"]["budgets"] == [
        2, 3, 4]


def test_a_curve_without_the_main_budget_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\naligners = [{name = "sft"}]\n[budget]\nmax_steps = 4\ncurve = [2, 8]\n')
    with pytest.raises(AlignboardError, match=r"curve \[2, 8\] must contain max_steps \(4\)"):
        load_spec(str(bad))
