"""The actors' errors, two small trees: the runtime's, where a request got no answer,
and the refusals, where an actor answered no.

    ActorError
    ├── ActorClosed     the actor is gone: its mailbox is closed (like trio.ClosedResourceError)
    ├── ActorBusy       a request was not taken in time, and withdrawn: nothing was done
    └── ActorCrashed    an actor kept crashing and its supervisor gave up

    Refused                 an actor declined a request; nothing changed
    ├── TaskNotFound        no task has that id
    ├── WrongTaskState      the task's status does not allow it (stop a finished task)
    ├── ScheduleNotFound    no schedule has that id
    └── ScheduleNameTaken   another schedule has that name

An error raised by a request's handler is not wrapped: the caller gets the handler's own
exception, with a note naming the actor, so it can catch its domain errors by type.

A refusal is the caller's to answer (the API's 40401 and 40001); anything else a request
raises is a fault. So `Refused` subclasses no builtin such as `LookupError` or
`ValueError`: a bug's `KeyError` or `ValueError` must not pass for a refusal. Nor is it
an `ActorError`: those say the request got no answer, a refusal is an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._model import TaskStatus

__all__ = [
    "ActorBusy",
    "ActorClosed",
    "ActorCrashed",
    "ActorError",
    "Refused",
    "ScheduleNameTaken",
    "ScheduleNotFound",
    "TaskNotFound",
    "WrongTaskState",
]


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


class ActorBusy(ActorError):
    """A request was not taken by the actor (its mailbox full, or it too far behind),
    and was withdrawn: the actor will never handle it. `why` says which."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(name, f"actor {name!r} is busy: {why}; nothing was done")
        self.why = why


class ActorCrashed(ActorError):
    """The actor raised `cause` once more than its supervisor may restart it."""

    def __init__(self, name: str, cause: Exception) -> None:
        super().__init__(name, f"actor {name!r} crashed: {cause!r}")
        self.cause = cause


class Refused(Exception):
    """An actor declined a request, as its protocol allows, and changed nothing; the
    message says why in words an API client can be shown."""


class TaskNotFound(Refused):
    """No task has the id `task_id` (never created, or deleted)."""

    def __init__(self, task_id: int) -> None:
        super().__init__(f"task {task_id} not found")
        self.task_id = task_id


class WrongTaskState(Refused):
    """Task `task_id` is `status`; the request needs one of `wanted`."""

    def __init__(self, task_id: int, status: TaskStatus,
                 wanted: Sequence[TaskStatus]) -> None:
        super().__init__(f"task {task_id} is {status.text}, "
                         f"not {' or '.join(want.text for want in wanted)}")
        self.task_id = task_id
        self.status = status
        self.wanted = tuple(wanted)


class ScheduleNotFound(Refused):
    """No schedule has the id `schedule_id` (never created, or deleted)."""

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"schedule {schedule_id} not found")
        self.schedule_id = schedule_id


class ScheduleNameTaken(Refused):
    """Schedule `held` (an id) has the name `name` already; names are unique, whatever
    their case."""

    def __init__(self, name: str, held: int) -> None:
        super().__init__(f"$.name: a schedule named {name!r} exists already "
                         f"(schedule {held})")
        self.name = name
        self.held = held
