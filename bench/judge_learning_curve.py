"""Would more human labels make the probe agree with humans? Its learning curve on the FIT part.

For each target, 5-fold cross-validation grouped by objective on the fit part (the holdout is not
read); in each fold the probe is trained on a random 25 / 50 / 75 / 100% of the training folds'
objectives (5 draws below 100%) and scored on the whole test fold. Prints Cohen's kappa against the
number of training labels. Run: python bench/judge_learning_curve.py (about 2 min on 2 cores).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's harness, not bench/harness.py
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from harness.judges.labels import TARGETS, objectives  # noqa: E402
from harness.judges.probe import features, fit_set  # noqa: E402


def curve(target: str, fractions=(0.25, 0.5, 0.75, 1.0), draws: int = 5, seed: int = 0) -> list[tuple[float, float]]:
    """(mean training labels, mean kappa) per fraction of the training objectives."""
    rng = np.random.default_rng(seed)
    rows, x, y = fit_set(features, target)
    groups = np.array(objectives(rows))
    out = []
    for fraction in fractions:
        kappas, sizes = [], []
        for _ in range(draws if fraction < 1 else 1):
            p = np.zeros(len(y))
            for train, test in GroupKFold(5).split(x, y, groups):
                seen = np.unique(groups[train])  # the training folds' objectives
                kept = set(rng.choice(seen, max(2, int(len(seen) * fraction)), replace=False))
                sub = np.array([i for i in train if groups[i] in kept])
                sizes.append(len(sub))
                lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x[sub], y[sub])
                p[test] = lr.predict_proba(x[test])[:, 1]
            kappas.append(cohen_kappa_score(y, p >= 0.5))
        out.append((float(np.mean(sizes)), float(np.mean(kappas))))
    return out


if __name__ == "__main__":
    for target in TARGETS:
        points = curve(target)
        print(f"{target:9s} " + "  ".join(f"{n:4.0f} labels: kappa {k:.3f}" for n, k in points))
        (n0, k0), (n1, k1) = points[1], points[-1]  # half of the labels, all of them
        print(f"{'':9s} from half the labels to all: {(k1 - k0) / np.log2(n1 / n0):+.3f} kappa per doubling")
