"""Budget curves: the sample-efficiency figures on known synthetic curves."""

import math

import pytest

from leaderboards.curves import common_range, mean_over_log_tokens, reach_interval, tokens_to_reach


def test_mean_over_log_tokens_of_a_line_in_log_tokens():
    """v = 0.1 * log10(t) from 10 to 10,000 tokens: its mean over log10 t in [10, 10^4] is 0.1 * 2.5; over a
    sub-range it is interpolated, never extrapolated."""
    t, v = [10, 100, 1000, 10000], [0.1, 0.2, 0.3, 0.4]
    assert mean_over_log_tokens(t, v, 10, 10000) == pytest.approx(0.25)
    assert mean_over_log_tokens(t, v, 10 ** 1.5, 10 ** 2.5) == pytest.approx(0.2)
    assert math.isnan(mean_over_log_tokens(t, v, 1, 10000))  # outside the curve: not measured
    assert math.isnan(mean_over_log_tokens(t, [0.1, math.nan, 0.3, 0.4], 10, 10000))


def test_mean_over_log_tokens_of_a_non_monotone_curve_and_a_flat_untrained_row():
    t = [100, 1000, 10000]
    assert mean_over_log_tokens(t, [0.2, 0.8, 0.2], 100, 10000) == pytest.approx(0.5)  # a tent: area 0.6 over 2
    assert mean_over_log_tokens([0, 0, 0], [0.3, 0.35, 0.4], 100, 1000) == pytest.approx(0.35)


def test_tokens_to_reach_interpolates_the_first_crossing():
    t, v = [10, 100, 1000, 10000], [0.1, 0.2, 0.3, 0.4]
    assert tokens_to_reach(t, v, 0.25) == pytest.approx(10 ** 2.5)
    assert tokens_to_reach(t, v, 0.1) == 10  # reached at the first budget
    assert tokens_to_reach(t, v, 0.5) is None  # not reached
    dip = [0.2, 0.9, 0.3, 0.95]
    assert tokens_to_reach(t, dip, 0.8) == pytest.approx(10 ** (1 + 6 / 7))  # the first crossing, not the last
    assert tokens_to_reach(t, [0.1, math.nan, 0.9, 0.9], 0.5) is None  # where it crossed cannot be told


def test_common_range_is_what_every_trained_curve_covers():
    assert common_range([[100, 1000, 10000], [200, 2000, 20000], [0, 0, 0]]) == (200, 10000)
    assert common_range([[10, 20], [100, 200]]) is None and common_range([[0, 0]]) is None
    with pytest.raises(ValueError, match="increase"):
        tokens_to_reach([100, 50], [0.1, 0.2], 0.1)


def test_tokens_to_reach_interval_says_not_reached_never_nan():
    """Half the draws never reach the target: the upper bound is "not reached" (inf), not NaN (interpolating between
    two inf draws gave NaN, shown as n/a); draws that all reach give finite bounds."""
    import numpy as np

    assert reach_interval(np.array([100.0] * 50 + [math.inf] * 50)) == (100.0, math.inf)
    lo, hi = reach_interval(np.array([100.0, 200.0, 300.0, 400.0] * 25))
    assert (lo, hi) == (100.0, 400.0)
    assert all(math.isnan(x) for x in reach_interval(np.array([math.nan])))


# ---- a checkpoint of a longer training is the shorter budget's training
def _checkpoint_ctx(tmp_path, base, steps, out, checkpoints=None):
    from aligners.api import Budget, Context
    from harness.data.pools import Pools
    from harness.data.records import Record

    harmful = [Record(f"h{i}", f"how to do the bad thing {i}", "c", "t", True) for i in range(3)]
    benign = [Record(f"b{i}", f"what is the water {i}", "c", "t", False) for i in range(2)]
    ctx = Context(pools=Pools(harmful, benign, {}), out_dir=tmp_path / out, base_model=str(base), cache=False,
                  progress=False, budget=Budget(max_steps=steps, batch_size=2, learning_rate=5e-3, n_harmful=3,
                                                n_benign=2), checkpoints=checkpoints or {})
    ctx.generate = lambda prompts, description="", **kw: [f"you can not do that {i} no" for i in range(len(prompts))]
    return ctx


