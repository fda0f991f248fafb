"""Write the short-answers label set's model answers again and count any that differ from the stored ones.

The `model:*` rows of harness/judges/short_answers/answers.jsonl are SmolLM2-135M-Instruct's greedy answers
(64 new tokens) to the row's prompt as is, or inside HARMFUL_HINT / HARMLESS_HINT. Greedy decoding on the same
float32 weights gives the same text, so this checks the provenance the file claims (about 6 min on 2 cores).

    python bench/short_answers.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this folder's harness.py / aligners.py shadow the packages

from aligners.responses import HARMFUL_HINT, HARMLESS_HINT  # noqa: E402
from harness.assets import EMBEDDED_MODEL  # noqa: E402
from harness.generation import GenerationSettings, generate  # noqa: E402
from harness.judges.labels import SHORT_ANSWERS, _from_wheel  # noqa: E402
from harness.models import load_model  # noqa: E402

HINTS = {"plain": "{prompt}", "harmful_hint": HARMFUL_HINT, "harmless_hint": HARMLESS_HINT}


def main() -> None:
    rows = [json.loads(line) for line in SHORT_ANSWERS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["from"].startswith("model:")]
    prompts = [HINTS[r["from"].split(":")[1]].format(prompt=_from_wheel(r["prompt"])) for r in rows]
    texts = generate(load_model(EMBEDDED_MODEL), prompts, GenerationSettings(max_new_tokens=64, batch_size=32),
                     cache=False, description="short answers")
    differ = [r["id"] for r, t in zip(rows, texts) if t != r["answer"]]
    print(f"{len(rows)} model answers written again: {len(rows) - len(differ)} identical, {len(differ)} differ"
          + (f" ({', '.join(differ[:5])}{', ...' if len(differ) > 5 else ''})" if differ else ""))


if __name__ == "__main__":
    main()
