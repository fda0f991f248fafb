"""What alignboard promises when things fail (docs/explanation/failures.md): each promise is one test here.

A number is measured or visibly missing; bad input is refused before work starts; an OS
error is one line naming the path and the fix; nothing half-written is left behind.
"""

import errno
import json
import os
import subprocess
import sys
import time

import pytest

from harness.errors import AlignboardError
from harness.generation import GenerationSettings, generate


def cli(*args, env=None, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), cwd=cwd, **kw)


def one_line_error(p, *needles):
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr[-3000:]
    assert lines and lines[-1].startswith("error: ") and all(n in lines[-1] for n in needles), lines[-3:]
    return lines[-1]


# ---- input is checked before any work
def test_empty_prompts_are_refused(tiny_lm):
    with pytest.raises(AlignboardError, match="prompt 2 is empty"):
        generate(tiny_lm, ["hello", "   "], cache=False, progress=False)
    one_line_error(cli("generate", ""), "prompt 1 is empty")


def test_an_over_long_prompt_is_refused_by_id_within_seconds(tiny_lm):
    start = time.time()
    with pytest.raises(AlignboardError, match=r"prompt doc-7 has \d+ tokens; with 16 new tokens the model's "
                                              r"context of 256 is exceeded"):
        generate(tiny_lm, ["the water", "the " * 400], GenerationSettings(max_new_tokens=16), cache=False,
                 progress=False, ids=["doc-3", "doc-7"])
    assert time.time() - start < 5


@pytest.mark.integration
def test_a_100k_character_prompt_is_refused_in_seconds():  # one argv string holds at most 128 KiB
    start = time.time()
    one_line_error(cli("generate", "tell me a story " * 6_000, "--no-cache"), "tokens", "context of 8192")
    assert time.time() - start < 60


def test_a_negative_seed_is_refused_when_the_spec_loads(tmp_path):
    from harness.spec import load_spec

    p = tmp_path / "s.toml"
    p.write_text('name = "x"\nseeds = [-1]\naligners = [{name = "sft"}]\n')
    with pytest.raises(AlignboardError, match=r"field 'seeds.0'.*greater than or equal to 0.*-1"):
        load_spec(str(p))


# ---- stable identities, explicit duplicates
def test_adapter_identity_ignores_the_order_of_target_modules(tmp_path):
    from harness.models import folder_identity

    for name, modules in (("a", ["q_proj", "v_proj", "o_proj"]), ("b", ["o_proj", "q_proj", "v_proj"])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "adapter_model.safetensors").write_bytes(b"same weights")
        (tmp_path / name / "adapter_config.json").write_text(json.dumps({"r": 8, "target_modules": modules}))
    assert folder_identity(tmp_path / "a") == folder_identity(tmp_path / "b")
    (tmp_path / "b" / "adapter_model.safetensors").write_bytes(b"other weights")
    assert folder_identity(tmp_path / "a") != folder_identity(tmp_path / "b")


@pytest.mark.integration
def test_training_twice_gives_one_adapter_identity(tmp_path):
    from harness.models import folder_identity

    ids = []
    for hash_seed in ("1", "2"):  # set iteration order differs between processes
        out = tmp_path / f"run{hash_seed}"
        p = cli("aligners", "train", "sft", "--responses", "dataset", "--verify-judge", "none", "--n-harmful", "0",
                "--n-benign", "2", "--max-steps", "1", "--batch-size", "2", "--out", str(out),
                env={"PYTHONHASHSEED": hash_seed})
        assert p.returncode == 0, p.stderr[-2000:]
        ids.append(folder_identity(out / "adapter"))
    assert ids[0] == ids[1]


def _entry(**kw):
    from leaderboards.entry import Entry

    base = dict(aligner="sft", label="sft", seed=0, base_model="m", base_identity="m-1", judge="keyword",
                judge_identity="keyword-v1-x", task_versions={"t": "3.0"}, generation={}, alignboard_version="0.1.0",
                adapter_identity="adapter-a")
    return Entry(**{**base, **kw})


def test_the_store_replaces_a_rerun_explicitly(tmp_path):
    from leaderboards.store import Store

    s = Store(tmp_path / "st")
    first = s.add(_entry())
    second = s.add(_entry(adapter_identity="adapter-b"))  # the same (aligner, config, seed) trained again
    assert first == second and [e.adapter_identity for e in s.entries()] == ["adapter-b"]
    assert s.replaced == [f"{first}: sft seed 0 (adapter adapter-a replaced by adapter-b)"]
    s.add(_entry(seed=1))
    assert sorted(e.seed for e in s.entries()) == [0, 1]


