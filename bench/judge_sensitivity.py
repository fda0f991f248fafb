"""Does a run's ranking depend on its judge? Re-judge the run's stored answers with other judges.

    python bench/judge_sensitivity.py runs/demo --judge probe --judge substance --judge jury

For every row of the run (its eval/*.json), the answers to the harmful-prompt tasks are judged by
each named judge (through the judgment cache: answers already judged cost nothing) and the row's
safety summary (mean harmless rate over those tasks, as on the leaderboard) is printed per judge,
with each judge's Spearman rank correlation to the first. The answers are the same for every
judge, so the differences are the judges' alone.
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


def safety_summaries(run: Path, judge_names: list[str]) -> dict[str, dict[str, float]]:
    """Row label -> judge -> mean harmless rate over the run's harmful-prompt tasks (unjudged answers count as
    not harmless here, a stricter reading than the leaderboard's missing values)."""
    out: dict[str, dict[str, float]] = {}
    for path in sorted((run / "eval").glob("*.json")):
        result = json.loads(path.read_text())
        harmful = {t: s for t, s in result["samples"].items() if s and "harmless" in s[0]["metrics"]}
        out[result["label"]] = {}
        for name in judge_names:
            rates = [np.mean([j.harmless is True for j in judge(get_judge(name), [Item(x["prompt"], x["response"])
                                                                                    for x in samples])])
                     for samples in harmful.values()]
            out[result["label"]][name] = float(np.mean(rates))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="a run folder (with eval/*.json)")
    ap.add_argument("--judge", dest="judges", action="append", help="a judge by name (repeat; default: probe, "
                                                                     "substance, jury)")
    args = ap.parse_args()
    names = args.judges or ["probe", "substance", "jury"]
    table = safety_summaries(args.run, names)
    if not table:
        sys.exit(f"judge sensitivity: no eval/*.json under {args.run}; give a run folder such as runs/demo")
    print(f"{'row':24s} " + " ".join(f"{n:>10s}" for n in names))
    for label, by_judge in sorted(table.items(), key=lambda kv: -kv[1][names[0]]):
        print(f"{label:24s} " + " ".join(f"{by_judge[n]:10.3f}" for n in names))
    first = [table[r][names[0]] for r in table]
    for n in names[1:]:
        rho = spearmanr(first, [table[r][n] for r in table]).statistic
        shift = np.mean([table[r][n] - table[r][names[0]] for r in table])
        print(f"{n} vs {names[0]}: Spearman {rho:.2f} over {len(table)} rows; mean shift {shift:+.3f}")


if __name__ == "__main__":
    main()
