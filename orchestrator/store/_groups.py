"""The SQL store's `GroupStore`, on the lanes of the task store it shares a database
with. Names are compared as `lower(name)`, which the unique index serves."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ..groups import Group, GroupExists, NewGroup
from ._sql import Cursor, Dialect, Lane

_COLUMNS = "id, name, serials, description, created_at"


@attrs.frozen
class GroupQueries:
    """Every fixed group statement, in one dialect."""

    insert: str
    get: str
    get_locked: str
    by_name: str
    by_names: str
    every: str
    update: str
    delete: str

    @classmethod
    def for_dialect(cls, d: Dialect) -> GroupQueries:
        select = f"SELECT {_COLUMNS} FROM device_groups"
        returning = f" RETURNING {_COLUMNS}"
        return cls(
            insert=d.sql("INSERT INTO device_groups (name, serials, description, created_at)"
                         f" VALUES (?, ?, ?, ?){returning}"),
            get=d.sql(f"{select} WHERE id = ?"),
            get_locked=d.sql(f"{select} WHERE id = ?{d.lock_row}"),
            by_name=d.sql(f"{select} WHERE lower(name) = lower(?)"),
            by_names=d.sql(f"{select} WHERE lower(name) IN ({d.json_strings.format('?')})"
                           " ORDER BY id"),
            every=f"{select} ORDER BY id",
            update=d.sql(f"UPDATE device_groups SET name = ?, serials = ?, description = ?"
                         f" WHERE id = ?{returning}"),
            delete=d.sql("DELETE FROM device_groups WHERE id = ? RETURNING id"),
        )


def _group(row: Sequence[Any]) -> Group:
    id_, name, serials, description, created_at = row
    return Group(id=int(id_), name=name, serials=tuple(json.loads(serials)),
                 description=description, created_at=float(created_at))


class SqlGroupStore:
    """The groups, on the task store's lanes (its write lane is the database's writer)."""

    def __init__(self, dialect: Dialect, *, read: Lane, write: Lane) -> None:
        self._read = read
        self._write = write
        self._q = GroupQueries.for_dialect(dialect)

    async def list_groups(self) -> list[Group]:
        return await self._read(lambda cur: self._all(cur, self._q.every, []))

    async def get_group(self, group_id: int) -> Group | None:
        return await self._read(lambda cur: self._one(cur, self._q.get, [group_id]))

    async def groups_named(self, names: Sequence[str]) -> list[Group]:
        lowered = json.dumps([name.lower() for name in names])
        return await self._read(lambda cur: self._all(cur, self._q.by_names, [lowered]))

    async def create_group(self, group: NewGroup, *, created_at: float) -> Group:
        def create(cur: Cursor) -> Group:
            held = self._one(cur, self._q.by_name, [group.name])
            if held is not None:
                raise GroupExists(held)
            created = self._one(cur, self._q.insert, [*_fields(group), created_at])
            assert created is not None
            return created

        return await self._write(create)

    async def update_group(self, group_id: int,
                           change: Callable[[Group], NewGroup]) -> Group | None:
        def update(cur: Cursor) -> Group | None:
            group = self._one(cur, self._q.get_locked, [group_id])
            if group is None:
                return None
            new = change(group)
            held = self._one(cur, self._q.by_name, [new.name])
            if held is not None and held.id != group_id:
                raise GroupExists(held)
            return self._one(cur, self._q.update, [*_fields(new), group_id])

        return await self._write(update)

    async def delete_group(self, group_id: int) -> bool:
        def delete(cur: Cursor) -> bool:
            cur.execute(self._q.delete, [group_id])
            return cur.fetchone() is not None

        return await self._write(delete)

    @staticmethod
    def _one(cur: Cursor, sql: str, params: Sequence[Any]) -> Group | None:
        cur.execute(sql, params)
        row = cur.fetchone()
        return None if row is None else _group(row)

    @staticmethod
    def _all(cur: Cursor, sql: str, params: Sequence[Any]) -> list[Group]:
        cur.execute(sql, params)
        return [_group(row) for row in cur.fetchall()]


def _fields(group: NewGroup) -> list[Any]:
    return [group.name, json.dumps(list(group.serials)), group.description]
