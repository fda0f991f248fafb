"""Sentence embeddings from the shipped encoders (mean pooling, L2-normalised): all-MiniLM-L6-v2
(``minilm``, 384-d, the default) and all-mpnet-base-v2 (``mpnet``, 768-d)."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from harness.assets import minilm_dir, mpnet_dir

ENCODERS = {"minilm": (minilm_dir, 384), "mpnet": (mpnet_dir, 768)}  # name -> (verified folder, dimension)


@lru_cache(maxsize=2)
def _model(encoder: str):
    from transformers import AutoModel, AutoTokenizer

    d = ENCODERS[encoder][0]()
    return AutoTokenizer.from_pretrained(d), AutoModel.from_pretrained(d, use_safetensors=True).eval()


def embed(texts: Sequence[str], batch_size: int = 64, encoder: str = "minilm") -> np.ndarray:
    """Unit-length embeddings (384-d for minilm, 768-d for mpnet), one row per text."""
    import torch

    tok, model = _model(encoder)
    rows = []
    for i in range(0, len(texts), batch_size):
        enc = tok(list(texts[i : i + batch_size]), padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        rows.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, ENCODERS[encoder][1]), dtype=np.float32)
