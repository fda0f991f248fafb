"""Multi-process training under ``accelerate launch`` (DDP, FSDP, DeepSpeed: accelerate's configs).

Every process runs the same command; accelerate tells each its rank through the environment.
All ranks build the same data (seeded) and train together; only rank 0 writes the adapter,
the artifact and anything after training (evaluation, store, leaderboard); the others exit.
"""

from __future__ import annotations

import os


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """True in a single-process run and in rank 0 of a multi-process one."""
    return int(os.environ.get("RANK", "0")) == 0


def wait_for_everyone() -> None:
    """A barrier across the ranks (nothing in a single-process run)."""
    if world_size() > 1:
        from accelerate import PartialState

        PartialState().wait_for_everyone()
