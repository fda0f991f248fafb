"""Loading base models (embedded name, hub id or local folder) and LoRA adapters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from harness.assets import EMBEDDED_MODEL, embedded_model_dir
from harness.errors import AlignboardError
from harness.io import sha256_file, stable_hash

EMBEDDED_MODELS = {EMBEDDED_MODEL: embedded_model_dir, "smollm2": embedded_model_dir}
DTYPES = ("float32", "bfloat16")


@dataclass
class LoadedModel:
    """A model ready to generate, with the identity that keys every cache."""

    model: Any
    tokenizer: Any
    identity: str  # content hash of the base weights (+ dtype)
    adapter_identity: Optional[str] = None
    name: str = ""


def resolve(name: str, weights: bool = True) -> Path:
    """Local folder of a model given by embedded name, local path or hub id (``weights=False``: from the hub,
    only its configs and tokenizer files)."""
    if name in EMBEDDED_MODELS:
        return EMBEDDED_MODELS[name]()
    p = Path(name).expanduser()
    if p.is_dir():
        if not (p / "config.json").is_file():
            raise AlignboardError(f"{p} is not a Hugging Face model folder (no config.json)")
        return p
    if name.count("/") != 1 or p.exists():
        raise AlignboardError(f"unknown model {name!r}; known: {', '.join(EMBEDDED_MODELS)}, "
                              "a local model folder, or a hub id like org/name")
    try:
        from huggingface_hub import snapshot_download

        patterns = ["*.json", "*.jinja", "*.model", "*.txt"] + (["*.safetensors"] if weights else [])
        return Path(snapshot_download(name, allow_patterns=patterns))
    except Exception as e:
        raise AlignboardError(f"cannot download model {name} from the Hugging Face hub ({type(e).__name__}); "
                              "check the id and that huggingface.co is reachable") from None


def _content(p: Path) -> str:
    # adapter_config.json lists target_modules in set order, which changes between processes:
    # it is hashed canonically (sorted keys and modules) so identical weights keep one identity.
    if p.name == "adapter_config.json":
        cfg = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(cfg.get("target_modules"), list):
            cfg["target_modules"] = sorted(cfg["target_modules"])
        return stable_hash(cfg)
    return sha256_file(p)


def folder_identity(folder: Path, patterns=("*.safetensors", "config.json", "adapter_config.json")) -> str:
    """Content hash of the files that define a model or adapter (configs canonically, weights by bytes)."""
    files = sorted({p for pat in patterns for p in folder.glob(pat) if p.is_file()})
    if not files:
        raise AlignboardError(f"{folder} holds no safetensors weights")
    return stable_hash({p.name: _content(p) for p in files})[:16]


def prepare_tokenizer(tok: Any, max_length: int) -> Any:
    """Left padding (batched generation), a pad token, and a sane ``model_max_length``."""
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not tok.model_max_length or tok.model_max_length > 1_000_000:
        tok.model_max_length = max_length
    return tok


def load_model(name: str = EMBEDDED_MODEL, adapter: str | Path | None = None, dtype: str = "float32",
               trust_remote_code: bool = False, device: Optional[str] = None) -> LoadedModel:
    """Load a causal LM from safetensors (never pickles), optionally with a LoRA adapter merged in, onto ``device``
    (default: the GPU when there is one). Off the CPU, the device is part of the identity: a GPU's greedy answers
    may differ from a CPU's, so neither is read from the other's cache."""
    if dtype not in DTYPES:
        raise AlignboardError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")

    folder = resolve(name)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=getattr(torch, dtype), use_safetensors=True,
                                                 trust_remote_code=trust_remote_code)
    tok = prepare_tokenizer(AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code),
                            getattr(model.config, "max_position_embeddings", 2048))
    identity = f"{folder_identity(folder)}-{dtype}" + ("" if device == "cpu" else f"-{device}")
    adapter_id = None
    if adapter is not None:
        adapter = Path(adapter)
        if not (adapter / "adapter_config.json").is_file():
            raise AlignboardError(f"{adapter} is not a PEFT adapter folder (no adapter_config.json)")
        from peft import PeftModel

        adapter_id = folder_identity(adapter)
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    model.to(device).eval()
    return LoadedModel(model, tok, identity, adapter_id, name)

