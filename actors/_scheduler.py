"""The scheduler actor: owns time. Due moments, intervals, retries, the concurrency cap.

It keeps the pending work of every device in memory (loaded from the store at start,
fed by `SubmitTasks`), sends a task to a device actor when the task is due, the device
is online and idle, and fewer than `device_limit` devices are busy. Between messages
it sleeps until the next due moment; nothing polls.

A device's pending tasks are grouped by the request that created them: a request's
tasks run in `position` order, and after one finishes the next of the same request
waits a random gap in [min_interval, max_interval] minutes.

A task's end the store refuses (a full disk) is held here, its phone free, and written
again with a backoff until the store takes it; a stop of such a task (shown running, its
phone idle) replaces that end with the stop's.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import logging
import math
import random
from collections import deque
from collections.abc import Sequence

import attrs
import outcome
import trio

from ._clock import WallClock
from ._errors import ActorClosed, TaskNotFound, WrongTaskState
from ._mailbox import Address, Inbox, Reply
from ._model import NewTask, Task, TaskStatus
from ._ports import TaskEnd, TaskStore
from ._supervise import supervise
from .messages import (
    CancelRun,
    DeleteTasks,
    DeviceDown,
    DeviceMsg,
    DeviceSnapshot,
    DeviceUp,
    ListDevices,
    RetryTasks,
    RunTask,
    SchedulerMsg,
    StopTask,
    SubmitTasks,
    TaskOutcome,
)

__all__ = [
    "INTERRUPTED_REMARK",
    "SchedulerSettings",
    "recover_interrupted",
    "run_scheduler",
    "serve_scheduler",
]

log = logging.getLogger(__name__)

#: The remark of a task that was running when the orchestrator last stopped.
INTERRUPTED_REMARK = "interrupted: the orchestrator stopped while this task ran"

STOPPED_REMARK = "stopped by user"
DELETED_REMARK = "stopped: task deleted"
STOP_GRACE = 5.0  # seconds a delete waits for its running tasks to stop
DRAIN_LIMIT = 1024  # queued messages handled between two dispatches, at most
DRAIN_BUDGET = 0.005  # seconds spent on them, at most (a message may write to the store)


@attrs.frozen(kw_only=True)
class SchedulerSettings:
    """Scheduling policy. Defaults follow the product: auto-retry on, 3 times, 5-60 s later."""

    device_limit: int | None = None
    auto_retry: bool = True
    max_retries: int = attrs.field(default=3, validator=attrs.validators.in_(range(1, 11)))
    retry_delay: tuple[float, float] = (5.0, 60.0)
    random_order: bool = False
    #: Seconds ahead of a task's moment that it is marked running and handed to its
    #: phone, which starts it at the moment: the store write and the hand-over, slow
    #: under load or for a burst, are then not part of how late it starts.
    dispatch_lead: float = attrs.field(
        default=0.2, validator=[attrs.validators.ge(0), attrs.validators.le(5)])
    #: Seconds before a write the store refused (a full disk) is tried again, doubled
    #: after each refusal up to the second figure; back to the first once the store takes
    #: it. A refused task end is never dropped (the task would show running for good,
    #: its phone idle), and due tasks the store could not mark running wait as long.
    store_retry: tuple[float, float] = attrs.field(default=(0.5, 30.0))

    @store_retry.validator
    def _check_store_retry(self, attribute: attrs.Attribute[tuple[float, float]],
                           value: tuple[float, float]) -> None:
        first, most = value
        if not 0 < first <= most:
            raise ValueError(f"{attribute.name}: want 0 < first <= most, not {value}")

    def may_retry(self, task: Task) -> bool:
        """Whether a failed `task` is retried automatically (a stop by a user aside)."""
        return (self.auto_retry and task.status == TaskStatus.FAILED
                and task.retry_count < self.max_retries)

    def retry_delay_from(self, rng: random.Random) -> float:
        """Seconds before an automatic retry: uniform in `retry_delay`."""
        return rng.uniform(*self.retry_delay)


@attrs.define
class _Entry:
    """A pending task as the scheduler needs it: small, so 100,000s fit in memory."""

    task_id: int
    due_at: float
    request_id: str
    position: int
    min_interval: int
    max_interval: int

    @classmethod
    def from_task(cls, task: Task) -> _Entry:
        return cls(task_id=task.id, due_at=task.due_at, request_id=task.request_id,
                   position=task.position, min_interval=task.min_interval,
                   max_interval=task.max_interval)


@attrs.define
class _HeldEnd:
    """A task's end the store refused: no phone runs the task, the store still shows it
    running, and the end is written again until the store takes it."""

    serial: str
    end: TaskEnd
    retryable: bool
    ran: bool  # a phone ran it (the next of its request waits the gap once it is stored)


@attrs.define
class _Device:
    serial: str
    model: str = ""
    state: str = "absent"
    address: Address[DeviceMsg] | None = None
    running: int | None = None
    running_on: Address[DeviceMsg] | None = None  # the actor running it (may be gone)
    # request id -> its pending entries on this device, in (position, id) order
    requests: dict[str, deque[_Entry]] = attrs.Factory(dict)
    not_before: dict[str, float] = attrs.Factory(dict)
    wake_at: float = math.inf  # when this device next has a task due (inf: nothing)

    @property
    def online(self) -> bool:
        return self.address is not None and self.state == "device"

    def pending_count(self) -> int:
        return sum(len(q) for q in self.requests.values())

    def add(self, entry: _Entry) -> None:
        queue = self.requests.setdefault(entry.request_id, deque())
        if queue and (queue[-1].position, queue[-1].task_id) > (entry.position, entry.task_id):
            queue.append(entry)
            ordered = sorted(queue, key=lambda e: (e.position, e.task_id))
            queue.clear()
            queue.extend(ordered)
        else:
            queue.append(entry)

    def remove(self, task_id: int) -> bool:
        for request_id, queue in self.requests.items():
            for entry in queue:
                if entry.task_id == task_id:
                    queue.remove(entry)
                    if not queue:
                        del self.requests[request_id]
                        self.not_before.pop(request_id, None)
                    return True
        return False

    def ready_at(self, entry: _Entry) -> float:
        return max(entry.due_at, self.not_before.get(entry.request_id, -math.inf))

    def next_due(self) -> float:
        """When the earliest head of this device's requests may start."""
        return min((self.ready_at(q[0]) for q in self.requests.values()), default=math.inf)

    def take(self, by: float, rng: random.Random | None) -> tuple[_Entry, float]:
        """Pop the task to run next, and when it may start: the earliest ready request
        head, or with `rng` (random order) any task ready by `by` at random."""
        if rng is not None:
            chosen = rng.choice([e for q in self.requests.values() for e in q
                                 if self.ready_at(e) <= by])
        else:
            chosen = min((q[0] for q in self.requests.values()),
                         key=lambda e: (self.ready_at(e), e.task_id))
        ready = self.ready_at(chosen)
        queue = self.requests[chosen.request_id]
        queue.remove(chosen)
        if not queue:
            del self.requests[chosen.request_id]
            self.not_before.pop(chosen.request_id, None)
        return chosen, ready


