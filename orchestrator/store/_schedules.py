"""The SQL store's `ScheduleStore`, on the lanes of the task store it shares a database
with: a slot's tasks are created in the transaction that records the slot."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from actors import NewSchedule, NewTask, Schedule, ScheduleNameTaken, Task

from ._news import NewsKind, Tell
from ._sql import Cursor, Dialect, Lane

_FIELDS = ("name", "enabled", "weekdays", "times", "serials", "groups", "script_name",
           "script_config", "min_interval", "max_interval", "timeout", "rotate_proxy")
_COLUMNS = ", ".join(("id", *_FIELDS, "created_at", "next_run_at", "last_run_at",
                      "last_outcome"))
_JSON = frozenset({"weekdays", "times", "serials", "groups", "script_config"})

#: Creates tasks inside the caller's transaction: `TaskStore.create_tasks`'s work.
InsertTasks = Callable[[Any, Sequence[NewTask], float], list[Task]]


@attrs.frozen
class ScheduleQueries:
    """Every fixed schedule statement, in one dialect."""

    insert: str
    get: str
    by_name: str
    every: str
    update: str
    move: str
    fire: str
    delete: str

    @classmethod
    def for_dialect(cls, d: Dialect) -> ScheduleQueries:
        select = f"SELECT {_COLUMNS} FROM schedules"
        returning = f" RETURNING {_COLUMNS}"
        return cls(
            insert=d.sql(f"INSERT INTO schedules ({', '.join(_FIELDS)}, created_at,"
                         f" next_run_at) VALUES ({', '.join('?' * (len(_FIELDS) + 2))})"
                         + returning),
            get=d.sql(f"{select} WHERE id = ?"),
            by_name=d.sql(f"{select} WHERE lower(name) = lower(?)"),
            every=f"{select} ORDER BY id",
            update=d.sql(f"UPDATE schedules SET {', '.join(f'{f} = ?' for f in _FIELDS)},"
                         f" next_run_at = ? WHERE id = ?{returning}"),
            move=d.sql(f"UPDATE schedules SET next_run_at = ? WHERE id = ?{returning}"),
            # Only once per slot: a slot at or before the last one run is not run again.
            fire=d.sql("UPDATE schedules SET last_run_at = ?, next_run_at = ?,"
                       " last_outcome = ? WHERE id = ?"
                       f" AND (last_run_at IS NULL OR last_run_at < ?){returning}"),
            delete=d.sql("DELETE FROM schedules WHERE id = ? RETURNING id"),
        )


def _schedule(row: Sequence[Any]) -> Schedule:
    values = dict(zip(("id", *_FIELDS, "created_at", "next_run_at", "last_run_at",
                       "last_outcome"), row, strict=True))
    for field in _JSON:
        values[field] = json.loads(values[field])
    return Schedule(
        id=int(values["id"]), name=values["name"], enabled=bool(values["enabled"]),
        weekdays=tuple(values["weekdays"]), times=tuple(values["times"]),
        serials=tuple(values["serials"]), groups=tuple(values["groups"]),
        script_name=values["script_name"], script_config=values["script_config"],
        min_interval=values["min_interval"], max_interval=values["max_interval"],
        timeout=values["timeout"], rotate_proxy=bool(values["rotate_proxy"]),
        created_at=float(values["created_at"]),
        next_run_at=_time(values["next_run_at"]), last_run_at=_time(values["last_run_at"]),
        last_outcome=values["last_outcome"])


def _time(value: float | None) -> float | None:
    return None if value is None else float(value)


def _fields(new: NewSchedule) -> list[Any]:
    return [json.dumps(value, ensure_ascii=False) if name in _JSON
            else int(value) if name in ("enabled", "rotate_proxy") else value
            for name, value in ((f, getattr(new, f)) for f in _FIELDS)]


class SqlScheduleStore:
    """The schedules, on the task store's lanes (its write lane is the database's writer);
    `insert_tasks` creates a slot's tasks in the slot's transaction."""

    def __init__(self, dialect: Dialect, *, read: Lane, write: Lane,
                 insert_tasks: InsertTasks, tell: Tell) -> None:
        self._read = read
        self._write = write
        self._tell = tell
        self._insert_tasks = insert_tasks
        self._q = ScheduleQueries.for_dialect(dialect)

    async def list_schedules(self) -> list[Schedule]:
        def every(cur: Cursor) -> list[Schedule]:
            cur.execute(self._q.every)
            return [_schedule(row) for row in cur.fetchall()]

        return await self._read(every)

    async def get_schedule(self, schedule_id: int) -> Schedule | None:
        return await self._read(lambda cur: self._one(cur, self._q.get, [schedule_id]))

    async def create_schedule(self, new: NewSchedule, *, created_at: float,
                              next_run_at: float | None) -> Schedule:
        def create(cur: Cursor) -> Schedule:
            self._name_free(cur, new.name, None)
            created = self._one(cur, self._q.insert, [*_fields(new), created_at, next_run_at])
            assert created is not None
            self._tell(cur, NewsKind.SCHEDULE, [created.id])
            return created

        return await self._write(create)

    async def update_schedule(self, schedule_id: int, new: NewSchedule, *,
                              next_run_at: float | None) -> Schedule | None:
        def update(cur: Cursor) -> Schedule | None:
            if self._one(cur, self._q.get, [schedule_id]) is None:
                return None
            self._name_free(cur, new.name, schedule_id)
            updated = self._one(cur, self._q.update, [*_fields(new), next_run_at, schedule_id])
            self._tell(cur, NewsKind.SCHEDULE, [schedule_id])
            return updated

        return await self._write(update)

    async def move_next_run(self, schedule_id: int, *,
                            next_run_at: float | None) -> Schedule | None:
        return await self._write(
            lambda cur: self._one(cur, self._q.move, [next_run_at, schedule_id]))

    async def fire_schedule(self, schedule_id: int, *, slot: float,
                            next_run_at: float | None, tasks: Sequence[NewTask],
                            outcome: str, created_at: float
                            ) -> tuple[Schedule, list[Task]] | None:
        def fire(cur: Cursor) -> tuple[Schedule, list[Task]] | None:
            fired = self._one(cur, self._q.fire,
                              [slot, next_run_at, outcome, schedule_id, slot])
            if fired is None:
                return None
            return fired, self._insert_tasks(cur, tasks, created_at)

        return await self._write(fire)

    async def delete_schedule(self, schedule_id: int) -> bool:
        def delete(cur: Cursor) -> bool:
            cur.execute(self._q.delete, [schedule_id])
            deleted = cur.fetchone() is not None
            self._tell(cur, NewsKind.SCHEDULE, [schedule_id])
            return deleted

        return await self._write(delete)

    def _name_free(self, cur: Cursor, name: str, schedule_id: int | None) -> None:
        held = self._one(cur, self._q.by_name, [name])
        if held is not None and held.id != schedule_id:
            raise ScheduleNameTaken(name, held.id)

    @staticmethod
    def _one(cur: Cursor, sql: str, params: Sequence[Any]) -> Schedule | None:
        cur.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else _schedule(row)
