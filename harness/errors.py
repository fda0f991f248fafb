"""The one exception type the command line turns into a one-line message, and the one place that
turns an operating-system error into such a line."""

from __future__ import annotations

import errno
import sys


class AlignboardError(Exception):
    """A problem the user can fix: the message names it and says how.

    The CLI prints ``error: <message>`` on one line and exits with status 2;
    every other exception is a bug and keeps its traceback.
    """


_FIXES = {
    errno.ENOSPC: "no space left on the device; free space and run again",
    errno.EDQUOT: "disk quota exceeded; free space and run again",
    errno.EROFS: "the file system is read-only; choose a writable folder",
    errno.EACCES: "permission denied; choose a folder you can write to",
    errno.EPERM: "permission denied; choose a folder you can write to",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    errno.EISDIR: "it is a folder, not a file; choose another path",
}


def os_error(e: OSError) -> AlignboardError:
    """An OSError as one line naming the path and the fix (read-only, no space, not a folder, permission)."""
    path = e.filename or "a file"
    fix = _FIXES.get(e.errno, f"{e.strerror or e}; check the path and run again")
    return AlignboardError(f"cannot write {path}: {fix}")


def warn(message: str) -> None:
    """One ``warning:`` line on stderr: something was not done, and the work goes on."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
