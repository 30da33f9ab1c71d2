"""The `/schedules` routes: a request made again at set times of the week
(`actors._schedules` has the rules of local time).

A schedule is checked here as a whole (`ScheduleBody`), then by the scheduler, which
owns it: a dry run of its request (`plan_schedule`, what `POST /task` does) must make
tasks, and its name must be free. Reads come from the store; an update (`PUT`) changes
the fields it names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import attrs
from quart import Blueprint, Response

from actors import NewSchedule, NewTask, Planner, Schedule
from actors.messages import DeleteSchedule, PutSchedule
from scripts import HostFiles, public_config

from ..converter import Range
from ..errors import InvalidParams, NotFound
from ..store import Store
from ._create import MAX_TIMEOUT, CreateTasks, plan_request
from ._facade import Facade
from ._idempotency import Idempotency
from ._openapi import Doc, script_config, script_name
from ._render import local_time
from ._wire import envelope, load_json, read_body, read_object

__all__ = ["ScheduleView", "schedule_planner", "schedule_routes"]

MAX_NAME = 64
#: Slots a day, at most (every quarter of an hour).
MAX_TIMES = 96
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


@attrs.frozen(kw_only=True)
class ScheduleBody:
    """A schedule on the wire. `weekdays` 1 (Monday) to 7, every day unless given;
    `times` `HH:MM` local time; the rest is the request each slot makes, as `POST /task`
    takes it (phones by `serials` and/or `groups`)."""

    name: str
    enabled: bool = True
    weekdays: list[Annotated[int, Range(1, 7)]] = attrs.Factory(lambda: list(_EVERY_DAY))
    times: list[str]
    serials: list[str] = attrs.Factory(list)
    groups: list[str] = attrs.Factory(list)
    script_name: str
    script_config: Any = None
    min_interval: Annotated[int, Range(0)] = 0
    max_interval: Annotated[int, Range(0)] = 0
    timeout: Annotated[int, Range(1, MAX_TIMEOUT)] | None = None
    rotate_proxy: bool = False

    def to_new(self) -> NewSchedule:
        """The schedule these fields make, its days and times sorted, each once.

        Raises:
            InvalidParams: a field at fault (named).
        """
        name = self.name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidParams(f"$.name: 1 to {MAX_NAME} characters, got {len(name)}")
        if not self.weekdays:
            raise InvalidParams("$.weekdays: at least one day (1 = Monday ... 7 = Sunday)")
        if not 1 <= len(self.times) <= MAX_TIMES:
            raise InvalidParams(f"$.times: 1 to {MAX_TIMES} times of the day, "
                                f"got {len(self.times)}")
        for index, text in enumerate(self.times):
            if not _HH_MM.fullmatch(text.strip()):
                raise InvalidParams(f"$.times[{index}]: expected HH:MM (00:00 to 23:59), "
                                    f"got {text!r}")
        if not isinstance(self.script_config, dict):
            raise InvalidParams("$.script_config: expected an object")
        return NewSchedule(
            name=name, enabled=self.enabled, weekdays=tuple(sorted(set(self.weekdays))),
            times=tuple(sorted({text.strip() for text in self.times})),
            serials=tuple(self.serials), groups=tuple(self.groups),
            script_name=self.script_name, script_config=self.script_config,
            min_interval=self.min_interval, max_interval=self.max_interval,
            timeout=self.timeout, rotate_proxy=self.rotate_proxy)


@attrs.frozen(kw_only=True)
class ScheduleView:
    """The API's schedule object: its fields, when its next slot is (null: disabled),
    when the last one ran and what it made; times local, as the tasks'."""

    id: int
    name: str
    enabled: bool
    weekdays: Sequence[int]
    times: Sequence[str]
    serials: Sequence[str]
    groups: Sequence[str]
    script_name: str
    script_config: Mapping[str, Any]
    min_interval: int
    max_interval: int
    timeout: int | None
    rotate_proxy: bool
    next_run_at: str | None
    last_run_at: str | None
    last_outcome: str
    created_at: str

    @classmethod
    def of(cls, schedule: Schedule) -> ScheduleView:
        return cls(
            id=schedule.id, name=schedule.name, enabled=schedule.enabled,
            weekdays=list(schedule.weekdays), times=list(schedule.times),
            serials=list(schedule.serials), groups=list(schedule.groups),
            script_name=schedule.script_name,
            script_config=public_config(schedule.script_name, schedule.script_config),
            min_interval=schedule.min_interval, max_interval=schedule.max_interval,
            timeout=schedule.timeout, rotate_proxy=schedule.rotate_proxy,
            next_run_at=_local(schedule.next_run_at),
            last_run_at=_local(schedule.last_run_at), last_outcome=schedule.last_outcome,
            created_at=local_time(schedule.created_at))


