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
    assert len(load_spec("demo").aligners) == 7 and load_spec("paper").eval.judge == "openai"
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\naligners = [{name = "sft"}]\n[eval]\ntasks = ["alignboard_nope"]\n')
    with pytest.raises(AlignboardError, match="unknown task 'alignboard_nope' in eval.tasks; known: alignboard_"):
        load_spec(str(bad))
    bad.write_text('name = "x"\naligners = [{name = "magic"}]\n')
    with pytest.raises(AlignboardError, match="unknown aligner 'magic'; known: base"):
        load_spec(str(bad))
    bad.write_text('name = "x"\naligners = []\n')
    with pytest.raises(AlignboardError, match="field 'aligners'.*at least one aligner"):
        load_spec(str(bad))
    bad.write_text('name = "x"\naligners = [{name = "sft"}]\n[budget]\nmax_steps = "many"\n')
    with pytest.raises(AlignboardError, match=r"field 'budget.max_steps'.*'many'"):
        load_spec(str(bad))


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
    assert clean.wait() == 0, clean.communicate()[1][-3000:]
    expected = (tmp_path / "clean" / "leaderboard" / "leaderboard.json").read_text()
    assert {r["aligner"] for r in json.loads(expected)["rows"]} == {"base", "sft"}
    assert json.loads(expected)["judge_agreement"]["targets"]["refusal"]["supported"]  # measured, shown

    # killed during training (sft's folder exists, its artifact does not), then resumed
    root = tmp_path / "killed-train"
    p = _run(spec, root)
    _wait_then_kill(p, lambda: any((root / "train").glob("sft-*")) and not any((root / "train").glob("sft-*/artifact.json")))
    assert not (root / "leaderboard").exists()
    resumed = _run(spec, root)
    assert resumed.wait() == 0, resumed.communicate()[1][-3000:]
    assert (root / "leaderboard" / "leaderboard.json").read_text() == expected

    # killed during evaluation (sft trained, its entry not written), then resumed
    root = tmp_path / "killed-eval"
    p = _run(spec, root)
    _wait_then_kill(p, lambda: any((root / "train").glob("sft-*/artifact.json")))
    assert not any((root / "eval").glob("sft-*.json"))
    resumed = _run(spec, root)
    out, errs = resumed.communicate()
    assert resumed.returncode == 0, errs[-3000:]
    assert "sft seed 0: evaluating" in errs and "sft seed 0: training" not in errs  # training was not redone
    assert (root / "leaderboard" / "leaderboard.json").read_text() == expected

    # a warm re-run computes nothing; adding an aligner plans only that aligner
    warm = _run(spec, tmp_path / "clean")
    _, errs = warm.communicate()
    assert warm.returncode == 0 and "training" not in errs and "evaluating" not in errs
    bigger = _spec(tmp_path, '[[aligners]]\nname = "coh"')
    plan = subprocess.run([sys.executable, "-m", "harness.cli", "run", str(bigger), "--root", str(tmp_path / "clean"),
                           "--dry-run"], capture_output=True, text=True)
    lines = [ln for ln in plan.stderr.splitlines() if "seed 0:" in ln]
    assert len(lines) == 3 and [("to do" in ln) for ln in lines] == [False, False, True]
