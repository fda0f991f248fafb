"""Library chatter goes to a log file; the terminal keeps alignboard's own lines and progress bars.

:func:`to_file` routes the logs of transformers, TRL, PEFT, datasets, accelerate and lm-eval,
Python warnings (FutureWarning and friends) and the trainers' loss lines into one file (a
run's ``run.log``) while the ``with`` block runs, and restores the loggers afterwards. The
libraries' tqdm bars are turned off by the CLI before they load (``TQDM_DISABLE``);
``alignboard -v`` leaves everything on the terminal.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from pathlib import Path
from typing import Iterator

LIBRARIES = ("transformers", "trl", "peft", "datasets", "accelerate", "lm_eval", "huggingface_hub", "py.warnings",
             "alignboard.training")


@contextlib.contextmanager
def to_file(path: str | Path) -> Iterator[Path]:
    """Send library logs, warnings and training loss lines to ``path`` (appended) inside the block."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as e:  # a read-only or full disk: the work goes on, the chatter stays on the terminal
        from harness.errors import warn

        warn(f"library logs stay on the terminal: cannot write {path} ({e.strerror})")
        yield path
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    try:
        import lm_eval.utils

        lm_eval.utils._LOGGING_CONFIGURED = True  # lm-eval would add its own terminal handler
    except ImportError:
        pass
    saved = []
    for name in LIBRARIES:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate, logger.level))
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    logging.captureWarnings(True)
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # each distinct warning once, into the file
        try:
            yield path
        finally:
            logging.captureWarnings(False)
            for logger, handlers, propagate, level in saved:
                logger.handlers, logger.propagate = handlers, propagate
                logger.setLevel(level)
            handler.close()