def _local(moment: float | None) -> str | None:
    return None if moment is None else local_time(moment)


@attrs.frozen(kw_only=True)
class ScheduleList:
    schedules: Sequence[ScheduleView]
    total: int


@attrs.frozen(kw_only=True)
class SchedulesDeleted:
    deleted_count: int
    schedule_ids: Sequence[int]


def _wire(schedule: Schedule) -> dict[str, Any]:
    """`schedule`'s fields as a `ScheduleBody` takes them (its config unmasked)."""
    fields = attrs.asdict(schedule, recurse=False, value_serializer=lambda _, __, value: (
        list(value) if isinstance(value, tuple) else value))
    return {name: fields[name] for name in attrs.fields_dict(ScheduleBody)}


def _changed(schedule: Schedule | None, changes: dict[str, object]) -> NewSchedule:
    """`schedule` with the fields of a `PUT` body replaced."""
    assert schedule is not None  # the scheduler refuses an update of no schedule
    return load_json({**_wire(schedule), **changes}, ScheduleBody).to_new()


def schedule_planner(*, store: Store, host_files: HostFiles) -> Planner:
    """What the scheduler makes a schedule's slot with: the request `POST /task` would
    make of its fields, checked and fanned out the same way, groups and accounts as
    they are now."""

    async def plan_schedule(schedule: NewSchedule, now: float) -> list[NewTask]:
        request = CreateTasks(
            script_name=schedule.script_name, script_config=dict(schedule.script_config),
            serials=list(schedule.serials) or None, groups=list(schedule.groups) or None,
            min_interval=schedule.min_interval, max_interval=schedule.max_interval,
            timeout=schedule.timeout, rotate_proxy=schedule.rotate_proxy)
        return await plan_request(request, now=now, store=store, host_files=host_files)

    return plan_schedule


def _view(schedule: Schedule | None, schedule_id: int) -> Response:
    if schedule is None:
        raise NotFound(f"schedule {schedule_id} not found")
    return envelope(ScheduleView.of(schedule))


def schedule_routes(facade: Facade, idempotent: Idempotency) -> Blueprint:
    """The `/schedules` routes: reads from `facade`'s store, changes through its
    scheduler; creating takes an `Idempotency-Key`."""
    routes = Blueprint("schedules", __name__)
    schedules = facade.store.schedules
    fields = {"script_name": script_name(), "script_config": script_config()}

    @routes.get("/schedules")
    @Doc(summary="Every schedule", answer=ScheduleList)
    async def list_schedules() -> Response:
        found = await schedules.list_schedules()
        return envelope(ScheduleList(schedules=[ScheduleView.of(s) for s in found],
                                     total=len(found)))

    @routes.get("/schedules/<id(schedule):schedule_id>")
    @Doc(summary="One schedule", answer=ScheduleView)
    async def get_schedule(schedule_id: int) -> Response:
        return _view(await schedules.get_schedule(schedule_id), schedule_id)

    @routes.post("/schedules")
    @Doc(summary="Create a schedule: a request made at set times of the week",
         body=ScheduleBody, fields=fields, answer=ScheduleView)
    @idempotent
    async def create_schedule() -> Response:
        new = (await read_body(ScheduleBody)).to_new()
        created: Schedule = await facade.ask(
            lambda reply: PutSchedule(schedule_id=None, change=lambda _: new, reply=reply))
        return _view(created, created.id)

    @routes.put("/schedules/<id(schedule):schedule_id>")
    @Doc(summary="Change some of a schedule's fields", body=ScheduleBody, fields=fields,
         partial=True, answer=ScheduleView)
    async def update_schedule(schedule_id: int) -> Response:
        changes = await read_object()
        changed: Schedule = await facade.ask(lambda reply: PutSchedule(
            schedule_id=schedule_id, change=lambda s: _changed(s, changes), reply=reply))
        return _view(changed, schedule_id)

    @routes.delete("/schedules/<id(schedule):schedule_id>")
    @Doc(summary="Delete a schedule (the tasks it made stay)", answer=SchedulesDeleted)
    async def delete_schedule(schedule_id: int) -> Response:
        deleted: bool = await facade.ask(
            lambda reply: DeleteSchedule(schedule_id=schedule_id, reply=reply))
        if not deleted:
            raise NotFound(f"schedule {schedule_id} not found")
        return envelope(SchedulesDeleted(deleted_count=1, schedule_ids=[schedule_id]))

    return routes
