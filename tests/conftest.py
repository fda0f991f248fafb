"""Shared test setup: offline Hugging Face settings and a tiny random chat model."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import pytest  # noqa: E402

_WORDS = ("the a of to and is in it you that he was for on are with as I his they be at one have this from or "
          "had by hot word but what some we can out other were all there when up use your how said an each she "
          "which do their time if will way about many then them write would like so these her long make thing see "
          "him two has look more day could go come did number sound no most people my over know water than call "
          "first who may down side been now find").split()
CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def make_tiny_lm(seed: int = 0):
    """A randomly initialised 2-layer Llama with a word-level tokenizer and a ChatML template (~1 MB)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from harness.models import LoadedModel, prepare_tokenizer

    specials = ["<unk>", "<|im_start|>", "<|im_end|>", "user", "assistant", "system"]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(specials + _WORDS + list("?!.,:")))}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", eos_token="<|im_end|>",
                                  pad_token="<|im_end|>", additional_special_tokens=["<|im_start|>"])
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                      eos_token_id=vocab["<|im_end|>"], pad_token_id=vocab["<|im_end|>"], bos_token_id=None,
                      tie_word_embeddings=False, initializer_range=0.4)
    model = LlamaForCausalLM(cfg).eval()
    return LoadedModel(model, prepare_tokenizer(tok, 256), identity=f"tiny-random-{seed}", name="tiny")


@pytest.fixture(autouse=True, scope="session")
def _private_home(tmp_path_factory):
    """No test writes into the user's real ALIGNBOARD_HOME: the session gets its own, reading the real one's
    fetched assets and converted model through symlinks and starting from a copy of its fitted judges (so the
    probe is not fitted again); caches, logs and agreement reports stay in the private home."""
    import shutil

    from harness.assets import home as real_home

    real, private = real_home(), tmp_path_factory.mktemp("alignboard-home")
    for part in ("assets", "models"):
        if (real / part).is_dir():
            (private / part).symlink_to(real / part, target_is_directory=True)
    if (real / "judges").is_dir():
        shutil.copytree(real / "judges", private / "judges")
    before = _snapshot(real)
    saved = {k: os.environ.get(k) for k in ("ALIGNBOARD_HOME", "ALIGNBOARD_CACHE")}
    os.environ["ALIGNBOARD_HOME"] = str(private)
    os.environ.pop("ALIGNBOARD_CACHE", None)
    yield private
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    changed = sorted(set(before.items()) ^ set(_snapshot(real).items()))
    assert not changed, f"the test session wrote into the real ALIGNBOARD_HOME {real}: {changed[:3]}"


def _snapshot(folder) -> dict:
    """(size, mtime) of every file under ``folder``."""
    out = {}
    for dirpath, _, files in os.walk(folder):
        for f in files:
            st = os.stat(os.path.join(dirpath, f))
            out[os.path.join(dirpath, f)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture
def tiny_lm():
    return make_tiny_lm()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty, private ALIGNBOARD_HOME."""
    monkeypatch.setenv("ALIGNBOARD_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def home_with_assets(tmp_path, monkeypatch):
    """A private ALIGNBOARD_HOME that reads the real home's fetched assets and model (and writes nothing there)."""
    from harness.assets import home as real_home

    real = real_home()
    private = tmp_path / "home"
    private.mkdir()
    for part in ("assets", "models"):
        (private / part).symlink_to(real / part, target_is_directory=True)
    monkeypatch.setenv("ALIGNBOARD_HOME", str(private))
    return private


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(name, size, ro, setup)``: a small tmpfs folder (full disks, read-only folders); skipped where
    mounting is not allowed. ``setup(path)`` runs before a read-only remount."""
    import subprocess

    mounts = []

    def mount(name, size="1m", ro=False, setup=None):
        p = tmp_path / name
        p.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(p)], capture_output=True,
                           text=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
        mounts.append(p)
        if setup:
            setup(p)
        if ro:
            subprocess.run(["mount", "-o", "remount,ro", str(p)], check=True)
        return p

    yield mount
    for p in reversed(mounts):
        subprocess.run(["umount", "-l", str(p)], capture_output=True)
