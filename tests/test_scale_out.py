"""Scale-out: stages as Ray tasks on a local 2-CPU cluster (same leaderboard, retries after a killed worker) and
training under accelerate launch with 2 processes (gloo on CPU)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest


def _run(spec, root, *extra):
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", spec, "--root", str(root), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ)


def _ok(proc):
    out, errs = proc.communicate()
    assert proc.returncode == 0, errs[-3000:]
    return errs


@pytest.fixture(scope="module")
def local_board(tmp_path_factory):
    """The smoke preset (base, sft, dpo; 2 steps) run by the local executor: the leaderboard every other executor
    must reproduce."""
    folder, spec = tmp_path_factory.mktemp("scale-out"), "smoke"
    _ok(_run(spec, folder / "local"))
    return spec, (folder / "local" / "leaderboard" / "leaderboard.json").read_text(), folder / "local"


@pytest.mark.integration
def test_ray_executor_gives_the_local_leaderboard_and_a_second_run_submits_nothing(local_board, tmp_path):
    spec, expected, _ = local_board
    errs = _ok(_run(spec, tmp_path / "ray", "--executor", "ray"))
    assert "ray: submitted 3 training and 3 evaluation stage(s) (cluster CPUs 2" in errs
    assert (tmp_path / "ray" / "leaderboard" / "leaderboard.json").read_text() == expected
    assert len(list((tmp_path / "ray" / "train").glob("*/artifact.json"))) == 3
    assert list((tmp_path / "ray" / "logs").glob("sft-*.log"))  # each stage's library chatter, on the root
    assert list((tmp_path / "ray" / "tensorboard").glob("sft-*-sft/events.out.tfevents.*"))  # training metrics
    again = _ok(_run(spec, tmp_path / "ray", "--executor", "ray"))
    assert "ray: nothing to submit" in again and "submitted" not in again
    assert (tmp_path / "ray" / "leaderboard" / "leaderboard.json").read_text() == expected


@pytest.mark.integration
def test_ray_runs_a_budget_curve_with_a_checkpoint_as_the_shorter_budget(local_board, tmp_path):
    """The smoke preset with `curve = [2, 4]` on Ray: sft trains once (to 4 steps, its 2-step checkpoint the main
    row), base and dpo train each budget (5 trainings, 6 evaluations); the main leaderboard's rows are the local
    2-step run's, value for value, so the checkpoint gave the 2-step training's answers."""
    from harness.spec import PRESETS

    _, expected, _ = local_board
    spec = tmp_path / "smoke-curve.toml"
    spec.write_text((PRESETS / "smoke.toml").read_text().replace("max_steps = 2", "max_steps = 2\ncurve = [2, 4]"))
    errs = _ok(_run(str(spec), tmp_path / "ray", "--executor", "ray"))
    assert "ray: submitted 5 training and 6 evaluation stage(s)" in errs
    board = json.loads((tmp_path / "ray" / "leaderboard" / "leaderboard.json").read_text())
    assert board["rows"] == json.loads(expected)["rows"] and board["curve"]["budgets"] == [2, 4]
    steps = sorted(json.loads(p.read_text())["cost"]["optimizer_steps"]
                   for p in (tmp_path / "ray" / "train").glob("sft-*/artifact.json"))
    assert steps == [2, 4]


def _ray_workers(title: str) -> list[int]:
    """PIDs of Ray worker processes whose title shows they run ``title`` (Ray sets it to ray::NAME)."""
    found = subprocess.run(["pgrep", "-f", f"ray::{title}"], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


@pytest.mark.integration
def test_a_ray_worker_killed_during_training_is_retried_to_the_same_leaderboard(local_board, tmp_path):
    spec, expected, _ = local_board
    root = tmp_path / "ray-killed"
    proc = _run(spec, root, "--executor", "ray")
    start, killed = time.time(), []
    while not killed:  # sft's (or dpo's) training has started: its folder exists, its artifact does not
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() - start < 300
        training = [d for d in (root / "train").glob("*") if d.name[:3] in ("sft", "dpo")
                    and not (d / "artifact.json").exists()] if (root / "train").is_dir() else []
        pids = _ray_workers("_train") if training else []
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.1)
    errs = _ok(proc)
    assert (root / "leaderboard" / "leaderboard.json").read_text() == expected
    assert len(list((root / "train").glob("*/artifact.json"))) == 3 and "[6/6]" in errs


def test_a_worker_that_cannot_see_the_run_root_fails_in_one_line(tmp_path):
    from harness.errors import AlignboardError
    from harness.io import atomic_write_text
    from harness.ray_executor import _TOKEN, check_root

    atomic_write_text(tmp_path / _TOKEN, "abc")
    check_root(tmp_path, "abc")  # the driver's own root: seen
    with pytest.raises(AlignboardError, match="cannot see the run root .*other.*shared file system"):
        check_root(tmp_path / "other", "abc")  # a node that mounts nothing there
    with pytest.raises(AlignboardError, match="cannot see the run root"):
        check_root(tmp_path, "another run's token")  # a different folder at the same path


@pytest.mark.integration
def test_training_under_accelerate_launch_with_two_processes(local_board, tmp_path):
    """DDP on CPU (gloo): both ranks train, rank 0 alone writes each artifact and evaluates."""
    spec, expected, local_root = local_board
    root = tmp_path / "ddp"
    # --multi_gpu is accelerate's torchrun launcher; on this CPU machine the processes train with gloo
    # (accelerate 1.15's --cpu starts a single process: its multi-CPU launcher is mpirun)
    proc = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "-m", "harness.cli", "run", spec, "--root", str(root)],
                          capture_output=True, text=True, env=os.environ)
    assert proc.returncode == 0, proc.stderr[-3000:]
    artifacts = sorted((root / "train").glob("*/artifact.json"))
    assert len(artifacts) == 3 and all(json.loads(a.read_text())["processes"] == 2 for a in artifacts)
    assert len(list((root / "eval").glob("*.json"))) == 3  # one evaluation per row, by rank 0
    assert proc.stderr.count("sft seed 0: evaluating") == 1 and (root / "run.rank1.log").is_file()
    # the budget's batch is the global batch (1 example per process here) and transformers normalises the loss over
    # the tokens of all processes: with LoRA dropout off (its masks are drawn per process) and examples that divide
    # by the processes (else the distributed sampler repeats some), the adapters equal one process's up to the
    # all-reduce's float summation order, and so does the leaderboard
    from safetensors.torch import load_file

    for name in ("sft", "dpo"):
        one, two = (load_file(next((r / "train").glob(f"{name}-*/adapter/adapter_model.safetensors")))
                    for r in (local_root, root))
        moved = [k for k in one if "lora_B" in k]  # zero before training: all of it is the training's update
        diff = sum(float(((one[k] - two[k]) ** 2).sum()) for k in moved) ** 0.5
        # measured: 1e-5 (sft) and 3e-4 (dpo) relative; with dropout on, or 3 examples over 2 processes, 0.2-0.6
        assert diff < 5e-3 * sum(float((one[k] ** 2).sum()) for k in moved) ** 0.5, name
    assert (root / "leaderboard" / "leaderboard.json").read_text() == expected


@pytest.mark.integration
def test_a_killed_ray_driver_resumes_to_the_same_leaderboard(local_board, tmp_path):
    spec, expected, _ = local_board
    root = tmp_path / "driver-killed"
    proc = _run(spec, root, "--executor", "ray")
    start = time.time()
    while not (root / "train").is_dir() or not any(d.name.startswith("sft") for d in (root / "train").iterdir()):
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.time() - start < 300
        time.sleep(0.1)
    proc.kill()  # SIGKILL: no cleanup of its own
    proc.wait()
    assert not (root / "leaderboard").exists()
    errs = _ok(_run(spec, root, "--executor", "ray"))
    assert "ray: submitted" in errs and (root / "leaderboard" / "leaderboard.json").read_text() == expected
