"""The messages actors exchange: a closed set of frozen classes per actor.

Each actor's protocol is a union alias (`SchedulerMsg`, `DeviceMsg`) dispatched with
`match`. A message with a `reply` field is a request; the caller awaits the answer
with `Address.request(...)` under a timeout.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ._mailbox import Address, Reply
from ._model import NewTask, Task
from ._ports import TaskEnd

__all__ = [
    "CancelRun",
    "DeleteTasks",
    "DeviceDown",
    "DeviceMsg",
    "DeviceSnapshot",
    "DeviceUp",
    "ListDevices",
    "RetryTasks",
    "RunTask",
    "SchedulerMsg",
    "StopTask",
    "SubmitTasks",
    "TaskOutcome",
]


# --- to the scheduler ---------------------------------------------------------
@attrs.frozen(kw_only=True)
class SubmitTasks:
    """Store these tasks in one transaction and schedule them; answer the stored tasks."""

    tasks: Sequence[NewTask]
    reply: Reply[list[Task]]


@attrs.frozen(kw_only=True)
class StopTask:
    """Stop a running or pending task (it fails, remark says stopped); answer it, or None.

    A task that does not exist fails the request with TaskNotFound, one that is over
    with WrongTaskState.
    """

    task_id: int
    reply: Reply[Task | None]


@attrs.frozen(kw_only=True)
class DeleteTasks:
    """Delete tasks, stopping running ones first; answer the ids deleted."""

    task_ids: Sequence[int]
    reply: Reply[list[int]]


@attrs.frozen(kw_only=True)
class RetryTasks:
    """Failed tasks back to pending (all failed ones when `task_ids` is None).

    With explicit ids, a task that does not exist fails the request with TaskNotFound
    and one that is not failed with WrongTaskState; nothing changes then.
    """

    task_ids: Sequence[int] | None
    reply: Reply[list[Task]]


@attrs.frozen(kw_only=True)
class DeviceUp:
    """The watcher saw a phone ready for work (state `device`) and started its actor."""

    serial: str
    model: str = ""
    address: Address[DeviceMsg]


@attrs.frozen(kw_only=True)
class DeviceDown:
    """The watcher saw a phone go away or leave the `device` state."""

    serial: str
    state: str = "absent"


@attrs.frozen(kw_only=True)
class TaskOutcome:
    """A device actor is done with a task; the store already has its end state, unless
    it refused it.

    `task` is None when the task vanished before it could start (deleted meanwhile), or
    when the store refused its end: `unwritten` is then that end and `store_error` why,
    and the scheduler writes the end until the store takes it (the phone is free meanwhile).
    `retryable` is False for a task a user stopped: it is never retried automatically.
    """

    serial: str
    task_id: int
    task: Task | None
    retryable: bool = True
    unwritten: TaskEnd | None = None
    store_error: Exception | None = None


@attrs.frozen(kw_only=True)
class DeviceSnapshot:
    """One row of `GET /devices`."""

    serial: str
    state: str
    model: str
    current_task_id: int | None
    pending_count: int


@attrs.frozen(kw_only=True)
class ListDevices:
    reply: Reply[list[DeviceSnapshot]]


SchedulerMsg = (SubmitTasks | StopTask | DeleteTasks | RetryTasks | DeviceUp | DeviceDown
                | TaskOutcome | ListDevices)


# --- to a device actor ------------------------------------------------------------
@attrs.frozen(kw_only=True)
class RunTask:
    """Run this task at `start_at` (the store already has it running); the device is idle
    (the scheduler guarantees one task at a time).

    The scheduler hands a task over a little before its moment (`dispatch_lead`), so
    that its store write and the hand-over are done when the moment comes; the script
    starts at `start_at` (wall time), never before.
    """

    task: Task
    start_at: float


@attrs.frozen(kw_only=True)
class CancelRun:
    """Cancel the running task `task_id` (if it is the one running), failing it with `remark`.

    Answers once the task's scope has exited and the device is free again.
    """

    task_id: int
    remark: str
    reply: Reply[Task | None]


DeviceMsg = RunTask | CancelRun
