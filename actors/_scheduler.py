"""The scheduler actor: owns time. Due moments, intervals, retries, stops, the cap.

It keeps the pending work of every device in memory (loaded from the store at start,
fed by `SubmitTasks`), sends a task to a device actor when the task is due, the device
is online and idle, and fewer than `device_limit` devices are busy. Between messages
it sleeps until the next due moment; nothing polls.

A device's pending tasks are grouped by the request that created them: a request's
tasks run in `position` order, and after one finishes the next of the same request
waits a random gap in [min_interval, max_interval] minutes.

It alone decides what follows a task's end: a device actor only says how its task
ended, and whether a stop ended it (`TaskEnded`); the scheduler answers the stop (or
refuses it, if the task ended by itself first), chooses a retry, and stores the ends of
a loop turn, retries included, in one write. An end the store refuses (a full disk) is
kept, its phone free, and written again with a backoff (`Backoff`) until the store takes
it; the stops of that task are answered then.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence

import attrs
import outcome
import trio

from ._backoff import Backoff
from ._clock import WallClock
from ._errors import (
    ActorClosed,
    ScheduleNotFound,
    TaskNotFound,
    WrongTaskState,
)
from ._events import EventLog
from ._mailbox import Address, Inbox, Reply
from ._model import NewTask, Task, TaskSource, TaskStatus
from ._ports import Failure, Requeue, TaskEnd, TaskStore, Waiting
from ._schedules import Calendar, NewSchedule, Planner, Schedule, next_slot
from ._supervise import supervise
from ._timeline import Timeline
from .messages import (
    AwaitPhone,
    CancelRun,
    CountDevices,
    DeleteSchedule,
    DeleteTasks,
    DeviceBack,
    DeviceDown,
    DeviceMsg,
    DevicesListed,
    DeviceSnapshot,
    DeviceUp,
    FarmAsItIs,
    GetDevice,
    ListDevices,
    PhonesPlaced,
    PlacesLost,
    PutSchedule,
    RetryTasks,
    RunTask,
    ScheduleChanged,
    SchedulerMsg,
    StopAsked,
    StopTask,
    SubmitTasks,
    TaskEnded,
    TasksPending,
    TasksTaken,
)

__all__ = [
    "INTERRUPTED_REMARK",
    "SchedulerSettings",
    "host_lost_remark",
    "read_farm",
    "recover_dead_hosts",
    "recover_interrupted",
    "run_scheduler",
    "serve_scheduler",
]

log = logging.getLogger(__name__)

#: The remark of a task that was running when the orchestrator last stopped.
INTERRUPTED_REMARK = "interrupted: the orchestrator stopped while this task ran"

STOPPED_REMARK = "stopped by user"
WAITING = "waiting: "  # how the remark of a task the scheduler holds back begins
DELETED_REMARK = "stopped: task deleted"
STOP_GRACE = 5.0  # seconds a delete waits for its running tasks to stop
CLAIM_AGAIN = 0.05  # seconds before a task another transaction held is claimed again
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
    #: it (a `Backoff`). A refused task end is never dropped (the task would show running
    #: for good, its phone idle), and due tasks the store could not mark running wait as
    #: long.
    store_retry: tuple[float, float] = attrs.field(
        default=(0.5, 30.0), validator=lambda _, __, value: Backoff(*value))
    #: The zone of the schedules' local times (None: the host's; `actors._schedules`).
    zone: datetime.tzinfo | None = None

    def may_retry(self, task: Task) -> bool:
        """Whether a failed `task` is retried automatically (a stop by a user aside)."""
        return (self.auto_retry and task.status == TaskStatus.FAILED
                and task.retry_count < self.max_retries)

    def retry_remark(self, retries: int, at: float, reason: str) -> str:
        """The remark of a task with `retries` so far, due again at `at` after `reason`."""
        return (f"retry {retries + 1} of {self.max_retries} at {WallClock.time_of_day(at)} "
                f"after: {reason}")

    def retry_delay_from(self, rng: random.Random) -> float:
        """Seconds before an automatic retry: uniform in `retry_delay`."""
        return rng.uniform(*self.retry_delay)


@attrs.define
class _Entry:
    """A pending task as the scheduler needs it: small, so 100,000s fit in memory.

    `remark` is what the store shows; `reason` what it shows when nothing else holds
    the task back (why it runs again: its retry), not its phone nor an interval.
    """

    task_id: int
    due_at: float
    request_id: str
    position: int
    min_interval: int
    max_interval: int
    remark: str
    reason: str

    @classmethod
    def from_task(cls, task: Task) -> _Entry:
        reason = (task.remark.partition("; ")[2] if task.remark.startswith(WAITING)
                  else task.remark)
        return cls(task_id=task.id, due_at=task.due_at, request_id=task.request_id,
                   position=task.position, min_interval=task.min_interval,
                   max_interval=task.max_interval, remark=task.remark, reason=reason)


@attrs.define
class _End:
    """A task's end the store does not have yet: written at the end of this loop turn,
    or, once the store has refused it, when the backoff allows."""

    serial: str
    end: TaskEnd
    again: Requeue | None  # when the task is due again, if it is
    stopped: bool  # a user's stop (or delete) ended it: the stop is answered with it


@attrs.define
class _Stop:
    """A user's stop (or delete) of a running task, until its end is stored: the remark
    its phone is asked to end it with, and the stops to answer once the end is stored.
    A task that ended by a stop is never retried automatically; one that ended otherwise
    first (the stop came late) is retried as any, and its stops refused."""

    remark: str
    waiters: list[Reply[Task]] = attrs.Factory(list)


@attrs.define
class _Delete:
    """A delete waiting for its running tasks to stop (`waiting`), at most until
    `deadline` (trio time): then every one of `task_ids` is deleted."""

    task_ids: Sequence[int]
    reply: Reply[list[int]]
    waiting: set[int]
    deadline: float
    dropped: list[tuple[str, _Entry]]  # its pending tasks, taken out of their queues


@attrs.define
class _Held:
    """A write the store refused, held back: when it is tried again (`Backoff`)."""

    backoff: Backoff
    until: float = -math.inf  # trio time before which the write waits (-inf: it need not)

    @property
    def refusing(self) -> bool:
        return self.until != -math.inf

    def ready(self) -> bool:
        return trio.current_time() >= self.until

    def refused(self) -> bool:
        """The store refused: wait longer than last time. True at the first refusal."""
        first = not self.refusing
        self.until = trio.current_time() + self.backoff.failed()
        return first

    def hurry(self) -> None:
        """Try at once (a user asks), without forgetting the refusals so far."""
        self.until = min(self.until, trio.current_time())

    def taken(self) -> bool:
        """The store took the write. True if it had been refusing."""
        was = self.refusing
        self.until = -math.inf
        self.backoff.succeeded()
        return was


@attrs.define
class _Device:
    serial: str
    model: str = ""
    state: str = "absent"
    address: Address[DeviceMsg] | None = None
    lost: bool = False  # a task lost the phone; held back until its actor says it is back
    elsewhere: str | None = None  # the other host that sees it, and runs its tasks
    running: int | None = None
    running_on: Address[DeviceMsg] | None = None  # the actor running it (may be gone)
    # request id -> its pending entries on this device, in (position, id) order
    requests: dict[str, deque[_Entry]] = attrs.Factory(dict)
    not_before: dict[str, float] = attrs.Factory(dict)
    wake_at: float = math.inf  # when this device next has a task due (inf: nothing)

    @property
    def online(self) -> bool:
        return self.address is not None and self.state == "device" and not self.lost

    @property
    def shown_state(self) -> str:
        """Its state as the API shows it: a phone a task lost is offline to the farm."""
        return "offline" if self.lost and self.state == "device" else self.state

    @property
    def listed(self) -> bool:
        """Whether `GET /devices` shows it: there, or work waits for it."""
        return self.state != "absent" or self.running is not None or bool(self.requests)

    def entries(self) -> list[_Entry]:
        return [entry for queue in self.requests.values() for entry in queue]

    def snapshot(self) -> DeviceSnapshot:
        """Its row in `GET /devices`."""
        return DeviceSnapshot(serial=self.serial, state=self.shown_state, model=self.model,
                              current_task_id=self.running,
                              pending_count=self.pending_count())

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

    def remove(self, task_id: int) -> _Entry | None:
        """Take `task_id` out of its queue; its entry, or None if it was not queued."""
        for request_id, queue in self.requests.items():
            for entry in queue:
                if entry.task_id == task_id:
                    queue.remove(entry)
                    if not queue:
                        del self.requests[request_id]
                        self.not_before.pop(request_id, None)
                    return entry
        return None

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
                 rng: random.Random, events: EventLog, planner: Planner | None) -> None:
        self.store = store
        self.planner = planner
        self.calendar = Calendar()
        self.events = events
        self.clock = clock
        self.settings = settings
        self.rng = rng
        self.devices: dict[str, _Device] = {}
        self.where: dict[int, str] = {}  # pending or running task id -> serial
        self.busy = 0
        self.wakeups = Timeline[str](self._wake_at)  # each phone's next dispatch
        self.ends: dict[int, _End] = {}  # task id -> its end not stored yet, oldest first
        self.stops: dict[int, _Stop] = {}  # task id -> the stop of it, until its end is stored
        self.deletes: list[_Delete] = []
        self.waits: dict[int, Waiting] = {}  # task id -> what it shows, not stored yet
        self.phones_known = False  # the watcher has listed the phones there at start
        self.lost_runs: Counter[int] = Counter()  # task id -> its runs a phone loss ended
        self.ends_held = _Held(Backoff(*settings.store_retry))
        self.dispatch_held = _Held(Backoff(*settings.store_retry))
        self.waits_held = _Held(Backoff(*settings.store_retry))
        self.slots_held = _Held(Backoff(*settings.store_retry))
        self.placing: dict[str, str] = {}  # serial -> its state here, not stored yet
        self.placing_every = False  # whether `placing` is every phone here (at start)
        self.placing_held = _Held(Backoff(*settings.store_retry))
        self.asked: dict[int, list[Reply[Task]]] = {}  # task id -> stops another host has

    # --- bookkeeping ------------------------------------------------------------
    def device(self, serial: str) -> _Device:
        dev = self.devices.get(serial)
        if dev is None:
            dev = self.devices[serial] = _Device(serial)
        return dev

    def enqueue(self, task: Task) -> _Entry:
        entry = _Entry.from_task(task)
        self.queue(task.serial, entry)
        return entry

    def queue(self, serial: str, entry: _Entry) -> None:
        """Queue a pending task's `entry` on its phone `serial`, unless another host sees
        that phone: that host runs it."""
        dev = self.device(serial)
        if dev.elsewhere is not None:
            return
        dev.add(entry)
        self.where[entry.task_id] = serial
        self.reschedule(dev)
        self.show(dev, [entry])

    # --- why pending tasks wait ------------------------------------------------------
    def waiting_remark(self, dev: _Device, entry: _Entry) -> str:
        """What a pending task's remark says: its phone not there, the interval of its
        request, then why it runs again (`reason`); whether another task runs on its
        phone first, its `start_time` and the phone's own row tell. A phone not seen
        yet at start is not said to be away until the watcher has listed the phones."""
        if not dev.online:
            away = self.away(dev)
            return entry.remark if away is None else _joined(away, entry.reason)
        gap_until = dev.not_before.get(entry.request_id, -math.inf)
        if gap_until >= entry.due_at:
            return _joined(f"{WAITING}the {entry.min_interval}-{entry.max_interval} min "
                           "interval between the tasks of its request, until "
                           f"{self.clock.time_of_day(gap_until)}", entry.reason)
        return entry.reason

    def away(self, dev: _Device) -> str | None:
        """Why the tasks of `dev`, which is not online, wait: its phone is not there
        (None: not known yet, the watcher has not listed the phones)."""
        if dev.state == "absent" and not self.phones_known:
            return None
        state = "is not connected" if dev.state == "absent" else f"is {dev.shown_state}"
        return f"{WAITING}phone {dev.serial} {state}"

    async def hold_lost(self, dev: _Device, why: str) -> None:
        """A task lost `dev`'s phone (`why`): nothing more is sent to it until its actor
        says it answers again (`AwaitPhone`), not some 30 s later when its ADB server
        tells (adb 29's device list lags that long behind a network phone's death)."""
        if not dev.online or dev.address is None:
            return  # its ADB server has said so already
        log.warning("no more tasks for phone %s until it answers again (%s)", dev.serial,
                    why)
        dev.lost = True
        self.reschedule(dev)
        self.show(dev)
        self.events.device_changed(dev.snapshot())
        with contextlib.suppress(ActorClosed):  # gone: its ADB server will say so
            await _send_now_or_wait(dev.address, AwaitPhone())

    def show(self, dev: _Device, entries: Sequence[_Entry] | None = None) -> None:
        """Have the store show why `entries` (all of `dev`'s by default) wait, where
        that changed: written with this loop turn's other changes (`write_waits`)."""
        for entry in dev.entries() if entries is None else entries:
            remark = self.waiting_remark(dev, entry)
            if remark != entry.remark:
                entry.remark = remark
                self.waits[entry.task_id] = Waiting(due_at=entry.due_at, remark=remark)

    def hold_for_interval(self, dev: _Device, request_id: str, until: float) -> None:
        """The tasks of `request_id` on `dev` wait until `until` (the interval after one
        of them): the next of them shows that moment as its `start_time`, and the
        interval (those behind it wait for it anyway)."""
        dev.not_before[request_id] = until
        head = dev.requests[request_id][0]
        head.due_at = max(head.due_at, until)
        head.remark = self.waiting_remark(dev, head)
        self.waits[head.task_id] = Waiting(due_at=head.due_at, remark=head.remark)

    async def write_waits(self) -> None:
        """Store what the pending tasks show now (`show`), in one write, unless the store
        refused the last one and its backoff is not over."""
        if not self.waits or not self.waits_held.ready():
            return
        waits, self.waits = self.waits, {}
        try:
            shown = await self.store.note_waiting(waits)
        except Exception as exc:
            self.waits = waits | self.waits
            if self.waits_held.refused():
                log.warning("the store refused to show why %d task(s) wait (%s); tried "
                            "again and again until it takes it", len(waits), exc)
            return
        self.waits_held.taken()
        self.events.tasks_changed(shown)  # not a status: a table shows the remark anyway

    def dequeue(self, dev: _Device, task_id: int) -> _Entry | None:
        """Take the pending `task_id` out of `dev`'s queue: its entry, or None if it was
        not queued there."""
        entry = dev.remove(task_id)
        if entry is not None:
            self.where.pop(task_id, None)
            self.waits.pop(task_id, None)
            self.reschedule(dev)
        return entry

    def reschedule(self, dev: _Device) -> None:
        wake = dev.next_due() if dev.online and dev.running is None else math.inf
        if wake != dev.wake_at:
            dev.wake_at = wake
            if wake != math.inf:
                self.wakeups.push(wake, dev.serial)

    def next_wakeup(self) -> float:
        """Wall time of the next dispatch."""
        return self.wakeups.first()

    def _wake_at(self, serial: str) -> float | None:
        dev = self.devices.get(serial)
        return None if dev is None else dev.wake_at

    def has_slot(self) -> bool:
        limit = self.settings.device_limit
        return limit is None or self.busy < limit

    def live_on(self, task_id: int) -> _Device | None:
        """The device `task_id` is pending or running on, if it is."""
        serial = self.where.get(task_id)
        return self.devices.get(serial) if serial is not None else None

    # --- dispatch -----------------------------------------------------------------
    async def dispatch_due(self) -> None:
        """Hand every task due within `dispatch_lead` to its idle phone, up to the
        concurrency cap; each phone starts its task at the task's moment.

        They are marked running in one store write (a burst of 1,000 due at the same
        instant is one transaction), each with its own start moment, then handed to
        their device actors without a checkpoint between two of them where the mailbox
        has room (an idle phone's does): a whole burst is handed over in one loop turn.
        """
        if not self.dispatch_held.ready():
            return
        now = self.clock.now()
        horizon = now + self.settings.dispatch_lead
        picked: list[tuple[_Device, _Entry, float]] = []
        while self.has_slot() and self.next_wakeup() <= horizon:
            serial = self.wakeups.pop()
            dev = self.devices[serial]
            dev.wake_at = math.inf
            entry, ready = dev.take(horizon, self.rng if self.settings.random_order else None)
            self.waits.pop(entry.task_id, None)  # running now: its remark is cleared
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
        if self.dispatch_held.taken():
            log.info("the store takes writes again: due tasks start again")
        self.events.tasks_changed(marked)
        started = {task.id: task for task in marked}
        missed: list[tuple[_Device, _Entry]] = []
        for dev, entry, start in picked:
            task = started.get(entry.task_id)
            if task is None:  # not started: the phone stays free
                self.release(dev, entry.task_id)
                missed.append((dev, entry))
                continue
            assert dev.running_on is not None
            try:
                await _send_now_or_wait(dev.running_on, RunTask(task=task, start_at=start))
            except ActorClosed:  # the phone left just now: the task fails as on a disconnect
                dev.state, dev.address = "absent", None
                self.release(dev, task.id)
                self.ended(dev.serial, task, TaskEnd(
                    status=TaskStatus.FAILED, remark=f"device {dev.serial} disconnected",
                    finished_at=self.clock.now(), started=False,
                    failure=Failure.PHONE_LOST), stopped=False)
        await self.recheck(missed)

    async def recheck(self, missed: Sequence[tuple[_Device, _Entry]]) -> None:
        """The store did not start these tasks: gone or over meanwhile (another host's
        stop, say), they are forgotten; still pending, another transaction held them at
        that moment (`mark_running` passes over what another host is taking), and they
        are tried again a moment later."""
        for dev, entry in missed:
            try:
                task = await self.store.get_task(entry.task_id)
                pending = task is not None and task.status == TaskStatus.PENDING
            except Exception:  # the store's fault: kept as if pending, tried again
                pending = True
            if pending and entry.task_id not in self.where:
                entry.due_at = max(entry.due_at, self.clock.now() + CLAIM_AGAIN)
                self.queue(dev.serial, entry)

    def pause_dispatch(self, picked: Sequence[tuple[_Device, _Entry, float]],
                       error: Exception) -> None:
        """The store refused to mark `picked` running: they stay pending, their phones
        free, and nothing is dispatched for a while (`_Held`). Logged when the
        refusals start, not at each one."""
        for dev, entry, _ in picked:
            dev.running, dev.running_on = None, None
            self.busy -= 1
            dev.add(entry)
            self.reschedule(dev)
        if self.dispatch_held.refused():
            log.warning("the store refused to mark %d due task(s) running (%s); they wait, "
                        "tried again and again until it takes them", len(picked), error)

    def release(self, dev: _Device, task_id: int) -> None:
        """The phone no longer runs `task_id`: free it and its concurrency slot."""
        if dev.running == task_id:
            dev.running, dev.running_on = None, None
            self.busy -= 1
        self.where.pop(task_id, None)
        self.reschedule(dev)

    def sleep_deadline(self) -> float:
        dispatch = (max(self.clock.deadline(self.next_wakeup() - self.settings.dispatch_lead),
                        self.dispatch_held.until) if self.has_slot() else math.inf)
        ends = min(self.ends_held.until if self.ends else math.inf,
                   self.waits_held.until if self.waits else math.inf)
        deletes = min((d.deadline for d in self.deletes), default=math.inf)
        slot = max(self.clock.deadline(self.calendar.next_at()), self.slots_held.until)
        return min(dispatch, ends, deletes, slot)

    # --- messages ------------------------------------------------------------------
    async def handle(self, msg: SchedulerMsg) -> None:
        match msg:
            case SubmitTasks(tasks=tasks, reply=reply):
                await self.submit(tasks, reply)
            case TaskEnded(serial=serial, task=task, end=end, stopped=stopped):
                dev = self.device(serial)
                ran_on = dev.running_on
                self.release(dev, task.id)
                if (end.failure is Failure.PHONE_LOST and end.status == TaskStatus.FAILED
                        and ran_on == dev.address):  # not an actor retired meanwhile
                    await self.hold_lost(dev, end.remark)
                self.ended(serial, task, end, stopped=stopped)
            case DeviceUp(serial=serial, model=model, address=address):
                dev = self.device(serial)
                if address != dev.address:  # a new actor (not the model of this one)
                    dev.lost = False
                self.moved(dev, "device", model)
                dev.model, dev.state, dev.address = model, "device", address
                self.reschedule(dev)
                self.show(dev)
                self.events.device_changed(dev.snapshot())
            case DeviceDown(serial=serial, state=state, address=retired) if (
                    self.device(serial).address in (None, retired)):
                dev = self.device(serial)
                self.moved(dev, state, dev.model)
                dev.state, dev.address, dev.lost = state, None, False
                self.reschedule(dev)
                self.show(dev)
                self.events.device_changed(dev.snapshot())
            case DeviceBack(serial=serial):
                dev = self.device(serial)
                if dev.lost:
                    log.info("phone %s answers again: its tasks go on", serial)
                    dev.lost = False
                    self.reschedule(dev)
                    self.show(dev)
                    self.events.device_changed(dev.snapshot())
            case DevicesListed():
                self.phones_known = True
                self.place_every()
                for dev in self.devices.values():
                    if not dev.online:
                        self.show(dev)
            case StopTask(task_id=task_id, reply=reply):
                await self.stop(task_id, reply)
            case DeleteTasks(task_ids=ids, reply=reply):
                await self.delete(ids, reply)
            case RetryTasks(task_ids=ids, reply=reply):
                await self.retry(ids, reply)
            case ListDevices(reply=reply):
                reply.answer([d.snapshot()
                              for d in sorted(self.devices.values(), key=lambda d: d.serial)
                              if d.listed])
            case CountDevices(reply=reply):
                reply.answer(dict(Counter(d.shown_state for d in self.devices.values()
                                          if d.listed)))
            case GetDevice(serial=serial, reply=reply):
                found = self.devices.get(serial)
                reply.answer(found.snapshot() if found is not None and found.listed else None)
            case PutSchedule(schedule_id=schedule_id, change=change, reply=reply):
                await self.put_schedule(schedule_id, change, reply)
            case DeleteSchedule(schedule_id=schedule_id, reply=reply):
                await self.delete_schedule(schedule_id, reply)
            case TasksPending(tasks=tasks):
                self.take_pending(tasks)
            case TasksTaken(task_ids=task_ids, ended=ended):
                for task_id in task_ids:
                    held = self.live_on(task_id)
                    if held is not None and held.running != task_id:
                        self.dequeue(held, task_id)
                if ended:
                    await self.ended_elsewhere(task_ids)
            case PlacesLost():
                self.place_every()
            case PhonesPlaced(placements=placements):
                for serial, host, state in placements:
                    self.placed_elsewhere(self.device(serial), host, state)
            case FarmAsItIs() as farm:  # news may have been lost: ends among it too
                self.caught_up(farm)
                await self.answer_asked(list(self.asked))
            case ScheduleChanged(schedule_id=schedule_id) if self.planner is not None:
                await self.reload_schedule(schedule_id)
            case StopAsked(task_id=task_id, remark=remark):
                held = self.live_on(task_id)
                if held is not None and held.running == task_id:
                    await self.stop_running(held, task_id, remark)
                elif held is not None:  # ended and retried before the stop came: stopped
                    await self.stop(task_id, _unheard())

    # --- the other hosts ---------------------------------------------------------------
    def moved(self, dev: _Device, state: str, model: str) -> None:
        """`dev`'s phone is in `state` here now, a `model`: the other hosts are told
        (`write_places`), and if it has just come, its pending tasks are this host's."""
        if state != dev.state or model != dev.model or dev.elsewhere is not None:
            self.placing[dev.serial] = state
        dev.elsewhere = None

    def place_every(self) -> None:
        """Every phone here is written where it is (`write_places`), and any other this
        host saw is gone from it."""
        self.placing_every = True
        self.placing.update((dev.serial, dev.state) for dev in self.devices.values()
                            if dev.address is not None)

    def placed_elsewhere(self, dev: _Device, host: str, state: str) -> None:
        """Another host, `host`, sees `dev`'s phone in `state` (`absent`: no longer): it
        runs its tasks, which this host lets go of; a phone that two hosts see (a network
        phone connected from both) stays this host's too."""
        if state == "absent":
            if dev.elsewhere == host:
                dev.elsewhere = None
            return
        if dev.address is not None:
            log.warning("phone %s is seen by host %s too: both may run its tasks, never the "
                        "same one twice", dev.serial, host)
            return
        dev.elsewhere = host
        for entry in dev.entries():
            self.dequeue(dev, entry.task_id)

    def caught_up(self, farm: FarmAsItIs) -> None:
        """The farm as it is (at start, or once news was lost): the phones other hosts
        see are theirs, and the pending tasks of the others are this host's to hold."""
        for serial, host in farm.elsewhere.items():
            self.placed_elsewhere(self.device(serial), host, "device")
        self.take_pending(farm.pending)

    def take_pending(self, tasks: Sequence[Task]) -> None:
        """Hold those of `tasks` (pending now) that this host does not hold yet."""
        new = [task for task in tasks if task.id not in self.where and task.id not in self.ends]
        for task in new:
            self.enqueue(task)

    async def write_places(self) -> None:
        """Store which phones are here now (`moved`), in one write, unless the store
        refused the last one and its backoff is not over; then hold the pending tasks of
        those that came."""
        if not self.placing or not self.placing_held.ready():
            return
        placing, self.placing = self.placing, {}
        try:
            came = await self.store.phones.place(
                placing, {serial: self.devices[serial].model for serial in placing},
                every=self.placing_every)
        except Exception as exc:
            self.placing = placing | self.placing
            if self.placing_held.refused():
                log.warning("the store refused to record where %d phone(s) are (%s); the "
                            "other hosts learn it once it takes it", len(placing), exc)
            return
        self.placing_held.taken()
        self.placing_every = False
        self.take_pending(came)

    async def ended_elsewhere(self, task_ids: Sequence[int]) -> None:
        """Another host ended or deleted `task_ids`: the stops and deletes that waited
        for that are answered."""
        for delete in self.deletes:
            delete.waiting.difference_update(task_ids)
        await self.answer_asked(task_ids)

    async def answer_asked(self, task_ids: Sequence[int]) -> None:
        """The stops of `task_ids` that wait for another host's end are answered
        (`_answer_stop`) if the store has the end; the others wait on."""
        for task_id in task_ids:
            waiters = self.asked.pop(task_id, [])
            if not waiters:
                continue
            try:
                task = await self.store.get_task(task_id)
            except Exception as exc:
                for waiter in waiters:
                    waiter.fail(exc)
                continue
            if task is not None and task.status in (TaskStatus.PENDING, TaskStatus.RUNNING):
                self.asked[task_id] = waiters  # not over (a retry): its end answers them
                continue
            stopped = task is not None and (task.status, task.remark) == (
                TaskStatus.FAILED, STOPPED_REMARK)
            for waiter in waiters:
                _answer_stop(waiter, task_id, task,
                             ended_as=None if stopped or task is None else task.status)

    async def submit(self, tasks: Sequence[NewTask], reply: Reply[list[Task]]) -> None:
        try:
            stored = await self.store.create_tasks(tasks, created_at=self.clock.now())
        except Exception as exc:
            reply.fail(exc)
            return
        if stored:
            log.info("%d task(s) created (%d-%d), %s on %d phone(s)", len(stored),
                     stored[0].id, stored[-1].id, stored[0].script_name,
                     len({task.serial for task in stored}))
        self._enqueue_and_answer(stored, reply)
        away = sorted({task.serial for task in stored
                       if not self.devices[task.serial].online
                       and self.devices[task.serial].elsewhere is None})
        if away and self.phones_known:
            log.warning("%d of these phone(s) are not ready (not connected, offline or "
                        "unauthorized); their tasks wait for them: %s", len(away),
                        ", ".join(away[:10])
                        + (f" and {len(away) - 10} more" if len(away) > 10 else ""))

    def _enqueue_and_answer(self, tasks: list[Task], reply: Reply[list[Task]]) -> None:
        """Queue the tasks the store just wrote (new or requeued); answer with them."""
        self.accept(tasks)
        reply.answer(tasks)

    def accept(self, tasks: list[Task]) -> None:
        """Queue the tasks the store just wrote (new or requeued)."""
        self.events.tasks_changed(tasks)
        for task in tasks:
            self.enqueue(task)

    # --- schedules -------------------------------------------------------------------
    async def load_schedules(self) -> None:
        """At start: every schedule, its next slot worked out again from now, so that a
        slot missed while the orchestrator was down is skipped (and said), not run late.
        A store that cannot be read ends the start, as the pending tasks' read does."""
        now = self.clock.now()
        for schedule in await self.store.schedules.list_schedules():
            if schedule.next_run_at is not None and schedule.next_run_at <= now:
                log.warning("schedule %d (%s): its slot at %s passed while the "
                            "orchestrator was down, skipped", schedule.id, schedule.name,
                            self.clock.moment(schedule.next_run_at))
            await self.move_schedule(schedule, now)

    async def move_schedule(self, schedule: Schedule, now: float) -> None:
        """Keep `schedule` with its next slot after `now` (and after its last run: a
        clock set back never runs a slot twice), stored; as it was if the store refuses
        (its slot is tried then, and refused once more, so moved again)."""
        after = max(now, schedule.last_run_at or -math.inf)
        following = next_slot(schedule, after, self.settings.zone)
        if following != schedule.next_run_at:
            try:
                schedule = await self.store.schedules.move_next_run(
                    schedule.id, next_run_at=following) or attrs.evolve(
                        schedule, next_run_at=following)
            except Exception as exc:
                log.error("schedule %d (%s): its next slot could not be stored: %s",
                          schedule.id, schedule.name, exc)
                schedule = attrs.evolve(schedule, next_run_at=following)
        self.calendar.keep(schedule)

    async def fire_due(self) -> None:
        """Run every slot that has come: its tasks made and stored with it. While the
        store refuses, slots wait (`slots_held`) and are run once it takes them."""
        if not self.slots_held.ready():
            return
        while (schedule := self.calendar.due(self.clock.now())) is not None:
            if not await self.fire(schedule):
                return

    async def fire(self, schedule: Schedule) -> bool:
        """Run `schedule`'s slot: its tasks planned now, created with the slot in one
        write, and queued; False if the store could not do its part (the slot is kept,
        tried again later: never lost to a passing refusal). A request that makes no
        tasks now (its group emptied, say) is said in `last_outcome` and the log; the
        next slot comes all the same."""
        assert schedule.next_run_at is not None
        assert self.planner is not None
        now, slot = self.clock.now(), schedule.next_run_at
        following = next_slot(schedule, max(now, slot), self.settings.zone)
        try:
            planned = await self.planner(schedule, now)
        except ValueError as exc:  # not now: a group emptied, a phone without a rotation
            planned, outcome = [], f"made no tasks: {exc}"
        except Exception as exc:  # the store's, or a fault: the slot waits
            self.hold_slot(schedule, exc)
            return False
        else:
            outcome = f"created {len(planned)} task(s)"
        new = [attrs.evolve(task, source=TaskSource.SCHEDULE, schedule_id=schedule.id)
               for task in planned]
        try:
            fired = await self.store.schedules.fire_schedule(
                schedule.id, slot=slot, next_run_at=following, tasks=new, outcome=outcome,
                created_at=now)
            if fired is None:  # gone, or this slot ran already: as the store has it
                again = await self.store.schedules.get_schedule(schedule.id)
        except Exception as exc:
            self.hold_slot(schedule, exc)
            return False
        if self.slots_held.taken():
            log.info("the store takes writes again: the slots held back run")
        if fired is None:
            if again is None:
                self.calendar.drop(schedule.id)
            else:
                await self.move_schedule(again, now)
            return True
        stored, tasks = fired
        self.calendar.keep(stored)
        (log.info if tasks else log.warning)(
            "schedule %d (%s), slot %s: %s", schedule.id, schedule.name,
            self.clock.moment(slot), outcome)
        self.accept(tasks)
        return True

    def hold_slot(self, schedule: Schedule, error: Exception) -> None:
        """The store refused (or the planner failed) at `schedule`'s slot: it is kept,
        tried again after a backoff; said when the refusals start."""
        self.calendar.keep(schedule, again=True)
        if self.slots_held.refused():
            log.error("schedule %d (%s): its slot at %s waits, the store refused it (%s); "
                      "tried again and again until it takes it", schedule.id, schedule.name,
                      self.clock.moment(schedule.next_run_at or 0.0), error)

    async def put_schedule(self, schedule_id: int | None,
                           change: Callable[[Schedule | None], NewSchedule],
                           reply: Reply[Schedule]) -> None:
        """Create or change a schedule: one that is on is checked by a dry run of its
        request (one off may be switched off whatever its request makes now); stored
        with its next slot, kept."""
        if self.planner is None:
            reply.fail(RuntimeError("this scheduler was started without a planner"))
            return
        current = None if schedule_id is None else self.calendar.schedules.get(schedule_id)
        if schedule_id is not None and current is None:
            reply.fail(ScheduleNotFound(schedule_id))
            return
        now = self.clock.now()
        try:
            new = change(current)
            if new.enabled:
                await self.planner(new, now)
            following = next_slot(new, now, self.settings.zone)
            if schedule_id is None:
                stored = await self.store.schedules.create_schedule(
                    new, created_at=now, next_run_at=following)
            else:
                found = await self.store.schedules.update_schedule(
                    schedule_id, new, next_run_at=following)
                if found is None:
                    raise ScheduleNotFound(schedule_id)
                stored = found
        except Exception as exc:
            reply.fail(exc)
            return
        self.calendar.keep(stored)
        log.info("schedule %d (%s) %s: next slot %s", stored.id, stored.name,
                 "created" if schedule_id is None else "changed",
                 "none" if following is None else self.clock.moment(following))
        reply.answer(stored)

    async def reload_schedule(self, schedule_id: int) -> None:
        """Another host made, changed or deleted `schedule_id`: kept as the store has it."""
        try:
            schedule = await self.store.schedules.get_schedule(schedule_id)
        except Exception as exc:
            log.error("schedule %d, changed by another host, could not be read: %s",
                      schedule_id, exc)
            return
        if schedule is None:
            self.calendar.drop(schedule_id)
        else:
            self.calendar.keep(schedule)

    async def delete_schedule(self, schedule_id: int, reply: Reply[bool]) -> None:
        try:
            deleted = await self.store.schedules.delete_schedule(schedule_id)
        except Exception as exc:
            reply.fail(exc)
            return
        self.calendar.drop(schedule_id)
        reply.answer(deleted)

    # --- how tasks end -------------------------------------------------------------
    def ended(self, serial: str, task: Task, end: TaskEnd, *, stopped: bool) -> None:
        """`task` (as it was handed over), which no phone runs, ended as `end`, `stopped`
        by a user's stop (or delete) or not: if not, a failure is retried when
        `may_retry` says so. Stored with the other ends of this loop turn."""
        stopped = stopped and task.id in self.stops
        again = (self.again(self.device(serial), task, end)
                 if not stopped and end.status == TaskStatus.FAILED else None)
        self.ends[task.id] = _End(serial, end, again, stopped)

    def again(self, dev: _Device, task: Task, end: TaskEnd) -> Requeue | None:
        """Whether and when the failed `task` runs again on `dev`, as auto-retry allows:
        never if it would fail the same way (`Failure.PERMANENT`); once its phone is back,
        no retry spent, if the phone went away under it (`hold_lost`), up to
        `max_retries` times (a task that loses its phone each time it runs spends its
        retries then); after a retry delay otherwise (`may_retry`). Its remark is what it
        shows once pending (`waiting_remark`), so no reader sees another first."""
        if end.failure is Failure.PERMANENT or not self.settings.auto_retry:
            return None
        now = self.clock.now()
        if (end.failure is Failure.PHONE_LOST
                and self.lost_runs[task.id] < self.settings.max_retries):
            self.lost_runs[task.id] += 1
            at, reason, counted = now, f"its last run stopped: {end.remark}", False
        elif self.settings.may_retry(attrs.evolve(task, status=TaskStatus.FAILED)):
            at = now + self.settings.retry_delay_from(self.rng)
            reason = self.settings.retry_remark(task.retry_count, at, end.remark)
            counted = True
        else:
            return None
        away = None if dev.online else self.away(dev)
        return Requeue(due_at=at, remark=_joined(away or "", reason), counted=counted)

    async def write_ends(self) -> None:
        """Store every end not stored yet, with the retries they call for, unless the
        store refused the last such write and its backoff is not over; then what follows
        each (`after_end`). In one write; if the store refuses it, one end at a time, so
        that an end it cannot take (`write_end`) holds up no other."""
        if not self.ends or not self.ends_held.ready():
            return
        ends, self.ends = self.ends, {}
        try:
            stored = await self.store.finish_tasks(
                {task_id: end.end for task_id, end in ends.items()},
                retries={task_id: end.again for task_id, end in ends.items() if end.again})
        except Exception:
            stored, held = [], {}
            for task_id, end in ends.items():
                try:
                    stored += await self.write_end(task_id, end)
                except Exception as exc:  # refused: held, and written again later
                    held[task_id], error = end, exc
            if held:
                self.hold_ends(held, error)
        if not self.ends and self.ends_held.taken():
            log.info("the store takes writes again: the task ends it refused are stored")
        self.events.tasks_changed(stored)
        tasks = {task.id: task for task in stored}
        await self.stops_taken_elsewhere([
            task_id for task_id, end in ends.items() if end.stopped and not end.end.started
            and task_id not in tasks and task_id not in self.ends])
        for task_id, end in ends.items():
            if task_id not in self.ends:
                self.after_end(task_id, end, tasks.get(task_id))
        await self.take_back([task_id for task_id, end in ends.items()
                              if end.end.started and task_id not in tasks])

    async def stops_taken_elsewhere(self, task_ids: Sequence[int]) -> None:
        """The store refused the stops of `task_ids`, held here as pending: another host
        started them (its news is not heard yet), or they are gone. Each stop is then
        what it is for a task another host holds (`stop_elsewhere`)."""
        for task_id in task_ids:
            stop = self.stops.pop(task_id, None)
            for reply in stop.waiters if stop is not None else ():
                await self.stop_elsewhere(task_id, reply)

    async def take_back(self, task_ids: Sequence[int]) -> None:
        """The store refused the ends of runs of `task_ids`: the other hosts took this one
        for dead meanwhile (it was cut off), and failed them. Those pending again for a
        phone here are held again (this host's own news of them never reaches it)."""
        if not task_ids:
            return
        try:
            self.take_pending(await self.store.pending_here_among(task_ids))
        except Exception as exc:
            log.error("%d task(s) failed while this host was taken for dead wait until it "
                      "starts again: %s", len(task_ids), exc)

    async def write_end(self, task_id: int, end: _End) -> list[Task]:
        """Store one end. If the store cannot encode it (TypeError, ValueError: its result
        is not JSON, a bug in a script), it is stored without its result (logged). Any
        other refusal (a full disk) is the caller's to hold: the result is not to blame."""
        retries = {task_id: end.again} if end.again else {}
        try:
            return await self.store.finish_tasks({task_id: end.end}, retries=retries)
        except (TypeError, ValueError) as exc:
            if end.end.result is None:
                raise
            stored = await self.store.finish_tasks(
                {task_id: attrs.evolve(end.end, result=None)}, retries=retries)
            log.error("task %d: its result could not be stored, and was left out",
                      task_id, exc_info=exc)
            return stored

    def hold_ends(self, ends: dict[int, _End], error: Exception) -> None:
        """The store refused `ends`: they are kept (ahead of any that came meanwhile) and
        written again later; the stops waiting on them wait on. Logged when the refusals
        start, not at each one."""
        if self.ends_held.refused():
            log.warning("the store refused %d task end(s) (%s); those tasks show running "
                        "until it takes them, tried again and again", len(ends), error)
        self.ends = ends | self.ends

    def after_end(self, task_id: int, end: _End, task: Task | None) -> None:
        """The store has `end` of `task_id` (`task` as it is now; None if it was gone or
        over already)."""
        stop = self.stops.pop(task_id, None)
        for reply in stop.waiters if stop is not None else ():
            _answer_stop(reply, task_id, task,
                         ended_as=None if end.stopped else end.end.status)
        for delete in self.deletes:
            delete.waiting.discard(task_id)
        if task is None or task.status != TaskStatus.PENDING:
            self.lost_runs.pop(task_id, None)
        if task is None:
            return
        dev = self.device(end.serial)
        more = task.request_id in dev.requests  # of its request, besides itself
        entry = self.enqueue(task) if task.status == TaskStatus.PENDING else None
        if end.end.started and task.max_interval > 0 and more:
            gap = self.rng.uniform(task.min_interval, task.max_interval) * 60.0
            self.hold_for_interval(dev, task.request_id, self.clock.now() + gap)
        if entry is not None:
            log.info("task %d is pending again: %s", task.id, entry.remark)
        self.reschedule(dev)

    async def stop_running(self, dev: _Device, task_id: int, remark: str) -> _Stop:
        """Have the actor running `task_id` stop it (once): its end, when it comes,
        answers the stop's waiters. If that actor is gone (its phone left), the end is
        on its way all the same."""
        stop = self.stops.get(task_id)
        if stop is None:
            stop = self.stops[task_id] = _Stop(remark)
            if dev.running_on is not None:
                with contextlib.suppress(ActorClosed):
                    await _send_now_or_wait(dev.running_on,
                                            CancelRun(task_id=task_id, remark=remark))
        return stop

    async def stop(self, task_id: int, reply: Reply[Task]) -> None:
        """Stop a running or pending task; `reply` gets it once its end is stored, however
        long the store takes (or a refusal, `_answer_stop`). A stop never replaces how a
        task really ended: one whose end is only not stored yet is refused at once."""
        kept = self.ends.get(task_id)
        dev = self.live_on(task_id)
        if kept is not None:  # over, its end not stored yet (maybe refused: hurry it)
            self.ends_held.hurry()
            if kept.stopped:
                self.stops[task_id].waiters.append(reply)
            else:
                reply.fail(WrongTaskState(task_id, kept.end.status,
                                          (TaskStatus.RUNNING, TaskStatus.PENDING)))
        elif dev is not None and dev.running == task_id:
            (await self.stop_running(dev, task_id, STOPPED_REMARK)).waiters.append(reply)
        elif dev is not None and self.dequeue(dev, task_id) is not None:  # pending
            self.stops[task_id] = _Stop(STOPPED_REMARK, [reply])
            self.ends[task_id] = _End(dev.serial, TaskEnd(
                status=TaskStatus.FAILED, remark=STOPPED_REMARK, finished_at=self.clock.now(),
                started=False), again=None, stopped=True)
            self.ends_held.hurry()
        else:  # not live here: another host's, or over (the store tells why)
            await self.stop_elsewhere(task_id, reply)

    async def stop_elsewhere(self, task_id: int, reply: Reply[Task]) -> None:
        """Stop `task_id`, which this host does not hold: a running one's host is asked
        to stop it (its end answers, `ended_elsewhere`), and a pending one (another
        host's, or no host's yet) is stopped in the store; `reply` is refused if it is
        over, or gone."""
        try:
            await self._stop_elsewhere(task_id, reply)
        except Exception as exc:
            reply.fail(exc)

    async def _stop_elsewhere(self, task_id: int, reply: Reply[Task]) -> None:
        if not await self.store.ask_stop([task_id], remark=STOPPED_REMARK):
            stopped = await self.store.finish_tasks({task_id: TaskEnd(
                status=TaskStatus.FAILED, remark=STOPPED_REMARK,
                finished_at=self.clock.now(), started=False)}, retries={})
            if stopped:
                self.events.tasks_changed(stopped)
                reply.answer(stopped[0])
                return
            task = await self.store.get_task(task_id)
            if task is None:
                raise TaskNotFound(task_id)
            if task.status != TaskStatus.RUNNING or not await self.store.ask_stop(
                    [task_id], remark=STOPPED_REMARK):  # (started by its host meanwhile)
                raise WrongTaskState(task_id, task.status,
                                     (TaskStatus.RUNNING, TaskStatus.PENDING))
        self.asked.setdefault(task_id, []).append(reply)

    async def delete(self, task_ids: Sequence[int], reply: Reply[list[int]]) -> None:
        """Delete tasks; running ones are stopped first (their ends stored), for at most
        `STOP_GRACE` seconds. The scheduler goes on serving meanwhile."""
        waiting: set[int] = set()
        dropped: list[tuple[str, _Entry]] = []
        try:  # those another host runs: it is asked to stop them first
            waiting.update(await self.store.ask_stop(
                [task_id for task_id in task_ids if self.live_on(task_id) is None],
                remark=DELETED_REMARK))
        except Exception as exc:
            reply.fail(exc)
            return
        for task_id in task_ids:
            dev = self.live_on(task_id)
            if dev is None:
                continue
            if dev.running == task_id:
                await self.stop_running(dev, task_id, DELETED_REMARK)
                waiting.add(task_id)
            elif (entry := self.dequeue(dev, task_id)) is not None:
                dropped.append((dev.serial, entry))
        self.deletes.append(_Delete(task_ids, reply, waiting,
                                    trio.current_time() + STOP_GRACE, dropped))
        await self.finish_deletes()

    async def finish_deletes(self) -> None:
        """Carry out the deletes no longer waiting for a task to stop (or past waiting).
        One the store refuses puts its pending tasks back (its running ones it stopped)."""
        now = trio.current_time()
        ready = [d for d in self.deletes if not d.waiting or now >= d.deadline]
        if not ready:
            return
        self.deletes = [d for d in self.deletes if d not in ready]
        for delete in ready:
            try:
                deleted = await self.store.delete_tasks(delete.task_ids)
            except Exception as exc:
                for serial, entry in delete.dropped:
                    self.queue(serial, entry)
                delete.reply.fail(exc)
                continue
            for task_id in deleted:
                self.forget(task_id)
            self.events.tasks_deleted(deleted)
            delete.reply.answer(deleted)

    def forget(self, task_id: int) -> None:
        """`task_id` is deleted: an end not stored yet has nothing left to go to, and a
        pending entry (queued again by a retry meanwhile) nothing to run."""
        self.lost_runs.pop(task_id, None)
        if self.ends.pop(task_id, None) is not None:
            stop = self.stops.pop(task_id, None)
            for waiter in stop.waiters if stop is not None else ():
                waiter.fail(TaskNotFound(task_id))
        dev = self.live_on(task_id)
        if dev is not None and dev.running != task_id:
            self.dequeue(dev, task_id)

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


def _joined(*remarks: str) -> str:
    return "; ".join(filter(None, remarks))


def _unheard() -> Reply[Task]:
    """A reply nobody waits for: the host that asked for a stop learns of it from its news."""
    send, _ = trio.open_memory_channel[outcome.Outcome[Task]](1)
    return Reply(send)


def _answer_stop(reply: Reply[Task], task_id: int, task: Task | None, *,
                 ended_as: TaskStatus | None) -> None:
    """Answer a stop once the task's end is stored (`task` as it is now, None if gone):
    with the task if the stop ended it (`ended_as` None); refused if it was deleted
    meanwhile (`TaskNotFound`) or ended otherwise, `ended_as`, before the stop reached it
    (`WrongTaskState`: a late stop changes nothing, and says so)."""
    if task is None:
        reply.fail(TaskNotFound(task_id))
    elif ended_as is not None:
        reply.fail(WrongTaskState(task_id, ended_as, (TaskStatus.RUNNING,
                                                      TaskStatus.PENDING)))
    else:
        reply.answer(task)


async def recover_interrupted(store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                              *, rng: random.Random | None = None) -> None:
    """At start-up, before the scheduler runs: the tasks this host's process left running
    when it died fail with `INTERRUPTED_REMARK`, and are retried (`_retry_interrupted`)."""
    interrupted = await store.fail_interrupted(remark=INTERRUPTED_REMARK,
                                               finished_at=clock.now())
    if interrupted:
        log.warning("%d task(s) were interrupted by the last shutdown", len(interrupted))
        await _retry_interrupted(store, clock, settings, interrupted, rng=rng)


def host_lost_remark(host: str) -> str:
    """The remark of a task that was running on `host` when the others took it for dead."""
    return f"interrupted: host {host} stopped answering while this task ran"


async def recover_dead_hosts(store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                             *, lease: float, rng: random.Random | None = None) -> list[Task]:
    """The running tasks of the other hosts that have not renewed their lease for `lease`
    seconds fail with `host_lost_remark`, and are retried (`_retry_interrupted`) when
    their phones are back, on whichever host; those they had not started yet wait for
    them. The tasks so changed."""
    changed = await store.fail_dead_hosts(lease=lease, remark=host_lost_remark,
                                          finished_at=clock.now())
    interrupted = [task for task in changed if task.status == TaskStatus.FAILED]
    if interrupted:
        hosts = sorted({task.remark for task in interrupted})
        log.warning("%d task(s) interrupted: %s", len(interrupted), "; ".join(hosts))
        await _retry_interrupted(store, clock, settings, interrupted, rng=rng)
    return changed


async def _retry_interrupted(store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                             interrupted: Sequence[Task], *, rng: random.Random | None) -> None:
    """Those of `interrupted` auto-retry takes (`may_retry`) are due again after a retry
    delay drawn as for any failed task (`retry_delay_from`)."""
    again: dict[tuple[int, str], list[int]] = {}  # (retry count, reason) -> those tasks
    for task in interrupted:
        if settings.may_retry(task):
            again.setdefault((task.retry_count, task.remark), []).append(task.id)
    if again:
        at = clock.now() + settings.retry_delay_from(rng or random.Random())
        for (count, reason), task_ids in sorted(again.items()):
            await store.requeue_tasks(task_ids, due_at=at, count_retry=True,
                                      remark=settings.retry_remark(count, at, reason))
        log.info("%d interrupted task(s) will be retried at %s",
                 sum(map(len, again.values())), clock.time_of_day(at))


async def read_farm(store: TaskStore) -> FarmAsItIs:
    """Where the other hosts' phones are and every pending task, as the store has them."""
    return FarmAsItIs(elsewhere=await store.phones.elsewhere(),
                      pending=await store.pending_tasks())


#: Messages the scheduler's mailbox holds: requests from the API and every phone's task ends.
CAPACITY = 1024


async def serve_scheduler(*, store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                          rng: random.Random | None = None, events: EventLog | None = None,
                          planner: Planner | None = None,
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
        run_scheduler, store=store, clock=clock, settings=settings, rng=rng, events=events,
        planner=planner),
        capacity=CAPACITY, max_restarts=0, task_status=task_status)


