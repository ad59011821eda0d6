"""How errors reach the user of a command-line tool.

An error caused by the user's files, values, arguments or environment is a
:class:`UserError`: the tool ends with one message (``error: ...``) and exit
status 2, without a traceback. Anything else is a bug and keeps its traceback.
``--debug`` (or ``MESH_RECOVERY_DEBUG=1``) shows the traceback of user errors too.

The concrete classes also derive from the built-in exception a caller would
expect (``FileNotFoundError``, ``ValueError``, ...), so ``except ValueError``
keeps working.
"""
import os
import sys
from typing import Callable, List, Optional

# Exit status of a tool stopped by a user error (argparse uses 2 for bad arguments too).
USER_ERROR_STATUS = 2
DEBUG_FLAG = '--debug'
DEBUG_ENV = 'MESH_RECOVERY_DEBUG'
_WORKER_TRACEBACK = 'Original Traceback (most recent call last):'


class UserError(Exception):
    """Base of the errors a user can fix: the message says what is wrong and what to do."""


class MissingFileError(UserError, FileNotFoundError):
    """A file the tool needs does not exist."""


class BadFileError(UserError, ValueError):
    """A file exists but is empty, truncated, of another format or holds unusable values."""


class UnreadableFileError(UserError, OSError):
    """A file (e.g. an image) exists but cannot be read or decoded."""


class BadValueError(UserError, ValueError):
    """A value from the config, the command line or a data file cannot be used."""


def user_message(exc: BaseException) -> str:
    """The text shown for ``exc``: its message, without a DataLoader worker's traceback."""
    text = str(exc) or type(exc).__name__
    if _WORKER_TRACEBACK in text:
        # torch re-raises a worker's exception with the worker's traceback in the message.
        head, _, tail = text.partition(_WORKER_TRACEBACK)
        name = f'{type(exc).__name__}: '
        tail = tail[tail.rfind(name) + len(name):] if name in tail else tail.strip().splitlines()[-1]
        text = head.strip() + ' ' + tail.strip()
    return text


def run_main(main: Callable[[Optional[List[str]]], object], argv: Optional[List[str]] = None) -> int:
    """Run a tool's ``main(argv)`` and turn a :class:`UserError` into one message.

    Args:
        main: The tool's entry point, taking the argument list (without ``--debug``).
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0, ``main``'s own integer result, or 2 after a user error.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, '') not in ('', '0')
    argv = [a for a in argv if a != DEBUG_FLAG]
    try:
        result = main(argv)
    except UserError as exc:
        if debug:
            raise
        tool = os.path.basename(sys.argv[0]) or 'tool'
        print(f'error: {user_message(exc)}\n({tool} stopped; add {DEBUG_FLAG} for the traceback)',
              file=sys.stderr, flush=True)
        return USER_ERROR_STATUS
    return result if isinstance(result, int) and not isinstance(result, bool) else 0