class _Scheduler:
    def __init__(self, store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                 rng: random.Random, nursery: trio.Nursery) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.rng = rng
        self.nursery = nursery
        self.devices: dict[str, _Device] = {}
        self.where: dict[int, str] = {}  # pending or running task id -> serial
        self.busy = 0
        self.wakeups: list[tuple[float, str]] = []  # (wake_at, serial), stale entries skipped
        self.no_retry: set[int] = set()  # tasks stopped or deleted by a user
        self.stop_waiters: dict[int, list[Reply[Task | None]]] = {}  # answered on outcome
        self.held: dict[int, _HeldEnd] = {}  # task id -> its refused end, oldest first
        self.end_delay = settings.store_retry[0]  # before the held ends are written again
        self.ends_retry_at = math.inf  # trio time of that (inf: none held)
        self.dispatch_delay = settings.store_retry[0]  # after the store refused a dispatch
        self.dispatch_at = -math.inf  # trio time before which nothing is dispatched

    # --- bookkeeping ------------------------------------------------------------
    def device(self, serial: str) -> _Device:
        dev = self.devices.get(serial)
        if dev is None:
            dev = self.devices[serial] = _Device(serial)
        return dev

    def enqueue(self, task: Task) -> None:
        dev = self.device(task.serial)
        dev.add(_Entry.from_task(task))
        self.where[task.id] = task.serial
        self.reschedule(dev)

    def reschedule(self, dev: _Device) -> None:
        wake = dev.next_due() if dev.online and dev.running is None else math.inf
        if wake != dev.wake_at:
            dev.wake_at = wake
            if wake != math.inf:
                heapq.heappush(self.wakeups, (wake, dev.serial))

    def next_wakeup(self) -> float:
        """Wall time of the next dispatch, dropping stale heap entries."""
        while self.wakeups:
            wake, serial = self.wakeups[0]
            dev = self.devices.get(serial)
            if dev is not None and dev.wake_at == wake:
                return wake
            heapq.heappop(self.wakeups)
        return math.inf

    def has_slot(self) -> bool:
        limit = self.settings.device_limit
        return limit is None or self.busy < limit

    # --- dispatch -----------------------------------------------------------------
    async def dispatch_due(self) -> None:
        """Hand every task due within `dispatch_lead` to its idle phone, up to the
        concurrency cap; each phone starts its task at the task's moment.

        They are marked running in one store write (a burst of 1,000 due at the same
        instant is one transaction), each with its own start moment, then handed to
        their device actors without a checkpoint between two of them where the mailbox
        has room (an idle phone's does): a whole burst is handed over in one loop turn.
        """
        if trio.current_time() < self.dispatch_at:
            return
        now = self.clock.now()
        horizon = now + self.settings.dispatch_lead
        picked: list[tuple[_Device, _Entry, float]] = []
        while self.has_slot() and self.next_wakeup() <= horizon:
            _, serial = heapq.heappop(self.wakeups)
            dev = self.devices[serial]
            dev.wake_at = math.inf
            entry, ready = dev.take(horizon, self.rng if self.settings.random_order else None)
            dev.running, dev.running_on = entry.task_id, dev.address
            self.busy += 1
            picked.append((dev, entry, max(now, ready)))
        if not picked:
            return
        try:
            marked = await self.store.mark_running(
                {entry.task_id: start for _, entry, start in picked})
        except Exception as exc:
            self.pause_dispatch(picked, exc)
            return
        if self.dispatch_at != -math.inf:
            log.info("the store takes writes again: due tasks start again")
            self.dispatch_at, self.dispatch_delay = -math.inf, self.settings.store_retry[0]
        started = {task.id: task for task in marked}
        for dev, entry, start in picked:
            task = started.get(entry.task_id)
            if task is None:  # no longer pending (gone meanwhile): the phone stays free
                self.release(dev, entry.task_id)
                continue
            assert dev.running_on is not None
            try:
                await _send_now_or_wait(dev.running_on, RunTask(task=task, start_at=start))
            except ActorClosed:  # the phone left just now: the task fails as on a disconnect
                dev.state, dev.address = "absent", None
                self.release(dev, task.id)
                end = TaskEnd(status=TaskStatus.FAILED, finished_at=self.clock.now(),
                              remark=f"device {dev.serial} disconnected")
                with contextlib.suppress(Exception):  # refused: held, written later
                    await self.end_task(dev.serial, task.id, end, retryable=True, ran=True)

    def pause_dispatch(self, picked: Sequence[tuple[_Device, _Entry, float]],
                       error: Exception) -> None:
        """The store refused to mark `picked` running: they stay pending, their phones
        free, and nothing is dispatched for a while (doubled after each refusal, capped).
        Logged when the refusals start, not at each one."""
        for dev, entry, _ in picked:
            dev.running, dev.running_on = None, None
            self.busy -= 1
            dev.add(entry)
            self.reschedule(dev)
        if self.dispatch_at == -math.inf:
            log.warning("the store refused to mark %d due task(s) running (%s); they wait, "
                        "tried again and again until it takes them", len(picked), error)
        else:
            self.dispatch_delay = min(self.dispatch_delay * 2, self.settings.store_retry[1])
        self.dispatch_at = trio.current_time() + self.dispatch_delay

    def release(self, dev: _Device, task_id: int) -> None:
        """The phone no longer runs `task_id`: free it and its concurrency slot."""
        if dev.running == task_id:
            dev.running, dev.running_on = None, None
            self.busy -= 1
        self.where.pop(task_id, None)
        self.reschedule(dev)

    def sleep_deadline(self) -> float:
        dispatch = (max(self.clock.deadline(self.next_wakeup() - self.settings.dispatch_lead),
                        self.dispatch_at) if self.has_slot() else math.inf)
        return min(dispatch, self.ends_retry_at)

    # --- messages ------------------------------------------------------------------
    async def handle(self, msg: SchedulerMsg) -> None:
        match msg:
            case SubmitTasks(tasks=tasks, reply=reply):
                await self.submit(tasks, reply)
            case TaskOutcome():
                await self.on_outcome(msg)
            case DeviceUp(serial=serial, model=model, address=address):
                dev = self.device(serial)
                dev.model, dev.state, dev.address = model, "device", address
                self.reschedule(dev)
            case DeviceDown(serial=serial, state=state):
                dev = self.device(serial)
                dev.state, dev.address = state, None
                self.reschedule(dev)
            case StopTask(task_id=task_id, reply=reply):
                await self.stop(task_id, reply)
            case DeleteTasks(task_ids=ids, reply=reply):
                await self.delete(ids, reply)
            case RetryTasks(task_ids=ids, reply=reply):
                await self.retry(ids, reply)
            case ListDevices(reply=reply):
                reply.send([DeviceSnapshot(serial=d.serial, state=d.state, model=d.model,
                                           current_task_id=d.running,
                                           pending_count=d.pending_count())
                            for d in sorted(self.devices.values(), key=lambda d: d.serial)
                            if d.state != "absent" or d.pending_count() or d.running])

    async def submit(self, tasks: Sequence[NewTask], reply: Reply[list[Task]]) -> None:
        try:
            stored = await self.store.create_tasks(tasks, created_at=self.clock.now())
        except Exception as exc:
            reply.fail(exc)
            return
        self._enqueue_and_answer(stored, reply)

    def _enqueue_and_answer(self, tasks: list[Task], reply: Reply[list[Task]]) -> None:
        """Queue the tasks the store just wrote (new or requeued); answer with them."""
        for task in tasks:
            self.enqueue(task)
        reply.send(tasks)

    async def on_outcome(self, msg: TaskOutcome) -> None:
        dev = self.device(msg.serial)
        self.release(dev, msg.task_id)
        if msg.unwritten is not None:
            error = msg.store_error or RuntimeError("the store did not take it")
            self.hold_end(msg.serial, msg.task_id, msg.unwritten, retryable=msg.retryable,
                          ran=True, error=error)
            for reply in self.stop_waiters.pop(msg.task_id, []):
                reply.fail(error)
            return
        await self.ended(msg.serial, msg.task_id, msg.task, retryable=msg.retryable, ran=True)

    async def ended(self, serial: str, task_id: int, task: Task | None, *, retryable: bool,
                    ran: bool) -> None:
        """The store has the end of `task_id` (`task`, None if it was gone), which no phone
        runs any more: answer the stops waiting for it, start the gap before the next task
        of its request (if a phone `ran` it), retry it later if it failed and may be."""
        dev = self.device(serial)
        stopped = task_id in self.no_retry
        self.no_retry.discard(task_id)
        for reply in self.stop_waiters.pop(task_id, []):
            reply.send(task)
        if task is not None:
            if ran and task.max_interval > 0 and task.request_id in dev.requests:
                gap = self.rng.uniform(task.min_interval, task.max_interval) * 60.0
                dev.not_before[task.request_id] = self.clock.now() + gap
            if retryable and not stopped and self.settings.may_retry(task):
                await self.retry_later(task)
        self.reschedule(dev)

    async def end_task(self, serial: str, task_id: int, end: TaskEnd, *, retryable: bool,
                       ran: bool) -> Task | None:
        """Store `end` of a task no phone runs, then what follows (`ended`); the task as
        stored. If the store refuses it, the end is held and written again later
        (`write_held_ends`), and the store's error is raised."""
        try:
            task = await end.write(self.store, task_id)
            if task is None:  # gone, or over: maybe by this very end, written after its
                task = await self.store.get_task(task_id)  # phone stopped waiting on it
        except Exception as exc:
            self.hold_end(serial, task_id, end, retryable=retryable, ran=ran, error=exc)
            raise
        if task is not None and task.status in (TaskStatus.PENDING, TaskStatus.RUNNING):
            task = None  # not over: this end came too late to say anything of it
        if self.held.pop(task_id, None) is not None:
            log.info("task %d on %s: its end (%s) is stored at last", task_id, serial,
                     end.status.text)
        await self.ended(serial, task_id, task, retryable=retryable, ran=ran)
        return task

    def hold_end(self, serial: str, task_id: int, end: TaskEnd, *, retryable: bool,
                 ran: bool, error: Exception) -> None:
        """The store refused `end`: keep it, to be written again once the held ends are
        due. Logged when the task's end is first refused, not at each refusal after."""
        if task_id not in self.held:
            log.warning("task %d on %s: its end (%s) could not be stored (%s); it shows "
                        "running until the store takes it, tried again and again", task_id,
                        serial, end.status.text, error)
        self.held[task_id] = _HeldEnd(serial, end, retryable, ran)
        if self.ends_retry_at == math.inf:
            self.ends_retry_at = trio.current_time() + self.end_delay

    async def write_held_ends(self) -> None:
        """If they are due, write the held ends again, oldest first, until the store
        refuses one: that one goes last, and the next round waits twice as long (capped);
        once every one is stored, the wait is back to its first figure."""
        if trio.current_time() < self.ends_retry_at:
            return
        self.ends_retry_at = math.inf
        for task_id, held in list(self.held.items()):
            if self.held.get(task_id) is not held:  # stopped or deleted meanwhile
                continue
            try:
                await self.end_task(held.serial, task_id, held.end, retryable=held.retryable,
                                    ran=held.ran)
            except Exception:
                self.held[task_id] = self.held.pop(task_id)  # last: the others go first
                self.end_delay = min(self.end_delay * 2, self.settings.store_retry[1])
                self.ends_retry_at = trio.current_time() + self.end_delay
                return
        self.end_delay = self.settings.store_retry[0]

    async def retry_later(self, task: Task) -> None:
        delay = self.settings.retry_delay_from(self.rng)
        try:
            again = await self.store.requeue_tasks([task.id], due_at=self.clock.now() + delay,
                                                   count_retry=True)
        except Exception:
            log.exception("task %d: could not schedule its retry", task.id)
            return
        for task_again in again:
            log.info("task %d will be retried in %.0f s (retry %d of %d)", task_again.id,
                     delay, task_again.retry_count, self.settings.max_retries)
            self.enqueue(task_again)

    async def stop_running(self, dev: _Device, task_id: int, remark: str,
                           reply: Reply[Task | None]) -> None:
        """Have the actor running `task_id` stop it; `reply` gets the task's end state.

        If that actor is gone (its phone left), the task's outcome is on its way: the
        reply waits for it. A stopped task is never retried automatically.
        """
        self.no_retry.add(task_id)
        if dev.running_on is not None:
            try:
                await dev.running_on.send(CancelRun(task_id=task_id, remark=remark,
                                                    reply=reply))
                return
            except ActorClosed:
                pass
        self.stop_waiters.setdefault(task_id, []).append(reply)

    async def stop(self, task_id: int, reply: Reply[Task | None]) -> None:
        serial = self.where.get(task_id)
        dev = self.devices.get(serial) if serial is not None else None
        if dev is not None and dev.running == task_id:
            await self.stop_running(dev, task_id, STOPPED_REMARK, reply)
            return
        held = self.held.get(task_id)
        if held is not None:  # shown running, but its end was never stored: that end is
            try:               # replaced by the stop's
                reply.send(await self.end_task(
                    held.serial, task_id, attrs.evolve(
                        held.end, status=TaskStatus.FAILED, remark=STOPPED_REMARK,
                        finished_at=self.clock.now(), result=None),
                    retryable=False, ran=held.ran))
            except Exception as exc:
                reply.fail(exc)
            return
        try:
            task = await self.store.get_task(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task.status != TaskStatus.PENDING:  # a running one was stopped above
                raise WrongTaskState(task_id, task.status,
                                     (TaskStatus.RUNNING, TaskStatus.PENDING))
            if dev is not None and dev.remove(task_id):
                self.where.pop(task_id, None)
                self.reschedule(dev)
            end = TaskEnd(status=TaskStatus.FAILED, remark=STOPPED_REMARK,
                          finished_at=self.clock.now(), started=False)
            reply.send(await self.end_task(task.serial, task_id, end, retryable=False,
                                           ran=False))
        except Exception as exc:
            reply.fail(exc)

    async def delete(self, task_ids: Sequence[int], reply: Reply[list[int]]) -> None:
        running: list[tuple[_Device, int]] = []
        for task_id in task_ids:
            serial = self.where.get(task_id)
            dev = self.devices.get(serial) if serial is not None else None
            if dev is None:
                continue
            if dev.running == task_id:
                running.append((dev, task_id))
            elif dev.remove(task_id):
                self.where.pop(task_id, None)
                self.reschedule(dev)
        if not running:
            await self._delete_now(task_ids, reply)
            return
        # Deleting running tasks waits for their devices to stop them; the scheduler
        # itself goes on serving meanwhile.
        stops: list[trio.MemoryReceiveChannel[outcome.Outcome[Task | None]]] = []
        for dev, task_id in running:
            send, receive = trio.open_memory_channel[outcome.Outcome[Task | None]](1)
            stops.append(receive)
            await self.stop_running(dev, task_id, DELETED_REMARK, Reply(send))
        self.nursery.start_soon(self._delete_after, stops, task_ids, reply)

    async def _delete_after(self,
                            stops: list[trio.MemoryReceiveChannel[outcome.Outcome[Task | None]]],
                            task_ids: Sequence[int], reply: Reply[list[int]]) -> None:
        with trio.move_on_after(STOP_GRACE):
            for receive in stops:
                with receive, contextlib.suppress(trio.EndOfChannel):
                    await receive.receive()
        await self._delete_now(task_ids, reply)

    async def _delete_now(self, task_ids: Sequence[int], reply: Reply[list[int]]) -> None:
        try:
            deleted = await self.store.delete_tasks(task_ids)
        except Exception as exc:
            reply.fail(exc)
            return
        for task_id in deleted:
            self.held.pop(task_id, None)  # its end has nothing left to be written to
        reply.send(deleted)

    async def retry(self, task_ids: Sequence[int] | None, reply: Reply[list[Task]]) -> None:
        try:
            if task_ids is None:
                again = await self.store.requeue_tasks(None, due_at=self.clock.now(),
                                                       count_retry=True)
            else:
                for task_id in task_ids:
                    task = await self.store.get_task(task_id)
                    if task is None:
                        raise TaskNotFound(task_id)
                    if task.status != TaskStatus.FAILED:
                        raise WrongTaskState(task_id, task.status, (TaskStatus.FAILED,))
                again = await self.store.requeue_tasks(task_ids, due_at=self.clock.now(),
                                                       count_retry=True)
        except Exception as exc:
            reply.fail(exc)
            return
        self._enqueue_and_answer(again, reply)


async def recover_interrupted(store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                              *, rng: random.Random | None = None) -> None:
    """At start-up, before the scheduler runs: the tasks a process that died left running
    fail with `INTERRUPTED_REMARK`, and those auto-retry takes (`may_retry`) are due again
    after a retry delay drawn as for any failed task (`retry_delay_from`)."""
    interrupted = await store.fail_interrupted(remark=INTERRUPTED_REMARK,
                                               finished_at=clock.now())
    if not interrupted:
        return
    log.warning("%d task(s) were interrupted by the last shutdown", len(interrupted))
    again = [task.id for task in interrupted if settings.may_retry(task)]
    if again:
        delay = settings.retry_delay_from(rng or random.Random())
        await store.requeue_tasks(again, due_at=clock.now() + delay, count_retry=True)
        log.info("%d interrupted task(s) will be retried in %.0f s", len(again), delay)


#: Messages the scheduler's mailbox holds: requests from the API and every phone's outcomes.
CAPACITY = 1024


async def serve_scheduler(*, store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                          rng: random.Random | None = None,
                          task_status: trio.TaskStatus[Address[SchedulerMsg]] = (
                              trio.TASK_STATUS_IGNORED)) -> None:
    """The scheduler under its own supervision policy, until cancelled; started with its
    address (`nursery.start`). Every wiring (the service, the benchmarks, the tests) runs
    it this way.

    A mailbox of `CAPACITY`, and no restart: a restarted scheduler would not know the
    phones (they registered with the one that crashed) nor the tasks handed to them, so a
    crash ends the orchestrator loudly (`ActorCrashed`), and start-up recovers what it left
    (`recover_interrupted`).
    """
    await supervise("scheduler", functools.partial(
        run_scheduler, store=store, clock=clock, settings=settings, rng=rng),
        capacity=CAPACITY, max_restarts=0, task_status=task_status)


async def run_scheduler(inbox: Inbox[SchedulerMsg], *, store: TaskStore, clock: WallClock,
                        settings: SchedulerSettings, rng: random.Random | None = None) -> None:
    """Run the scheduler until its inbox ends. Loads pending tasks from `store` first."""
    async with trio.open_nursery() as nursery:
        sched = _Scheduler(store, clock, settings, rng or random.Random(), nursery)
        for task in await store.pending_tasks():
            sched.enqueue(task)
        while True:
            await sched.write_held_ends()
            await sched.dispatch_due()
            msg: SchedulerMsg | None = None
            with trio.move_on_at(sched.sleep_deadline()):
                try:
                    msg = await inbox.receive()
                except trio.EndOfChannel:
                    break
            if msg is not None:
                await sched.handle(msg)
                await _handle_queued(sched, inbox)
        nursery.cancel_scope.cancel(reason="scheduler stopped")


async def _send_now_or_wait(address: Address[DeviceMsg], msg: DeviceMsg) -> None:
    try:
        address.send_nowait(msg)
    except trio.WouldBlock:
        await address.send(msg)


async def _handle_queued(sched: _Scheduler, inbox: Inbox[SchedulerMsg]) -> None:
    """Handle what is already queued (up to `DRAIN_LIMIT` messages or `DRAIN_BUDGET`
    seconds) before dispatching, so the phones freed by many outcomes start in one store
    write, not one write each, while a due task waits for a few outcomes at most."""
    stop_at = trio.current_time() + DRAIN_BUDGET
    for _ in range(DRAIN_LIMIT):
        if trio.current_time() >= stop_at:
            return
        try:
            msg = inbox.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel):
            return
        await sched.handle(msg)
