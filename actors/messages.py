"""The messages actors exchange: a closed set of frozen classes per actor.

Each actor's protocol is a union alias (`SchedulerMsg`, `DeviceMsg`) dispatched with
`match`. A message with a `reply` field is a request; the caller awaits the answer
with `Address.request(...)`, which withdraws it if the actor does not take it in time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs

from ._mailbox import Address, Reply
from ._model import NewTask, Task
from ._ports import TaskEnd
from ._schedules import NewSchedule, Schedule

__all__ = [
    "AwaitPhone",
    "CancelRun",
    "CountDevices",
    "DeleteSchedule",
    "DeleteTasks",
    "DeviceBack",
    "DeviceDown",
    "DeviceMsg",
    "DeviceSnapshot",
    "DeviceUp",
    "DevicesListed",
    "FarmAsItIs",
    "GetDevice",
    "ListDevices",
    "PhonesPlaced",
    "PlacesLost",
    "PutSchedule",
    "RetryTasks",
    "RunTask",
    "ScheduleChanged",
    "SchedulerMsg",
    "StopAsked",
    "StopTask",
    "SubmitTasks",
    "TaskEnded",
    "TasksPending",
    "TasksTaken",
    ]


# --- to the scheduler ---------------------------------------------------------
@attrs.frozen(kw_only=True)
class SubmitTasks:
    """Store these tasks in one transaction and schedule them; answer the stored tasks."""

    tasks: Sequence[NewTask]
    reply: Reply[list[Task]]


@attrs.frozen(kw_only=True)
class StopTask:
    """Stop a running or pending task (it fails, remark says stopped); answer it.

    A task that does not exist (or is deleted meanwhile) fails the request with
    TaskNotFound, one that is over (or ends otherwise before the stop reaches it) with
    WrongTaskState.
    """

    task_id: int
    reply: Reply[Task]


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
    """The watcher saw a phone go away or leave the `device` state, and retired its actor
    at `address` (None: it had none). A phone another actor drives now (it came through
    another of the host's ADB servers first) is left to that one."""

    serial: str
    state: str = "absent"
    address: Address[DeviceMsg] | None = None


@attrs.frozen(kw_only=True)
class DevicesListed:
    """The watcher has started an actor for every phone its ADB server showed at start:
    a phone without one is not connected (its pending tasks say so from now on)."""


@attrs.frozen(kw_only=True)
class PlacesLost:
    """The other hosts took this host for dead, and showed its phones offline; it holds
    its name again: the scheduler says where each of its phones is, as at start."""


@attrs.frozen(kw_only=True)
class DeviceBack:
    """A phone that a task lost (`Failure.PHONE_LOST`) answers again, said by its device
    actor; the scheduler had held its work back since."""

    serial: str


@attrs.frozen(kw_only=True)
class TaskEnded:
    """A device actor is done with `task` (as it was handed over), which ended as `end`,
    `stopped` by a `CancelRun` or not (it ended by itself first, or its phone left); the
    phone is free.

    The scheduler stores the end and decides what follows (a retry, a stop's answer).
    """

    serial: str
    task: Task
    end: TaskEnd
    stopped: bool = False


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


@attrs.frozen(kw_only=True)
class CountDevices:
    """How many phones `GET /devices` lists, by state (for metrics: no list is made)."""

    reply: Reply[dict[str, int]]


@attrs.frozen(kw_only=True)
class GetDevice:
    """One row of `GET /devices` (None: no such phone), without making them all."""

    serial: str
    reply: Reply[DeviceSnapshot | None]


@attrs.frozen(kw_only=True)
class PutSchedule:
    """Create a schedule (`schedule_id` None) or replace one with what `change` makes of
    it (given None, or the schedule as it is); answer it, stored, with its next slot.

    Refused with ScheduleNotFound or ScheduleNameTaken; what `change` or the dry run of
    its request (`Planner`) raises is the answer too, and nothing changes then.
    """

    schedule_id: int | None
    change: Callable[[Schedule | None], NewSchedule]
    reply: Reply[Schedule]


@attrs.frozen(kw_only=True)
class DeleteSchedule:
    """Delete a schedule (its tasks stay); answer whether there was one."""

    schedule_id: int
    reply: Reply[bool]


# --- from the other hosts of the farm (through the database) ------------------------
@attrs.frozen(kw_only=True)
class TasksPending:
    """These tasks are pending now (another host made or retried them): the scheduler
    runs those of its phones that it does not hold yet."""

    tasks: Sequence[Task]


@attrs.frozen(kw_only=True)
class TasksTaken:
    """Another host started, ended or deleted these tasks (`ended`: they are over): none
    of them is pending any more."""

    task_ids: Sequence[int]
    ended: bool


@attrs.frozen(kw_only=True)
class PhonesPlaced:
    """Other hosts see these phones so now: (serial, host, state); `absent`: that host
    no longer sees it. The host a phone is on runs its tasks."""

    placements: Sequence[tuple[str, str, str]]


@attrs.frozen(kw_only=True)
class FarmAsItIs:
    """Where the other hosts' phones are (serial -> host) and every pending task, as the
    store has them (`read_farm`, the one read then the other): what the scheduler holds
    at its start, and after news of the other hosts was lost."""

    elsewhere: Mapping[str, str]
    pending: Sequence[Task]


@attrs.frozen(kw_only=True)
class ScheduleChanged:
    """Another host made, changed or deleted this schedule: its slots are the farm's, run
    by whichever host comes first (`ScheduleStore.fire_schedule` takes a slot once)."""

    schedule_id: int


@attrs.frozen(kw_only=True)
class StopAsked:
    """Another host's API asked to stop (or delete) `task_id`, which runs here."""

    task_id: int
    remark: str


SchedulerMsg = (SubmitTasks | StopTask | DeleteTasks | RetryTasks | DeviceUp | DeviceDown
                | DevicesListed | DeviceBack | TaskEnded | ListDevices | GetDevice
                | CountDevices | PutSchedule | DeleteSchedule | TasksPending | TasksTaken
                | PhonesPlaced | PlacesLost | FarmAsItIs | ScheduleChanged | StopAsked)


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
    """Cancel the running task `task_id` (if it is still the one running): it ends failed
    with `remark`, reported by `TaskEnded` as any end is."""

    task_id: int
    remark: str


@attrs.frozen(kw_only=True)
class AwaitPhone:
    """A task lost this phone: say `DeviceBack` once it answers again."""


DeviceMsg = RunTask | CancelRun | AwaitPhone
