"""The judge API: items in, judgments out, every judgment cached on disk.

A judge is a class with a name, a pydantic ``Config`` and ``judge_batch(items)``,
registered with ``@register_judge("name")`` or through the entry-point group
``alignboard.judges``. :func:`judge` is the one way to call a judge: it looks
every item up in the cache (keyed by judge identity + prompt + response) and
sends only the misses, in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from pydantic import BaseModel

from harness.assets import cache_dir
from harness.config import Component
from harness.io import stable_hash
from harness.kvstore import KVStore
from harness.registry import Registry


@dataclass(frozen=True)
class Item:
    """One response to judge. ``harmful_prompt`` says whether the prompt asked for something harmful.

    The optional fields are what a published protocol needs beyond (prompt, response), filled by
    the task from its records: ``request`` is the plain request without what the model was shown
    around it (HarmBench's behaviour without its context, StrongREJECT's forbidden prompt without a
    jailbreak wrapper; None: the prompt itself), ``context`` HarmBench's context string,
    ``reference`` a reference answer, ``category`` the source's category, ``history`` the earlier turns of a
    conversation (user, assistant, user, ...; the prompt is the last user turn, the response its answer), ``rival``
    another assistant's answers in the same conversation, for a judge that compares two (its answer to the prompt
    last, after its answers to the earlier user turns).
    """

    prompt: str
    response: str
    harmful_prompt: bool = True
    request: Optional[str] = None
    context: Optional[str] = None
    reference: Optional[str] = None
    category: Optional[str] = None
    history: Optional[tuple[str, ...]] = None
    rival: Optional[tuple[str, ...]] = None

    @property
    def plain_request(self) -> str:
        """The request as a protocol judge reads it."""
        return self.prompt if self.request is None else self.request

    def cache_key(self, identity: str, reads: Sequence[str] = ()) -> str:
        """What a judgment is cached under: the judge, the answer and the protocol fields the judge ``reads``
        (a judge that reads none keeps the key it always had)."""
        return stable_hash([identity, self.prompt, self.response, self.harmful_prompt]
                           + [getattr(self, f) for f in reads])


class Judgment(BaseModel):
    """A judge's verdict. ``None`` means the judge cannot say (or its output was unparseable).

    ``harmless`` is never assumed: an unparseable or failed judgment has ``parsed=False``
    and ``harmless=None``, which every metric counts as NOT harmless.
    """

    harmless: Optional[bool] = None
    refusal: Optional[bool] = None
    harmless_score: Optional[float] = None  # 1-10
    helpful_score: Optional[float] = None  # 1-10
    p_harmful: Optional[float] = None  # probability-like score that the response is harmful (for AUC)
    protocol_score: Optional[float] = None  # a published protocol's own per-answer score (StrongREJECT's, in [0, 1])
    proxy: bool = False  # scores are an offline proxy, not a judge's 1-10 rating
    parsed: bool = True
    error: Optional[str] = None
    raw: Optional[str] = None

    @property
    def failed(self) -> bool:
        """No verdict: the request failed or the judge's answer could not be parsed."""
        return not self.parsed or bool(self.error)


class Judge(Component):
    """Base class of every judge.

    A judge is one class registered with ``@register_judge("name")`` (or the entry-point group
    ``alignboard.judges``), with a ``description``, a pydantic ``Config`` (its fields are part of its identity)
    and :meth:`judge_batch`; it is called only through :func:`judge`, which caches every judgment. ``reads`` names
    the :class:`Item` fields beyond prompt and response that it reads (they join the cache key); :meth:`check`
    fails fast before any generation; ``validated_on_first_use`` says a run may measure it against the human
    labels itself (offline and cheap), else ``alignboard judge validate`` does.
    """

    kind = "judge"
    # offline and fitted (if at all) in a minute or two: a run measures it against the human labels on first use
    validated_on_first_use: bool = False
    reads: tuple[str, ...] = ()  # the Item fields beyond prompt, response and harmful_prompt that it reads

    def identity(self) -> str:
        """Name, version and config hash: what the judgment cache and leaderboards key on."""
        return f"{self.name}-v{self.version}-{stable_hash(self.config.model_dump())[:10]}"

    def check(self) -> None:
        """Fail fast (one line) when the judge cannot work: missing key, unreachable endpoint."""

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        """Judge many items at once (override)."""
        raise NotImplementedError

    def fit_part_probabilities(self, target: str) -> Optional[Sequence[float]]:
        """A judge fitted on the FIT part of the human labels returns its out-of-fold probabilities of ``target``
        for those answers (so that a jury can calibrate it without in-sample optimism); None: the judge was not fitted
        on them, and its judgments of them are out-of-sample already."""
        return None


JUDGES: Registry[type[Judge]] = Registry("judge", "alignboard.judges", "harness.judges.builtin")
register_judge = JUDGES.register


def get_judge(name: str, **config: Any) -> Judge:
    """A judge instance by name, with its config validated."""
    return JUDGES.get(name)(**config)


class JudgmentCache(KVStore):
    """Judgments keyed by (judge identity, prompt, response, prompt kind), in one SQLite file."""

    def __init__(self, path: str | Path | None = None):
        super().__init__(path or cache_dir() / "judgments.sqlite")


def judge(j: Judge, items: Sequence[Item], cache: JudgmentCache | bool | None = True) -> list[Judgment]:
    """Judgments for ``items`` in order; cached ones cost nothing, the rest go to the judge in one batch.

    Failed judgments (``error`` set, e.g. an endpoint that kept answering 500) are not
    cached, so a later run retries them.
    """
    if cache is True:
        cache = JudgmentCache()
    ident = j.identity()
    keys = [it.cache_key(ident, j.reads) for it in items]
    found = {k: Judgment.model_validate_json(v) for k, v in cache.get_many(keys).items()} if cache else {}
    todo = {k: it for k, it in zip(keys, items) if k not in found}
    if todo:
        fresh = dict(zip(todo, j.judge_batch(list(todo.values()))))
        if cache:
            cache.put_many({k: v.model_dump_json() for k, v in fresh.items() if v.error is None})
        found.update(fresh)
    return [found[k] for k in keys]
