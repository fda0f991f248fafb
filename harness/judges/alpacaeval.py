"""``alpacaeval``: the AlpacaEval 2 annotator ``weighted_alpaca_eval_gpt4_turbo`` (Dubois et al. 2024; alpaca_eval).

Everything comes from the ``alpaca-eval==0.6.6`` package (``pip install 'alignboard[alpacaeval]'``), read or
called, never retyped here:

- Template: ``evaluators_configs/alpaca_eval_clf_gpt4_turbo/alpaca_eval_clf.txt``, the file that
  ``weighted_alpaca_eval_gpt4_turbo/configs.yaml`` names, filled by ``alpaca_eval.utils.make_prompts`` and turned
  into chat messages by ``alpaca_eval.utils.prompt_to_chatml``, as the annotator does.
- Order: the reference (AlpacaEval 2's baseline, GPT-4 Turbo's outputs) and the model's answer are shown as
  ``output_1`` / ``output_2`` or switched, by alpaca_eval's seeded coin (``random_seeded_choice`` on the
  instruction, seed 0, as its ``RandomSwitchTwoColumnsProcessor``); a switched preference is mapped back (3 - x).
- Decoding: the config's ``completions_kwargs`` (``gpt-4-1106-preview``, one token, logprobs, top 5).
- Parser: ``alpaca_eval.completion_parsers.logprob_parser`` with the config's arguments: the preference
  ``2 - P(m) / (P(m) + P(M))`` in [1, 2] (2: the model's answer wins). Neither "m" nor "M" among the top
  log-probabilities: no preference (NaN there), unparseable here and counted.

Its per-answer output is that preference (``protocol_score``); the win rates come from alpaca_eval's own
``get_winrate`` and ``get_length_controlled_winrate`` (``tasks/alignboard/utils.py``).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any, Optional, Sequence

from pydantic import Field

from harness.errors import AlignboardError
from harness.judges.base import Item, Judgment, register_judge
from harness.judges.protocol import ProtocolConfig, ProtocolJudge

ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
SWITCH = "is_switched_outputs"  # the annotator's switch column, which also seeds its coin


def library():
    """The alpaca_eval package (a one-line error when it is not installed)."""
    try:
        import alpaca_eval  # noqa: F401
        import alpaca_eval.completion_parsers
        import alpaca_eval.utils
    except ImportError:
        raise AlignboardError("AlpacaEval 2 needs the alpaca_eval package: pip install 'alignboard[alpacaeval]'"
                              ) from None
    return alpaca_eval


@lru_cache(maxsize=None)
def annotator_config() -> tuple[dict, str, str]:
    """(the annotator's config, its prompt template's path inside the package, the template) as shipped."""
    from pathlib import Path

    import yaml

    root = Path(library().__file__).parent / "evaluators_configs"
    config = yaml.safe_load((root / ANNOTATOR / "configs.yaml").read_text(encoding="utf-8"))[ANNOTATOR]
    member = config["prompt_template"]
    with open(root / member, encoding="utf-8", newline="") as f:
        return config, f"alpaca_eval/evaluators_configs/{member}", f.read()


def switched(instruction: str, seed: int = 0) -> bool:
    """alpaca_eval's coin: whether the model's answer is shown first (as ``output_1``)."""
    return library().utils.random_seeded_choice(seed=SWITCH + instruction + str(seed), choices=[False, True])


def preference(top: dict[str, float]) -> Optional[float]:
    """alpaca_eval's logprob_parser on one position's top log-probabilities: the preference in [1, 2] for
    ``output_2``, or None when neither label token is there."""
    config, _, _ = annotator_config()
    completion = {"logprobs": {"content": [{"top_logprobs": [{"token": t, "logprob": lp} for t, lp in top.items()]}]}}
    value = library().completion_parsers.logprob_parser(completion, **config["completion_parser_kwargs"])[0]
    return None if value is None or math.isnan(value) else float(value)


LEADERBOARD = "alpaca_eval/leaderboards/data_AlpacaEval_2/weighted_alpaca_eval_gpt4_turbo_leaderboard.csv"
# published rows a reader knows, from the baseline itself down to small open chat models
ANCHORS = ("gpt4_1106_preview", "Mistral-7B-Instruct-v0.2", "llama-2-7b-chat-hf", "gemma-2b-it", "Qwen1.5-1.8B-Chat")


def published(models: Sequence[str] = ANCHORS) -> list[tuple[str, float, float]]:
    """(model, win rate, LC win rate) of ``models`` on AlpacaEval 2's published leaderboard, as the alpaca_eval
    package ships it (published figures, not re-measured); models it does not list are left out."""
    import csv
    from pathlib import Path

    path = Path(library().__file__).parent.parent / LEADERBOARD
    with open(path, encoding="utf-8", newline="") as f:
        rows = {r[""]: r for r in csv.DictReader(f)}
    return [(m, float(rows[m]["win_rate"]), float(rows[m]["length_controlled_winrate"])) for m in models if m in rows]


@register_judge("alpacaeval")
class AlpacaEvalJudge(ProtocolJudge):
    """The AlpacaEval 2 annotator: the model's answer against the reference, preference from logprobs."""

    description = "AlpacaEval 2's weighted_alpaca_eval_gpt4_turbo annotator (pairwise vs the reference; logprobs)"
    protocol = f"AlpacaEval 2 annotator {ANNOTATOR} (Dubois et al. 2024; alpaca-eval==0.6.6)"
    reads = ("reference",)
    metric = "lc_win_rate"

    class Config(ProtocolConfig):
        model: str = Field("gpt-4-1106-preview", description="the chat model that annotates (the config's)")
        seed: int = Field(0, description="seed of the order coin (alpaca_eval's annotator default: 0)")

    def check(self) -> None:
        library()
        if self.config.backend == "local":
            raise AlignboardError("the AlpacaEval 2 annotator reads an endpoint's log-probabilities: serve the "
                                  "model (`vllm serve`) and keep backend=endpoint")
        super().check()

    def templates(self) -> dict[str, str]:
        return {"annotator": annotator_config()[2]}

    def decoding(self) -> dict[str, Any]:
        kwargs = dict(annotator_config()[0]["completions_kwargs"])
        kwargs.pop("model_name", None)
        return {**kwargs, "seed": self.config.seed}

    def citation(self) -> dict[str, Any]:
        return {**super().citation(), "annotator": ANNOTATOR, "template_file": annotator_config()[1]}

    def render(self, item: Item) -> list[dict]:
        """The annotator's chat messages for ``item`` (its reference and answer in the coin's order)."""
        import pandas as pd

        if not item.reference:
            raise AlignboardError("AlpacaEval compares an answer with its reference output; the item has none")
        pair = (item.response, item.reference) if switched(item.prompt, self.config.seed) else \
            (item.reference, item.response)
        df = pd.DataFrame([{"instruction": item.prompt, "output_1": pair[0], "output_2": pair[1]}])
        lib = library()
        return lib.utils.prompt_to_chatml(lib.utils.make_prompts(df, template=self.templates()["annotator"])[0][0])

    def judge_batch(self, items: Sequence[Item]) -> list[Judgment]:
        decoding = {k: v for k, v in self.decoding().items() if k != "seed"}
        decoding["max_tokens"] = decoding.pop("max_tokens", 1)

        def ask(item: Item, key: str):
            _, tokens = self.endpoint.chat_logprobs(self.config.model, self.render(item), key, **decoding)
            return item, (tokens[0][1] if tokens else {})

        return self._on_endpoint(ask, list(items), lambda answered: self._judgment(*answered))

    def _judgment(self, item: Item, top: dict[str, float]) -> Judgment:
        raw = json.dumps({"switched": switched(item.prompt, self.config.seed), "top_logprobs": top})
        p = preference(top)
        if p is None:
            return Judgment(parsed=False, raw=raw[:500])
        if switched(item.prompt, self.config.seed):
            p = 3 - p  # back to "2: the model's answer wins"
        return Judgment(protocol_score=p, raw=raw[:2000])
