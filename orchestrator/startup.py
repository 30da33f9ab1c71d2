"""Start-up failures as one sentence: a port taken, a database out of reach, a full disk.

Each step of start-up that can fail for a reason of the machine's, not a bug of ours,
runs inside `starting(what)`: an `OSError` or a database error out of it (bare, or deep in
the exception groups of nurseries) becomes `StartupFailed("cannot <what>: <reason>")`.
The command line prints that one line and exits non-zero; the traceback is logged at
DEBUG only. Anything else still ends with its traceback: that is a bug.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .store import DATABASE_ERRORS, HostNameTaken

__all__ = ["StartupFailed", "leaves", "starting"]

#: What the machine can do to a start: files and sockets, the two databases, and
#: another host that holds this host's name.
_MACHINE_ERRORS = (OSError, HostNameTaken, *DATABASE_ERRORS)


class StartupFailed(Exception):
    """Start-up could not be done; the message says what and why, in one line."""


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The exceptions inside `exc`'s groups (`exc` itself if it is none)."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from leaves(inner)
    else:
        yield exc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror.lower()}{where}"
    return " ".join(str(exc).split()) or type(exc).__name__


@contextmanager
def starting(what: str) -> Iterator[None]:
    """Turn a machine's error out of the block into `StartupFailed`.

    Raises:
        StartupFailed: "cannot <what>: <reason>".
    """
    try:
        yield
    except Exception as exc:
        cause = next((e for e in leaves(exc) if isinstance(e, _MACHINE_ERRORS)), None)
        if cause is None:
            raise
        raise StartupFailed(f"cannot {what}: {_reason(cause)}") from exc
