"""Where the farm's phones are: the host that sees each one (or saw it last) and its state
there. Each host writes its own phones' rows; the host a phone is on runs its tasks."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import attrs

from actors import Task, TaskStatus
from actors.messages import DeviceSnapshot

from ._hosts import machine_of
from ._news import NewsKind, Tell
from ._sql import PHONES_ELSEWHERE, TASK_COLUMNS, Cursor, Dialect, Lane, fetch_tasks

__all__ = ["HostApi", "SqlPhoneStore"]

#: A phone's state while no host sees it (`phones.state`).
ABSENT = "absent"


@attrs.frozen
class HostApi:
    """Where another host's API answers: `url`, its root, on the machine `machine`."""

    host: str
    url: str
    machine: str


class SqlPhoneStore:
    """The phones table, on the lanes of the task store it shares a database with;
    `tell` tells the other hosts (`News`) when a transaction commits."""

    def __init__(self, dialect: Dialect, host_id: str, *, read: Lane, write: Lane,
                 tell: Tell) -> None:
        self._host_id = host_id
        self._read = read
        self._write = write
        self._tell = tell
        self._dialect = dialect
        columns = ", ".join(f"t.{c}" for c in TASK_COLUMNS)
        self._here = dialect.sql(
            "SELECT serial FROM phones WHERE host_id = ? AND state <> 'absent' AND serial IN"
            f" ({dialect.json_strings.format('?')})")
        self._put = dialect.sql(
            f"INSERT INTO phones (serial, host_id, state, model, changed_at) VALUES"
            f" (?, ?, ?, ?, {dialect.now}) ON CONFLICT (serial) DO UPDATE SET"
            " host_id = excluded.host_id, state = excluded.state, model = excluded.model,"
            " changed_at = excluded.changed_at"
            # another host's: taken when ready for work here, or not there (a network
            # phone two hosts see stays with the one it works for)
            " WHERE phones.host_id = excluded.host_id OR excluded.state = 'device'"
            " OR phones.state <> 'device'")
        self._gone = dialect.sql(
            "UPDATE phones SET state = 'absent' WHERE host_id = ? AND state <> 'absent'"
            f" AND serial NOT IN ({dialect.json_strings.format('?')}) RETURNING serial")
        self._pending_of = dialect.sql(
            f"SELECT {columns} FROM tasks AS t WHERE t.serial IN"
            f" ({dialect.json_strings.format('?')}) AND +t.status = ?")
        self._silent = dialect.sql(
            "UPDATE phones SET state = 'offline', changed_at = "
            f"{dialect.now} WHERE host_id = ? AND state <> 'absent' RETURNING serial")
        others = (
            "SELECT p.serial, p.host_id, CASE WHEN h.host_id IS NULL AND p.state <> 'absent'"
            " THEN 'offline' ELSE p.state END, p.model, r.id, coalesce(w.n, 0) FROM phones AS p"
            " LEFT JOIN hosts AS h ON h.host_id = p.host_id"
            " LEFT JOIN (SELECT serial, min(id) AS id FROM tasks WHERE status = ?"
            " GROUP BY serial) AS r ON r.serial = p.serial"
            " LEFT JOIN (SELECT serial, sum(n) AS n FROM task_filter_counts WHERE status = ?"
            " GROUP BY serial) AS w ON w.serial = p.serial"
            " WHERE p.host_id <> ? AND {} ORDER BY p.serial")
        self._others = dialect.sql(others.format(
            "p.state <> 'absent' AND p.serial = coalesce(?, p.serial)"))
        self._others_among = dialect.sql(others.format(
            f"p.serial IN ({dialect.json_strings.format('?')})"))
        self._elsewhere = dialect.sql(f"SELECT serial, host_id FROM {PHONES_ELSEWHERE}")
        self._apis_of = dialect.sql(
            f"SELECT serial, host_id, api_url, instance FROM {PHONES_ELSEWHERE} AND serial IN"
            f" ({dialect.json_strings.format('?')}) AND api_url <> ''")

    async def place(self, states: Mapping[str, str], models: Mapping[str, str], *,
                    every: bool = False) -> list[Task]:
        """This host sees the phones of `states` (serial -> state; `absent`: no longer),
        with the `models` it knows (with `every`: and no other, those it saw before its
        start are gone); the other hosts are told. The pending tasks of those that came to
        this host (seen now, and not before), which it now runs."""
        def place(cur: Cursor) -> list[Task]:
            seen = sorted(serial for serial, state in states.items() if state != ABSENT)
            cur.execute(self._here, [self._host_id, json.dumps(seen)])
            came = sorted(set(seen) - {row[0] for row in cur.fetchall()})
            changed = dict(states)
            if every:
                cur.execute(self._gone, [self._host_id, json.dumps(seen)])
                changed.update((serial, ABSENT) for (serial,) in cur.fetchall())
            cur.executemany(self._put, [[serial, self._host_id, state, models.get(serial, "")]
                                        for serial, state in sorted(states.items())])
            self._tell(cur, NewsKind.PLACED, [[serial, self._host_id, state]
                                              for serial, state in sorted(changed.items())])
            return fetch_tasks(cur, self._dialect, self._pending_of,
                               [json.dumps(came), int(TaskStatus.PENDING)]) if came else []

        return await self._write(place)

    async def elsewhere(self) -> dict[str, str]:
        """serial -> host: the phones that another host, which holds its name, sees now."""
        def elsewhere(cur: Cursor) -> dict[str, str]:
            cur.execute(self._elsewhere, [self._host_id])
            return {serial: host for serial, host in cur.fetchall()}

        return await self._read(elsewhere)

    async def apis_of(self, serials: Sequence[str]) -> dict[str, HostApi]:
        """Those of `serials` another host that holds its name sees, and where its API
        answers (not those whose host does not listen yet)."""
        def apis_of(cur: Cursor) -> dict[str, HostApi]:
            cur.execute(self._apis_of, [self._host_id, json.dumps(list(serials))])
            return {serial: HostApi(host=host, url=url, machine=machine_of(instance))
                    for serial, host, url, instance in cur.fetchall()}

        return await self._read(apis_of)

    async def others(self, serial: str | None = None) -> list[tuple[str, DeviceSnapshot]]:
        """The phones the other hosts see (offline if their host is not alive; only
        `serial`, if given), each with its host: its task running and how many wait, as
        `GET /devices` lists them."""
        return await self._read_others(self._others, serial)

    async def others_among(self, serials: Sequence[str]) -> list[tuple[str, DeviceSnapshot]]:
        """Those of `serials` whose row another host holds, as `others` reads them, the
        ones it no longer sees too (`absent`)."""
        return await self._read_others(self._others_among, json.dumps(list(serials)))

    async def _read_others(self, sql: str, which: str | None
                           ) -> list[tuple[str, DeviceSnapshot]]:
        def others(cur: Cursor) -> list[tuple[str, DeviceSnapshot]]:
            cur.execute(sql, [int(TaskStatus.RUNNING), int(TaskStatus.PENDING),
                              self._host_id, which])
            return [(host, DeviceSnapshot(serial=serial, state=state, model=model,
                                          current_task_id=running, pending_count=int(pending)))
                    for serial, host, state, model, running, pending in cur.fetchall()]

        return await self._read(others)

    def went_silent(self, cur: Cursor, host: str) -> None:
        """`host` was taken for dead: its phones show offline (in the transaction of `cur`),
        and the other hosts are told."""
        cur.execute(self._silent, [host])
        self._tell(cur, NewsKind.PLACED, [[serial, host, "offline"]
                                          for (serial,) in cur.fetchall()])
