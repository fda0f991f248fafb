"""The ``alignboard`` command line (click + rich): one module per command group.

Errors the user can fix are :class:`AlignboardError`: printed as one line,
exit status 2, no traceback.
"""

from __future__ import annotations

import os
import sys

import click

from harness.cli import aligners, assets, data, evaluate, judges, leaderboard, run  # noqa: F401 (registers commands)
from harness.cli.base import cli, err
from harness.errors import AlignboardError

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point: run the CLI, turning user errors into one line."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if sys.argv[1:2] not in (["-v"], ["--verbose"]):
        # the libraries' tqdm bars (read when tqdm is imported); alignboard's own progress bars are rich
        os.environ.setdefault("TQDM_DISABLE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    try:
        rc = cli.main(standalone_mode=False)
    except (AlignboardError, OSError) as e:
        from harness.errors import os_error

        err.print(f"error: {os_error(e) if isinstance(e, OSError) else e}", markup=False, highlight=False,
                  soft_wrap=True)
        sys.exit(2)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except (click.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    sys.exit(rc if isinstance(rc, int) else 0)
