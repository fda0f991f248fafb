"""Sentence embeddings with the shipped all-MiniLM-L6-v2 (mean pooling, L2-normalised)."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from harness.assets import minilm_dir


@lru_cache(maxsize=1)
def _model():
    from transformers import AutoModel, AutoTokenizer

    d = minilm_dir()
    return AutoTokenizer.from_pretrained(d), AutoModel.from_pretrained(d, use_safetensors=True).eval()


def embed(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Unit-length 384-d embeddings, one row per text."""
    import torch

    tok, model = _model()
    rows = []
    for i in range(0, len(texts), batch_size):
        enc = tok(list(texts[i : i + batch_size]), padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)
