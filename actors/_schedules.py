"""Schedules: the same request made again at set times of the week, in local time.

The scheduler owns them (`Calendar`, kept in memory beside the pending tasks): it
sleeps until the next slot of any, has the shell plan the tasks "as a `POST /task`
would" (`Planner`), and stores them with the slot in one write (`ScheduleStore`).

The rules of local time, which the README repeats:
- A slot is `HH:MM` on a weekday in the scheduler's zone (`SchedulerSettings.zone`, the
  host's by default).
- On the day clocks go forward, a slot in the skipped hour runs once, at the moment the
  same wall time an hour earlier would have been (02:30 becomes 03:30): it is not lost.
- On the day they go back, a slot in the repeated hour runs once, at its first occurrence.
- A slot whose moment passed while the orchestrator was down is skipped, and logged; a
  slot is never run late at start-up.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

from ._model import NewTask, Task
from ._timeline import Timeline

__all__ = ["Calendar", "NewSchedule", "Planner", "Schedule", "ScheduleStore", "next_slot"]


@attrs.frozen(kw_only=True)
class NewSchedule:
    """A schedule as its owner writes it (also what an update writes). `weekdays` are
    1 (Monday) to 7, `times` `HH:MM`, both sorted and each once; the rest is the request
    each slot makes (phones by `serials` and `groups`, the script and its config)."""

    name: str
    enabled: bool = True
    weekdays: tuple[int, ...]
    times: tuple[str, ...]
    serials: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    script_name: str
    script_config: Mapping[str, Any]
    min_interval: int = 0
    max_interval: int = 0
    timeout: int | None = None
    rotate_proxy: bool = False


@attrs.frozen(kw_only=True)
class Schedule(NewSchedule):
    """A stored schedule: its next slot (None: disabled), the last one that ran, and
    what that slot made (`last_outcome`, words)."""

    id: int
    created_at: float
    next_run_at: float | None = None
    last_run_at: float | None = None
    last_outcome: str = ""


def next_slot(schedule: NewSchedule, after: float,
              zone: datetime.tzinfo | None) -> float | None:
    """The first slot of `schedule` strictly after `after` (POSIX seconds), in `zone`
    (None: the host's local time); None if it is disabled or has no slot.

    Each slot is read with `fold=0`: a wall time the clocks skip maps past the gap, one
    they repeat to its first occurrence (the module's rules)."""
    if not (schedule.enabled and schedule.weekdays and schedule.times):
        return None
    clock_times = [_hh_mm(text) for text in schedule.times]
    # Every slot from the day before to a week after, and the earliest moment after
    # `after`: not the first in wall-clock order, since a slot in a skipped hour comes
    # after the next one (02:30 runs at 03:30, after 03:00), and a slot in a gap at the
    # end of a day lies in the next (some zones shift at midnight).
    first = datetime.datetime.fromtimestamp(after, zone).date() - datetime.timedelta(days=1)
    days = (first + datetime.timedelta(days=offset) for offset in range(9))
    return min(moment for day in days if day.isoweekday() in schedule.weekdays
               for hour, minute in clock_times
               if (moment := datetime.datetime(day.year, day.month, day.day, hour, minute,
                                                tzinfo=zone).timestamp()) > after)


def _hh_mm(text: str) -> tuple[int, int]:
    hour, _, minute = text.partition(":")
    return int(hour), int(minute)


class Planner(Protocol):
    """The tasks one slot of a schedule makes, due `now`: what a `POST /task` of its
    request would make (the shell's validation and fan-out, groups resolved now).

    Raises:
        ValueError: the request makes no tasks now, or is not valid (the message says
            why, naming the field; also how a new or changed schedule is refused).
    """

    async def __call__(self, schedule: NewSchedule, now: float) -> list[NewTask]: ...


class ScheduleStore(Protocol):
    """The schedules, in the database of the tasks. Every method is one transaction.

    Raises (`create_schedule`, `update_schedule`): ScheduleNameTaken."""

    async def list_schedules(self) -> list[Schedule]:
        """Every schedule, by id."""

    async def get_schedule(self, schedule_id: int) -> Schedule | None: ...

    async def create_schedule(self, new: NewSchedule, *, created_at: float,
                              next_run_at: float | None) -> Schedule: ...

    async def update_schedule(self, schedule_id: int, new: NewSchedule, *,
                              next_run_at: float | None) -> Schedule | None:
        """The schedule `new` replaces (None: no such schedule); its slots so far stay."""

    async def delete_schedule(self, schedule_id: int) -> bool: ...

    async def move_next_run(self, schedule_id: int, *, next_run_at: float | None
                            ) -> Schedule | None:
        """Set when it runs next (start-up: the slots missed are skipped)."""

    async def fire_schedule(self, schedule_id: int, *, slot: float,
                            next_run_at: float | None, tasks: Sequence[NewTask],
                            outcome: str, created_at: float
                            ) -> tuple[Schedule, list[Task]] | None:
        """Run `slot`: record it as the last run (with `outcome`), `next_run_at` as the
        next, and create `tasks`, in one transaction; the schedule as it is then and the
        tasks. None, and nothing written, if the schedule is gone or `slot` has run."""


class Calendar:
    """The schedules as the scheduler keeps them, and their next slots in time order."""

    def __init__(self) -> None:
        self.schedules: dict[int, Schedule] = {}
        self._slots = Timeline[int](self._next_run_at)

    def _next_run_at(self, schedule_id: int) -> float | None:
        kept = self.schedules.get(schedule_id)
        return None if kept is None else kept.next_run_at

    def keep(self, schedule: Schedule, *, again: bool = False) -> None:
        """`schedule` as it is stored now (new, changed, or after a slot); `again`: its
        slot, taken off by `due`, is back on the timeline (to be tried again)."""
        before = self.schedules.get(schedule.id)
        self.schedules[schedule.id] = schedule
        moved = before is None or before.next_run_at != schedule.next_run_at
        if schedule.next_run_at is not None and (moved or again):
            self._slots.push(schedule.next_run_at, schedule.id)

    def drop(self, schedule_id: int) -> None:
        self.schedules.pop(schedule_id, None)

    def next_at(self) -> float:
        """When the next slot of any schedule is (inf: none is)."""
        return self._slots.first()

    def due(self, now: float) -> Schedule | None:
        """The schedule whose slot is the earliest at or before `now`, taken off the
        timeline (kept again once it has run), or None."""
        if self.next_at() > now:
            return None
        return self.schedules[self._slots.pop()]
