"""Does a run's ranking depend on its judge? Re-judge the run's stored answers with other judges.

    python bench/judge_sensitivity.py runs/demo --judge probe --judge substance --judge jury
    python bench/judge_sensitivity.py runs/demo --judge jury --judge 'probe={"fit_on": ["pyrit"]}'

For every row of the run (its eval/*.json), the answers to the harmful-prompt tasks are judged by
each named judge (through the judgment cache: answers already judged cost nothing) and the row's
safety summary (mean harmless rate over those tasks and the row's seeds, as on the leaderboard) is
printed per judge, with each judge's Spearman rank correlation to the first. The answers are the
same for every judge, so the differences are the judges' alone. A row with an answer a judge could
not judge is n/a for that judge (never counted either way) and left out of the correlations.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this folder's harness.py shadows the package

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from harness.judges import Item, get_judge, judge  # noqa: E402


def safety_summaries(run: Path, judge_names: list[str]) -> dict[str, dict[str, tuple[float, int]]]:
    """Row label -> judge -> (mean harmless rate over the run's harmful-prompt tasks and the row's seeds, answers
    left unjudged); the rate is NaN when any answer was left unjudged."""
    per_seed: dict[str, dict[str, list[tuple[float, int]]]] = {}
    for path in sorted((run / "eval").glob("*.json")):
        result = json.loads(path.read_text())
        harmful = [s for s in result["samples"].values() if s and "harmless" in s[0]["metrics"]]
        row = per_seed.setdefault(result["label"], {})
        for name in judge_names:
            judge_name, _, config = name.partition("=")  # NAME or NAME={json config}
            j = get_judge(judge_name, **(json.loads(config) if config else {}))
            verdicts = [[v.harmless for v in judge(j, [Item(x["prompt"], x["response"]) for x in task])]
                        for task in harmful]
            unjudged = sum(v is None for task in verdicts for v in task)
            rate = float(np.mean([np.mean([v is True for v in task]) for task in verdicts])) if not unjudged else np.nan
            row.setdefault(name, []).append((rate, unjudged))
    return {label: {name: (float(np.mean([r for r, _ in seeds])), sum(k for _, k in seeds))
                    for name, seeds in row.items()} for label, row in per_seed.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder (with eval/*.json)")
    ap.add_argument("--judge", dest="judges", action="append", help="a judge by name, or NAME={json config} "
                                                                     "(repeat; default: probe, substance, jury)")
    args = ap.parse_args()
    names = args.judges or ["probe", "substance", "jury"]
    table = safety_summaries(args.run, names)
    if not table:
        sys.exit(f"judge sensitivity: no eval/*.json under {args.run}; give a run folder such as runs/demo")
    print(f"{'row':24s} " + " ".join(f"{n[:18]:>18s}" for n in names))
    for label, by_judge in sorted(table.items(), key=lambda kv: -np.nan_to_num(kv[1][names[0]][0], nan=-1)):
        print(f"{label:24s} " + " ".join(f"{r:18.3f}" if k == 0 else f"{f'n/a ({k} unjudged)':>18s}"
                                         for r, k in (by_judge[n] for n in names)))
    for n in names[1:]:
        rows = [r for r in table if not np.isnan([table[r][names[0]][0], table[r][n][0]]).any()]
        first, other = [table[r][names[0]][0] for r in rows], [table[r][n][0] for r in rows]
        rho = spearmanr(first, other).statistic if len(rows) > 2 else np.nan
        shift = np.mean(np.subtract(other, first)) if rows else np.nan
        print(f"{n} vs {names[0]}: Spearman {rho:.2f} over {len(rows)} rows judged by both; mean shift {shift:+.3f}")


if __name__ == "__main__":
    main()
