"""The farm's recent changes, numbered: what the API's event stream (`GET /events`) sends.

The scheduler, which makes every change, appends to the log as it makes them; appending
never waits and never fails, so a stream that reads slowly, or none at all, costs the
scheduler nothing. The log keeps the last `capacity` events, so that a client that
reconnects with the last id it saw (`Last-Event-ID`) gets what it missed, if it is
still kept.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs
import trio

from ._model import Task
from .messages import DeviceSnapshot

__all__ = ["Event", "EventLog"]


@attrs.frozen
class Event:
    """One change: a task created or changed (`Task`), deleted (its id), or a phone that
    appeared, went or changed state (`DeviceSnapshot`); by this host, or by the other
    host `host` (heard through the database: it tells its own webhooks and metrics)."""

    id: int
    subject: Task | int | DeviceSnapshot
    host: str | None = None

    @property
    def serial(self) -> str | None:
        """The phone it is about (None: a deleted task, whose phone is not kept)."""
        return None if isinstance(self.subject, int) else self.subject.serial

    @property
    def task_id(self) -> int | None:
        """The task it is about (None: a phone)."""
        match self.subject:
            case Task(id=task_id) | int(task_id):
                return task_id
        return None


class EventLog:
    """The last `capacity` events, with increasing ids from 1; followers wait for more."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._events: deque[Event] = deque(maxlen=capacity)
        self._last = 0
        self._more = trio.lowlevel.ParkingLot()
        self._watchers = 0

    @property
    def watched(self) -> bool:
        """Whether a person watches the log now (`watching`): only then is what the other
        hosts change read and added, a cost every change would pay otherwise."""
        return self._watchers > 0

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        """A person (an event stream) watches the log while in the block."""
        self._watchers += 1
        try:
            yield
        finally:
            self._watchers -= 1

    @property
    def last_id(self) -> int:
        """The id of the newest event (0: none yet)."""
        return self._last

    @property
    def followers(self) -> int:
        """How many wait for the next event now."""
        return self._more.statistics().tasks_waiting

    def tasks_changed(self, tasks: Iterable[Task], *, host: str | None = None) -> None:
        self._append(tasks, host)

    def tasks_deleted(self, task_ids: Iterable[int], *, host: str | None = None) -> None:
        self._append(task_ids, host)

    def device_changed(self, device: DeviceSnapshot, *, host: str | None = None) -> None:
        self._append((device,), host)

    def since(self, seen: int) -> Sequence[Event]:
        """The events kept after id `seen`, oldest first (from the oldest kept, if some
        after `seen` are no longer kept)."""
        count = min(self._last - seen, len(self._events))  # from the newest: O(count)
        return list(itertools.islice(reversed(self._events), max(count, 0)))[::-1]

    async def follow(self, handle: Callable[[Sequence[Event], int], None]) -> None:
        """Call `handle` with each batch of events from now on, and how many were missed
        just before it (a follower that fell further behind than the log keeps), until
        cancelled. `handle` must not wait: the log moves on meanwhile."""
        seen = self._last
        while True:
            await self.wait_after(seen)
            news = self.since(seen)
            missed = news[0].id - seen - 1 if news else self._last - seen
            seen = news[-1].id if news else self._last
            handle(news, missed)

    async def wait_after(self, seen: int) -> None:
        """Return once there is an event after id `seen`."""
        while self._last <= seen:
            await self._more.park()

    def _append(self, subjects: Iterable[Task | int | DeviceSnapshot],
                host: str | None = None) -> None:
        before = self._last
        for subject in subjects:
            self._last += 1
            self._events.append(Event(self._last, subject, host))
        if self._last != before:
            self._more.unpark_all()
