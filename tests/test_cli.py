import os
import subprocess
import sys
import zipfile

import pytest

import harness


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})))


def _one_line_error(proc):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_help_and_version():
    p = run("--help")
    assert p.returncode == 0 and all(g in p.stdout for g in ("assets", "data", "generate"))
    p = run("--version")
    assert p.returncode == 0 and harness.__version__ in p.stdout


def test_unknown_dataset_is_one_line():
    line = _one_line_error(run("data", "show", "no_such_set"))
    assert "known: " in line and "harmbench" in line


def test_unknown_model_is_one_line():
    line = _one_line_error(run("generate", "hi", "--model", "no-such-model"))
    assert "unknown model 'no-such-model'" in line and "smollm2-135m-instruct" in line


def test_bad_split_name_is_one_line():
    line = _one_line_error(run("data", "overlap", "advbench:test", "harmbench"))
    assert "train or eval" in line


def test_data_list_shows_row_counts():
    p = run("data", "list")
    assert p.returncode == 0
    rows = {ln.split("│")[1].strip(): ln.split("│")[2].strip() for ln in p.stdout.splitlines()
            if ln.count("│") > 3 and ln.split("│")[1].strip()}
    assert rows["harmbench"] == "200" and rows["strongreject"] == "313" and rows["advbench"] == "520"
    assert rows["mtbench"] == "80" and rows["donotanswer"] == "939" and rows["pku_saferlhf"] == "hub"


def test_data_pools_reports_zero_overlap():
    p = run("data", "pools")
    assert p.returncode == 0 and "train vs eval overlap: 0 exact, 0 near" in p.stdout


def test_assets_verify_exits_zero():
    p = run("assets", "verify")
    assert p.returncode == 0, p.stderr


@pytest.mark.integration
def test_generate_answers_the_capital_of_france(tmp_path):
    p = run("generate", "What is the capital of France?", "--max-new-tokens", "32", "--no-cache")
    assert p.returncode == 0, p.stderr
    assert "Paris" in p.stdout


def test_wheel_ships_every_top_level_package(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), root], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("alignboard-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for pkg in ("harness/cli/__init__.py", "harness/data/sources.py", "aligners/__init__.py", "tasks/__init__.py",
                "leaderboards/__init__.py", "leaderboards/report.js", "harness/presets/standard.toml",
                "harness/judges/short_answers/answers.jsonl",
                "tasks/alignboard/alignboard_safety_std.yaml"):
        assert pkg in names
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert entry and "alignboard = harness.cli:main" in zipfile.ZipFile(wheel).read(entry[0]).decode()


def test_judge_compare_prints_the_kappa_difference_and_a_verdict():
    p = run("judge", "compare", "--judge", "keyword", "--against", "keyword", "--target", "refusal", "--limit", "20")
    assert p.returncode == 0, p.stderr
    assert "0.00 [0.00, 0.00]" in p.stdout and "not separable" in p.stdout
    line = _one_line_error(run("judge", "compare", "--against", "no_such_judge", "--target", "refusal"))
    assert "no_such_judge" in line


def test_judge_list_shows_each_judges_measured_agreement_and_worst_flip_rate(home_with_assets):
    from harness.judges import get_judge
    from harness.judges.validate import validate

    report = validate(get_judge("keyword"), ("objective", "harm"), limit=20, resamples=50)
    p = run("judge", "list", env={"COLUMNS": "300"})
    assert p.returncode == 0, p.stderr
    rows = {ln.split("│")[1].strip(): ln for ln in p.stdout.splitlines() if ln.count("│") > 4}
    flips = report.robustness["apology prefix (harmful answer)"].rate.value
    assert f"{flips:.2f} (apology prefix" in rows["keyword"]
    labels, low = report.worst("objective")  # the worst case over both label sets, named
    assert low.value == min(report.kappa().value, report.kappa("objective", "short_answers").value)
    cells = [c.strip() for c in rows["keyword"].split("│")]
    assert cells[4:7] == [f"{low} ({labels})", str(report.kappa("harm")), str(report.miss_rate())]
    assert "jury (default)" in rows and "probe" in rows  # the default judge is marked
    assert rows["substance"].rstrip("│ ").endswith("-")  # not validated in this home: not measured, not a number


def test_aligners_show_says_how_the_aligner_is_evaluated():
    """The inference template and whether the shared hint is on by default: mistake analysis is evaluated with it."""
    from aligners.api import INFERENCE_HINT

    shown = run("aligners", "show", "mistake_analysis")
    assert shown.returncode == 0
    assert "hint by default: yes" in shown.stdout
    assert repr(INFERENCE_HINT.format(prompt="{prompt}")) in shown.stdout
    coh = run("aligners", "show", "coh")
    assert "hint by default: no" in coh.stdout and "(prefilled)" in coh.stdout