def _adapter(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter" / "adapter_model.safetensors"))


def test_a_checkpoint_of_a_longer_training_equals_the_shorter_training(tmp_path):
    """sft trained 5 steps, its adapter saved at steps 2 and 3 (LoRA dropout on, three epochs of 3 batches): each
    checkpoint's adapter is, tensor for tensor, the 2- and 3-step training's, and its artifact records the same cost
    and loss; the 5-step adapter differs (the check can fail)."""
    import json

    import torch

    from aligners.api import get_aligner, run_aligner
    from conftest import make_tiny_lm

    lm, base = make_tiny_lm(), tmp_path / "tiny"
    lm.model.save_pretrained(base)
    lm.tokenizer.save_pretrained(base)
    run_aligner(get_aligner("sft"), _checkpoint_ctx(tmp_path, base, 5, "long",
                                                    {2: tmp_path / "at2", 3: tmp_path / "at3"}))
    for k in (2, 3):
        run_aligner(get_aligner("sft"), _checkpoint_ctx(tmp_path, base, k, f"own{k}"))
        own, saved = _adapter(tmp_path / f"own{k}"), _adapter(tmp_path / f"at{k}")
        assert own.keys() == saved.keys() and all(torch.equal(own[n], saved[n]) for n in own)
        a, b = (json.loads((tmp_path / d / "artifact.json").read_text()) for d in (f"own{k}", f"at{k}"))
        for art in (a, b):  # times are measured, not part of what a training cost
            assert art["cost"]["train_seconds"] > 0 and art["cost"]["stages"]["sft"]["train_seconds"] > 0
            art.pop("adapter")
            for cost in (art["cost"], *art["cost"]["stages"].values()):
                cost.pop("wall_seconds", None), cost.pop("train_seconds")
        assert a == b and a["cost"]["optimizer_steps"] == k
    longer = _adapter(tmp_path / "long")
    assert not all(torch.equal(longer[n], own[n]) for n in own)


def test_a_two_stage_aligner_refuses_checkpoints(tmp_path):
    from aligners.api import get_aligner, run_aligner
    from harness.errors import AlignboardError

    assert not get_aligner("dpo").reusable_checkpoints() and get_aligner("mistake_analysis").reusable_checkpoints()
    with pytest.raises(AlignboardError, match="trains in 2 stages"):
        run_aligner(get_aligner("dpo"), _checkpoint_ctx(tmp_path, "unused", 4, "dpo", {2: tmp_path / "at2"}))


# ---- a run's budget curve from its stores: CSV, chart, terminal, power per budget
RATES = {"base": [0.2, 0.2, 0.2], "sft": [0.3, 0.55, 0.85], "dpo": [0.5, 0.45, 0.6], "coh": [0.25, 0.3, 0.35]}
TOKENS = {"base": 0, "sft": 1000, "dpo": 1300, "coh": 900}


def curve_run(root):
    """A run folder with a budget curve: ROOT/store at the main budget (4 steps), ROOT/curve/{2,8}-steps/store."""
    from leaderboards.store import Store
    from test_leaderboards import entry

    for k, steps in enumerate((2, 4, 8)):
        store = Store(root / "store" if steps == 4 else root / "curve" / f"{steps}-steps" / "store")
        for name, rates in RATES.items():
            tokens = TOKENS[name] * steps // 2
            for seed in (0, 1):
                store.add(entry(name, rates[k], helpful=5.0 + k * (name == "sft"), seed=seed,
                                cost={"optimizer_steps": steps if tokens else 0, "tokens_trained": tokens}))
    return root / "store"


def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True)


def test_a_runs_store_carries_its_curve_into_show_export_and_power(tmp_path):
    import csv
    import io

    store = curve_run(tmp_path / "run")
    r = _cli("leaderboard", "export", "--store", str(store), "--format", "curve-csv")
    assert r.returncode == 0, r.stderr
    lines = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(lines) == 4 * 3 and [int(x["optimizer_steps"]) for x in lines[:3]] == [2, 4, 8]
    sft = [x for x in lines if x["row"] == "sft"]
    assert [int(x["tokens_trained"]) for x in sft] == [1000, 2000, 4000]
    assert float(sft[0]["safety"]) < float(sft[2]["safety"]) and sft[0]["tokens_to_reach_0.8"] not in ("", "inf")
    assert {x["tokens_to_reach_0.8"] for x in lines if x["row"] == "coh"} == {"inf"}  # never reaches 0.8
    assert {x["mean_over_log_tokens"] for x in lines if x["row"] == "base"} != {""}  # untrained: flat, its mean
    svg = _cli("leaderboard", "export", "--store", str(store), "--format", "curve-svg")
    assert svg.stdout.startswith("<svg") and svg.stdout.count('class="series"') == 2 * 4
    show = _cli("leaderboard", "show", "--store", str(store))
    assert "budget curve: safety summary at 2, 4, 8 optimizer steps" in show.stdout
    assert "pair(s) change order across the budgets" in show.stdout and "--details lists them" in show.stdout
    assert "dpo vs sft: dpo ahead at [2] steps" not in show.stdout  # the first screen counts them
    details = _cli("leaderboard", "show", "--store", str(store), "--details")
    assert "dpo vs sft: dpo ahead at [2] steps, sft at [4, 8]: not a reversal" in details.stdout
    power = _cli("power", "--store", str(store))
    assert power.returncode == 0, power.stderr
    assert "per budget: the typical pair vs the baseline" in power.stdout
    assert all(f"{k} steps" in power.stdout for k in (2, 4, 8))
    # a store with no curve beside it: the curve exports say so in one line
    plain = tmp_path / "plain"
    plain.mkdir()
    (tmp_path / "run" / "store").rename(plain / "results")
    bad = _cli("leaderboard", "export", "--store", str(plain / "results"), "--format", "curve-csv")
    assert bad.returncode != 0 and "has no budget curve" in bad.stderr and "Traceback" not in bad.stderr


def test_the_curve_chart_draws_a_line_and_band_per_trained_row_and_a_level_for_untrained_ones():
    from leaderboards.chart import curve_svg

    curve = {"budgets": [2, 4], "rows": {
        "base": {"tokens": [0, 0], "safety": [0.2, 0.2], "safety_ci": [[0.1, 0.3]] * 2,
                 "helpfulness": [5.0, 5.0], "helpfulness_ci": [[4.5, 5.5]] * 2},
        "sft <b>": {"tokens": [100, 200], "safety": [0.3, math.nan], "safety_ci": [[0.2, 0.4], [math.nan] * 2],
                    "helpfulness": [5.1, 5.3], "helpfulness_ci": [[4.6, 5.6], [4.8, 5.8]]}}}
    svg = curve_svg(curve, "base")
    assert svg.count('class="panel"') == 2 and svg.count('class="line level"') == 2
    assert svg.count('<polygon class="band"') == 1  # one measured safety point: no band there; two helpfulness
    assert "sft &lt;b&gt;" in svg and "<b>" not in svg
    assert "tokens trained (log scale)" in svg
