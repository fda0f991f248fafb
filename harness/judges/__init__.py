"""Judges: pluggable scorers of responses, with a cache and measured agreement with humans."""

from harness.judges.base import JUDGES, Item, Judge, Judgment, JudgmentCache, get_judge, judge, register_judge

__all__ = ["JUDGES", "Item", "Judge", "Judgment", "JudgmentCache", "get_judge", "judge", "register_judge"]

DEFAULT_JUDGE = "jury"  # probe + substance by mean: the best-agreeing offline judge (docs/explanation/judges.md)
