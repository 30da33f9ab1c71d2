"""What the actors need from outside, stated as small protocols (the shell implements them)."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from scripts import RunResult, Step, StepLog

from ._model import NewTask, Task, TaskFilter, TaskStats, TaskStatus
from ._schedules import ScheduleStore

__all__ = [
    "Failure",
    "PhoneCheck",
    "PhoneStore",
    "Requeue",
    "TaskEnd",
    "TaskFailed",
    "TaskReads",
    "TaskRunner",
    "TaskStore",
    "Waiting",
]


class TaskReads(Protocol):
    """What anyone may read of the tasks: what a process that only reads (an API
    process) opens. Every method is one transaction, run off the trio thread."""

    async def get_task(self, task_id: int) -> Task | None: ...

    async def list_tasks(self, where: TaskFilter, *, offset: int, limit: int,
                         newest_first: bool = True) -> tuple[list[Task], int]:
        """One page of tasks matching `where`, and how many match in all."""

    async def task_stats(self) -> TaskStats: ...


class TaskStore(TaskReads, Protocol):
    """Durable task state, read and written. Every method is one transaction; all run off
    the trio thread.

    A method that changes tasks returns what it changed, so the caller (an actor) never
    has to read back what it just wrote.
    """

    async def create_tasks(self, tasks: Sequence[NewTask], *, created_at: float) -> list[Task]:
        """Insert all of `tasks` (all or none), in order; ids increase in that order."""

    async def pending_tasks(self) -> list[Task]:
        """Every pending task, oldest first: what the scheduler loads at start-up."""

    async def mark_running(self, starts: Mapping[int, float]) -> list[Task]:
        """pending -> running, for those of `starts` (task id -> the moment it starts)
        still pending, in one transaction (a burst of due tasks starts with one write);
        the tasks changed, by id."""

    async def finish_tasks(self, ends: Mapping[int, TaskEnd], *,
                           retries: Mapping[int, Requeue]) -> list[Task]:
        """running/pending -> completed or failed, each of `ends` (task id -> how it
        ended), and then those of `retries` failed -> pending again, in one transaction
        (the ends of a busy loop turn are one write); the tasks changed, by id, as they
        are now.

        A task gone or over already is left alone. An end with `started=False` (its
        script never started: stopped, or its phone gone, before its moment) clears the
        start it was marked running with."""

    async def requeue_tasks(self, task_ids: Sequence[int] | None, *, due_at: float,
                            count_retry: bool, remark: str = "") -> list[Task]:
        """failed -> pending, due at `due_at` (None: every failed task), waiting with
        `remark`.

        Tasks among `task_ids` that are not failed are left alone. `count_retry` adds
        one to retry_count.
        """

    async def note_waiting(self, waits: Mapping[int, Waiting]) -> list[Task]:
        """Of `waits` (task id -> when it is due and why it waits), those still pending
        show it: what the API lists while the scheduler holds them back; those tasks, by
        id, as they are now."""

    async def delete_tasks(self, task_ids: Sequence[int]) -> list[int]:
        """Delete the tasks that exist among `task_ids`; return their ids."""

    async def fail_interrupted(self, *, remark: str, finished_at: float) -> list[Task]:
        """At start-up: tasks this host left running when its process died become failed
        (returned), but those whose moment had not come (handed over ahead, never
        started) pending."""

    async def fail_dead_hosts(self, *, lease: float, remark: Callable[[str], str],
                              finished_at: float) -> list[Task]:
        """The running tasks of every other host whose lease is older than `lease`
        seconds fail as `fail_interrupted` fails this host's, with `remark(host)` (those
        not started yet are pending again); the tasks so changed."""

    async def pending_here_among(self, task_ids: Sequence[int]) -> list[Task]:
        """Those of `task_ids` that are pending, for a phone this host sees: what it runs
        of the tasks made pending where it did not hear of it."""

    async def ask_stop(self, task_ids: Sequence[int], *, remark: str) -> dict[int, str]:
        """Ask the other hosts that run any of `task_ids` to stop them with `remark`:
        task id -> the host asked, for those another host runs."""

    @property
    def phones(self) -> PhoneStore:
        """Where the farm's phones are (several hosts may share the database)."""

    @property
    def schedules(self) -> ScheduleStore:
        """The schedules, in the same database (their slots create tasks)."""

    async def aclose(self) -> None: ...


class PhoneStore(Protocol):
    """Which host sees each phone: the one that runs its tasks."""

    async def place(self, states: Mapping[str, str], models: Mapping[str, str], *,
                    every: bool = False) -> list[Task]:
        """This host sees the phones of `states` (serial -> state; `absent`: no longer),
        of `models` (with `every`: and no other); the pending tasks of those that came to
        it (seen now, not before)."""

    async def elsewhere(self) -> dict[str, str]:
        """serial -> host: the phones another host, alive, sees now."""


class Failure(enum.Enum):
    """What a failure says about trying again; the scheduler decides what follows."""

    TRANSIENT = "transient"  # it may go otherwise next time: retried as the settings say
    PERMANENT = "permanent"  # it would fail the same way (a file or an account missing)
    PHONE_LOST = "phone lost"  # the phone went away mid-task: the task waits for it


@attrs.frozen(kw_only=True)
class TaskEnd:
    """How a task ended: what a device actor reports and `TaskStore.finish_tasks` records.

    A value of its own because the scheduler may have to keep it a while: a write the
    store refuses (a full disk) is tried again later until the store takes it.
    """

    status: TaskStatus = attrs.field(validator=attrs.validators.in_(
        (TaskStatus.COMPLETED, TaskStatus.FAILED)))
    remark: str
    finished_at: float
    result: Mapping[str, Any] | None = None
    started: bool = True
    failure: Failure = Failure.TRANSIENT  # what a failed end says about trying again
    steps: tuple[Step, ...] = ()  # what its run did (`GET /task/{id}/log`)
    screenshot: bytes | None = attrs.field(default=None, repr=False)  # the screen it failed on


@attrs.frozen(kw_only=True)
class Waiting:
    """A pending task as the API shows it: when it is due, and why it waits (its remark)."""

    due_at: float
    remark: str = ""


@attrs.frozen(kw_only=True)
class Requeue(Waiting):
    """A failed task due again: `counted` as a retry, or not (its phone went away)."""

    counted: bool = True


class TaskFailed(Exception):
    """A task could not do its job; the message is the remark a person reads, `failure`
    what it says about trying again."""

    def __init__(self, remark: str, failure: Failure = Failure.TRANSIENT) -> None:
        super().__init__(remark)
        self.failure = failure


class TaskRunner(Protocol):
    """Runs one task's script on its device, writing what it does in `steps` (and the
    screen, when it fails and one can be taken). Raises TaskFailed with a clear remark.

    Cancellation: a stop cancels the call; cleanup on the phone runs in `finally`.
    """

    async def __call__(self, task: Task, steps: StepLog) -> RunResult: ...


#: Whether a phone answers ADB now (after a task lost it: is it back?).
PhoneCheck = Callable[[], Awaitable[bool]]