@pytest.mark.parametrize("content", ["[1, 2, 3]", "null", "{\"aligner\": 3}"])
def test_a_store_entry_that_is_not_an_entry_is_one_line(tmp_path, content):
    from leaderboards.store import Store

    Store(tmp_path / "st").add(_entry())
    (tmp_path / "st" / "entries" / "zzz.json").write_text(content)
    one_line_error(cli("leaderboard", "show", "--store", str(tmp_path / "st")), "zzz.json", "is corrupt")


# ---- OS errors: one line naming the path and the fix; results are not lost
def test_a_home_that_is_a_file_is_one_line(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    for args in (("data", "list"), ("assets", "fetch")):
        one_line_error(cli(*args, env={"ALIGNBOARD_HOME": str(home)}), str(home), "is a file", "ALIGNBOARD_HOME")


@pytest.mark.integration
def test_a_read_only_home_still_prints_the_answer(tmpfs):
    from harness.assets import home as real_home

    def link(p):
        for part in ("assets", "models"):
            (p / part).symlink_to(real_home() / part, target_is_directory=True)

    ro = tmpfs("home", ro=True, setup=link)
    p = cli("generate", "What is the capital of France?", "--max-new-tokens", "12",
            env={"ALIGNBOARD_HOME": str(ro), "ALIGNBOARD_CACHE": ""})
    assert p.returncode == 0 and "Paris" in p.stdout, p.stderr[-2000:]
    warnings = [ln for ln in p.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "not cached" in warnings[0] and str(ro) in warnings[0]


def test_a_full_disk_while_publishing_is_one_line_and_leaves_nothing(tmp_path, tmpfs):
    from leaderboards.store import Store

    s = Store(tmp_path / "st")
    s.add(_entry(samples={}))
    s.add(_entry(aligner="base", label="base", samples={}))
    full = tmpfs("full", size="16k")
    (full / "filler").write_bytes(b"x" * 12_000)
    line = one_line_error(cli("leaderboard", "publish", "--store", str(tmp_path / "st"), str(full / "pub")),
                          "no space left", str(full))
    assert "free space" in line and sorted(os.listdir(full)) == ["filler"]
    ro = tmpfs("ro", ro=True)
    one_line_error(cli("leaderboard", "publish", "--store", str(tmp_path / "st"), str(ro / "pub")),
                   "read-only", str(ro))


def test_a_full_disk_while_saving_an_adapter_is_one_line(tmp_path, monkeypatch, capsys):
    """In process, with a writer that fails the way a full disk does."""
    from aligners.api import TrainResult
    from harness import cli as cli_module

    class Model:
        def save_pretrained(self, path, **kw):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("aligners.training.sft", lambda ctx, rows, **k: (Model(), TrainResult(examples=1)))
    monkeypatch.setattr(sys, "argv", ["alignboard", "aligners", "train", "sft", "--responses", "dataset",
                                      "--verify-judge", "none", "--n-harmful", "0", "--n-benign", "1",
                                      "--out", str(tmp_path / "run")])
    with pytest.raises(SystemExit) as e:
        cli_module.main()
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and err[-1].startswith("error: cannot write ") and "no space left" in err[-1]
    assert not (tmp_path / "run" / "adapter").exists() and not (tmp_path / "run" / "artifact.json").exists()


# ---- output that cannot mislead
def test_terminal_and_markdown_show_labels_as_written(tmp_path):
    from leaderboards.store import Store

    s = Store(tmp_path / "st")
    s.add(_entry(aligner="base", label="base"))
    s.add(_entry(label="sft[f3dc17]"))
    s.add(_entry(label="[bold]loud"))
    s.add(_entry(label="<script>alert(1)</script>"))
    shown = cli("leaderboard", "show", "--store", str(tmp_path / "st"))
    assert shown.returncode == 0 and "sft[f3dc17]" in shown.stdout and "[bold]loud" in shown.stdout
    md = cli("leaderboard", "export", "--store", str(tmp_path / "st"), "--format", "md").stdout
    assert "<script>" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
