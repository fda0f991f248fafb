"""The one batched generation function, and its on-disk cache.

Every part of alignboard that makes a model write text (self-induced mistakes,
analyses, critiques, evaluation answers, ``alignboard generate``) goes through
:func:`generate`, so batching, ordering, seeding and caching behave the same
everywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from harness.assets import cache_dir
from harness.errors import AlignboardError
from harness.io import stable_hash
from harness.kvstore import KVStore
from harness.models import LoadedModel

Prompt = Union[str, Sequence[dict]]  # a user message, or a list of chat messages


@dataclass(frozen=True)
class GenerationSettings:
    """How to decode. ``temperature == 0`` means greedy."""

    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    batch_size: int = 8
    system_prompt: str | None = None

    def cache_key(self) -> dict:
        """The settings that change the text. Greedy output does not depend on batch size or seed."""
        d = asdict(self)
        if self.temperature == 0:
            del d["batch_size"], d["seed"], d["top_p"]
        return d


class GenerationCache(KVStore):
    """Generated texts keyed by (model, adapter, prompt, settings), in one SQLite file."""

    def __init__(self, path: str | Path | None = None):
        super().__init__(path or cache_dir() / "generations.sqlite")


def _messages(prompt: Prompt, system_prompt: str | None) -> list[dict]:
    msgs = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
    if system_prompt is not None and msgs[0]["role"] != "system":
        msgs.insert(0, {"role": "system", "content": system_prompt})
    return msgs


def render(tokenizer, prompt: Prompt, system_prompt: str | None = None) -> str:
    """The exact text the model sees: the chat template with the assistant turn opened.

    A final assistant message is a prefill: the model continues it.
    """
    msgs = _messages(prompt, system_prompt)
    prefill = msgs[-1]["role"] == "assistant"
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(msgs, add_generation_prompt=not prefill, continue_final_message=prefill,
                                             tokenize=False)
    text = "\n\n".join(m["content"] for m in msgs)  # base models without a template
    return text if prefill else text + "\n\n"


def cache_key(lm: LoadedModel, prompt: Prompt, settings: GenerationSettings) -> str:
    """Key of one generation: model identity, adapter identity, prompt messages, settings."""
    return stable_hash({"model": lm.identity, "adapter": lm.adapter_identity,
                        "messages": _messages(prompt, None), "settings": settings.cache_key()})


def _text(p: Prompt) -> str:
    return p if isinstance(p, str) else " ".join(m["content"] for m in p if m["role"] == "user")


def generate(lm: LoadedModel, prompts: Sequence[Prompt], settings: GenerationSettings = GenerationSettings(),
             cache: GenerationCache | None | bool = True, progress: bool = True,
             description: str = "generating", ids: Optional[Sequence[str]] = None) -> list[str]:
    """Answers to ``prompts``, in input order.

    Uncached prompts are rendered with the chat template, sorted by token length
    (longest first, so padding stays small), batched with left padding and
    decoded greedily or with seeded sampling until eos or ``max_new_tokens``.
    An empty prompt, or one that does not fit the model's context together with
    ``max_new_tokens``, is refused before anything is generated (named by ``ids``,
    else by its 1-based position); nothing is truncated silently.
    """
    import torch

    name = (lambda i: ids[i]) if ids is not None else (lambda i: str(i + 1))
    for i, p in enumerate(prompts):
        if not _text(p).strip():
            raise AlignboardError(f"prompt {name(i)} is empty; give it some text")
    if cache is True:
        cache = GenerationCache()
    keys = [cache_key(lm, p, settings) for p in prompts]
    done = cache.get_many(keys) if cache else {}
    todo = sorted({k: i for i, k in enumerate(keys) if k not in done}.items(), key=lambda kv: kv[1])
    if todo:
        tok = lm.tokenizer
        texts = {k: render(tok, prompts[i], settings.system_prompt) for k, i in todo}
        lengths = {k: len(tok(t, add_special_tokens=False)["input_ids"]) for k, t in texts.items()}
        context = tok.model_max_length
        for k, i in todo:
            if lengths[k] + settings.max_new_tokens > context:
                raise AlignboardError(f"prompt {name(i)} has {lengths[k]} tokens; with {settings.max_new_tokens} new "
                                      f"tokens the model's context of {context} is exceeded; shorten the prompt")
        order = sorted(texts, key=lambda k: -lengths[k])
        eos = [t for t in {tok.eos_token_id, getattr(lm.model.generation_config, "eos_token_id", None)}
               if isinstance(t, int)]
        new = {}
        with progress_bar(progress, description, len(order)) as advance:
            for batch in batches(order, lengths, settings.batch_size, settings.max_new_tokens):
                enc = tok([texts[k] for k in batch], return_tensors="pt", padding=True,
                          add_special_tokens=False).to(lm.model.device)
                kwargs = dict(max_new_tokens=settings.max_new_tokens, pad_token_id=tok.pad_token_id,
                              eos_token_id=eos or None)
                if settings.temperature > 0:
                    torch.manual_seed(int(stable_hash([settings.seed, batch])[:8], 16))
                    kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
                else:
                    kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
                with torch.inference_mode():
                    out = lm.model.generate(**enc, **kwargs)
                for k, row in zip(batch, out[:, enc["input_ids"].shape[1] :]):
                    new[k] = tok.decode(row, skip_special_tokens=True).strip()
                if cache:
                    cache.put_many({k: new[k] for k in batch})
                advance(len(batch))
        done.update(new)
    return [done[k] for k in keys]


# One decoding step of a batch costs about as much as prefilling this many prompt tokens, whatever the
# batch's size (measured on the embedded model, 2 CPU cores: 85 ms per step vs 1.75 ms per token; decoding
# a small model is bound by reading its weights). A GPU's ratio differs; the partition stays sensible.
_STEP_TOKENS = 48


def batches(order: Sequence[str], lengths: dict[str, int], size: int, max_new_tokens: int) -> list[list[str]]:
    """``order`` (keys sorted longest prompt first) cut into batches of at most ``size``, where the cut
    minimises padded prompt tokens plus the fixed cost of each batch's decoding steps.

    So one outlier prompt of 400 tokens is generated on its own instead of padding 31 others to its
    length. Greedy answers do not depend on the batching.
    """
    n, per_batch = len(order), _STEP_TOKENS * max_new_tokens
    best, cut = [0.0] + [float("inf")] * n, [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - size), j):  # rows i..j-1, padded to the longest, order[i]
            c = best[i] + (j - i) * lengths[order[i]] + per_batch
            if c < best[j]:
                best[j], cut[j] = c, i
    out, j = [], n
    while j:
        out.append(list(order[cut[j] : j]))
        j = cut[j]
    return out[::-1]


class progress_bar:
    """A rich progress bar on stderr (or nothing), used as ``with progress_bar(...) as advance``."""

    def __init__(self, enabled: bool, description: str, total: int):
        self.enabled, self.description, self.total = enabled, description, total

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self._bar.__enter__()
        task = self._bar.add_task(self.description, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self._bar.__exit__(*exc)