async def run_scheduler(inbox: Inbox[SchedulerMsg], *, store: TaskStore, clock: WallClock,
                        settings: SchedulerSettings, rng: random.Random | None = None,
                        events: EventLog | None = None,
                        planner: Planner | None = None) -> None:
    """Run the scheduler until its inbox ends. Loads pending tasks from `store` first,
    and with a `planner` (what makes a schedule's tasks), the schedules. Every change it
    makes goes to `events` (a log of its own, which nobody reads, if none is given)."""
    sched = _Scheduler(store, clock, settings, rng or random.Random(),
                       EventLog() if events is None else events, planner)
    sched.caught_up(await read_farm(store))
    if planner is not None:
        await sched.load_schedules()
    while True:
        await sched.fire_due()
        await sched.write_places()
        # What waiting tasks show first: a reader who sees an end (a phone lost, say) sees
        # what it made the others show too. What the ends make them show comes at once
        # (`sleep_deadline`: a note to write is due now).
        await sched.write_waits()
        await sched.write_ends()
        await sched.finish_deletes()
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


async def _send_now_or_wait(address: Address[DeviceMsg], msg: DeviceMsg) -> None:
    try:
        address.send_nowait(msg)
    except trio.WouldBlock:
        await address.send(msg)


async def _handle_queued(sched: _Scheduler, inbox: Inbox[SchedulerMsg]) -> None:
    """Handle what is already queued (up to `DRAIN_LIMIT` messages or `DRAIN_BUDGET`
    seconds) before writing and dispatching, so that many ends are one store write, and
    the phones they free start in one more, while a due task waits for a few ends at most."""
    stop_at = trio.current_time() + DRAIN_BUDGET
    for _ in range(DRAIN_LIMIT):
        if trio.current_time() >= stop_at:
            return
        try:
            msg = inbox.receive_nowait()
        except (trio.WouldBlock, trio.EndOfChannel):
            return
        await sched.handle(msg)
