"""lm-eval task folders shipped with alignboard (use the folder as ``--include_path``)."""

from pathlib import Path


def path() -> Path:
    """The folder to pass to lm-eval as ``--include_path``."""
    return Path(__file__).parent
