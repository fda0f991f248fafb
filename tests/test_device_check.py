"""The GPU check that fits the lent device: what its carry bundle holds, and the check itself on the CPU."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import device_bundle  # noqa: E402


def test_the_bundle_carries_what_the_device_image_lacks(monkeypatch):
    carry, present = device_bundle.closure()
    assert {"trl", "lm-eval", "datasets", "pydantic", "pydantic-core"} <= carry.keys()
    assert {"torch", "transformers", "peft", "accelerate", "safetensors"} <= present.keys()
    assert not carry.keys() & device_bundle.DEVICE_PACKAGES  # with the stated versions, nothing is carried twice
    # a device package in a version alignboard's requirements refuse travels too, at the tested version
    monkeypatch.setitem(device_bundle.DEVICE_VERSIONS, "transformers", "4.57.0")
    carry, present = device_bundle.closure()
    assert "transformers" in carry and "transformers" not in present


@pytest.mark.integration
def test_the_device_check_runs_on_the_cpu(tmp_path):
    """The check's own code path end to end on a tiny random Llama: the runner's five rows train and evaluate, both
    generation backends answer the same prompts, one table with the skips (no bundle: this machine's tokenizer and
    data, as on a checkout that never built one)."""
    p = subprocess.run([sys.executable, str(BENCH / "device_check.py"), "--cpu", "--steps", "2", "--limit", "2",
                        "--out", str(tmp_path), "--bundle", str(tmp_path / "no-bundle")], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    report = json.loads((tmp_path / "device-check.json").read_text())
    run = report["shapes"]["tiny"]["run"]
    assert run["ok"] and set(run["stages"]) == {"sft/sft", "dpo/sft", "dpo/dpo", "mistake_analysis/sft", "rlhf/reward",
                                                "rlhf/rl"}
    assert all(c["tokens_trained"] > 0 and c["train_seconds"] > 0 and c["peak_gpu_bytes"] == 0
               for c in run["stages"].values())
    ours, hf = report["shapes"]["tiny"]["generation"]
    assert (ours["backend"], hf["backend"]) == ("alignboard", "hf") and hf["total"] == 6  # 2 prompts x 3 tasks
    assert ours["tokens"] > 0 and hf["tokens"] > 0  # the tiny model answers in words, not blanks
    assert "alignboard device check" in p.stdout and "train dpo/dpo" in p.stdout and "vLLM generation" in p.stdout
