"""The one exception type the command line turns into a one-line message."""


class AlignboardError(Exception):
    """A problem the user can fix: the message names it and says how.

    The CLI prints ``error: <message>`` on one line and exits with status 2;
    every other exception is a bug and keeps its traceback.
    """
