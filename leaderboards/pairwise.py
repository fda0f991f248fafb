"""Paired helpfulness between two leaderboard rows: is row B as helpful as row A on the same prompts?

Each of B's answers is judged against A's answer to the same prompt, with the same seed, by a pairwise judge
(``mtbench_pair``: FastChat's MT-Bench pair prompts, both orders). A later turn of a conversation is judged on both
conversations, each row's own first answer included. The win rate counts a tie as half a win (FastChat's
``win_rate_adjusted``); its 95% CI resamples conversations, a conversation's turns and seeds together. Judgments go
through the judgment cache: asking again costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from harness.errors import AlignboardError
from harness.judges import Item, Judge, judge
from harness.results import TURN
from harness.stats import Estimate, mean_estimate
from leaderboards.board import Leaderboard, Row
from leaderboards.entry import Entry


@dataclass
class Pairing:
    """Row ``row`` against row ``against`` on one task: counts, and the win rate per turn and overall."""

    row: str
    against: str
    task: str
    judge_identity: str
    wins: int
    ties: int
    losses: int
    unjudged: int  # pairs with an error or no verdict in either game: dropped, never counted as a tie
    win_rate: Optional[Estimate]  # None: no pair was judged
    by_turn: dict[int, Optional[Estimate]]


def _postprocess(e: Entry) -> Callable[[str], str]:
    """The row's answer as its aligner hands it to a judge (as at evaluation)."""
    from aligners.api import get_aligner

    return get_aligner(e.aligner, **e.aligner_config).postprocess


def items(row: list[Entry], against: list[Entry], task: str) -> list[tuple[str, int, Item]]:
    """(conversation id, turn, item) for every answer of ``row`` whose seed and prompt ``against`` has too: the
    answer, with ``against``'s answers to the same conversation as the rival."""
    theirs = {e.seed: e for e in against}
    out = []
    for mine in row:
        other = theirs.get(mine.seed)
        if other is None or task not in mine.samples or task not in other.samples:
            continue
        post_a, post_b = _postprocess(mine), _postprocess(other)
        a = {s.id: s for s in mine.samples[task]}
        b = {s.id: s for s in other.samples[task]}
        for sid in sorted(a.keys() & b.keys()):
            conversation, _, turn = sid.partition(TURN)
            if not turn:
                out.append((conversation, 1, Item(a[sid].prompt, post_a(a[sid].response), False,
                                                  rival=(post_b(b[sid].response),))))
            elif conversation in a and conversation in b:
                first_a, first_b = a[conversation], b[conversation]
                out.append((conversation, int(turn.removeprefix("turn")), Item(
                    a[sid].prompt, post_a(a[sid].response), False,
                    history=(first_a.prompt, post_a(first_a.response)),
                    rival=(post_b(first_b.response), post_b(b[sid].response)))))
    return out


def _row(board: Leaderboard, label: str) -> Row:
    for r in board.rows:
        if r.label == label:
            return r
    raise AlignboardError(f"no row {label!r} in this leaderboard; its rows: {', '.join(r.label for r in board.rows)}")


def pair(board: Leaderboard, row: str, against: str, task: str, j: Judge) -> Pairing:
    """Row ``row``'s answers on ``task`` judged against row ``against``'s, on the prompts and seeds both have."""
    if task not in board.tasks:
        raise AlignboardError(f"no task {task!r} on this leaderboard; its tasks: {', '.join(board.tasks)}")
    found = items(_row(board, row).entries, _row(board, against).entries, task)
    if not found:
        raise AlignboardError(f"rows {row!r} and {against!r} share no seed with answers to {task}")
    verdicts = judge(j, [it for _, _, it in found])
    scored = [(c, t, v.protocol_score) for (c, t, _), v in zip(found, verdicts)
              if not v.failed and v.protocol_score is not None]
    scores = [s for _, _, s in scored]
    return Pairing(row, against, task, j.identity(), wins=scores.count(1.0), ties=scores.count(0.5),
                   losses=scores.count(0.0), unjudged=len(found) - len(scored),
                   win_rate=mean_estimate(scores, [c for c, _, _ in scored]),
                   by_turn={t: mean_estimate([s for c, u, s in scored if u == t], [c for c, u, _ in scored if u == t])
                            for t in sorted({t for _, t, _ in found})})
