"""The actor runtime's errors, one small tree:

    ActorError
    ├── ActorClosed     the actor is gone: its mailbox is closed (like trio.ClosedResourceError)
    ├── ReplyTimeout    a request got no answer in time (also a TimeoutError)
    └── ActorCrashed    an actor kept crashing and its supervisor gave up

An error raised by a request's handler is not wrapped: the caller gets the handler's own
exception, with a note naming the actor, so it can catch its domain errors by type.
"""

from __future__ import annotations

__all__ = ["ActorClosed", "ActorCrashed", "ActorError", "ReplyTimeout"]


class ActorError(Exception):
    """Base of the actor runtime's errors; `name` is the actor's."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class ActorClosed(ActorError):
    """The actor is gone (stopped, finished, cancelled), or this address was closed.

    Also what a caller gets when the actor died holding its request: a dropped reply
    never hangs.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name, f"actor {name!r} is closed")


class ReplyTimeout(ActorError, TimeoutError):
    """A request got no answer within its `timeout` (seconds)."""

    def __init__(self, name: str, timeout: float) -> None:
        super().__init__(name, f"actor {name!r} did not reply within {timeout:g} s")
        self.timeout = timeout


class ActorCrashed(ActorError):
    """The actor raised `cause` once more than its supervisor may restart it."""

    def __init__(self, name: str, cause: Exception) -> None:
        super().__init__(name, f"actor {name!r} crashed: {cause!r}")
        self.cause = cause
