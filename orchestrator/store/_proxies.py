"""The SQL store's `ProxyStore`: each phone's proxy rotation, by serial, on the lanes of
the task store it shares a database with."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from actors import ProxyRotation

from ._sql import Cursor, Dialect, Lane

_COLUMNS = "rotation_url, method, headers, body, timeout_ms"


class SqlProxyStore:
    def __init__(self, dialect: Dialect, *, read: Lane, write: Lane) -> None:
        self._read = read
        self._write = write
        self._get = dialect.sql(f"SELECT {_COLUMNS} FROM device_proxies WHERE serial = ?")
        self._among = dialect.sql("SELECT serial FROM device_proxies WHERE serial IN"
                                  f" ({dialect.json_strings.format('?')})")
        self._put = dialect.sql(
            f"INSERT INTO device_proxies (serial, {_COLUMNS}, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET"
            " rotation_url = excluded.rotation_url, method = excluded.method,"
            " headers = excluded.headers, body = excluded.body,"
            " timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at")
        self._delete = dialect.sql("DELETE FROM device_proxies WHERE serial = ? RETURNING serial")

    async def rotation_of(self, serial: str) -> ProxyRotation | None:
        def get(cur: Cursor) -> ProxyRotation | None:
            cur.execute(self._get, [serial])
            row = cur.fetchone()
            return None if row is None else _rotation(row)

        return await self._read(get)

    async def serials_with_rotation(self, serials: Sequence[str]) -> set[str]:
        """Those of `serials` that have a rotation set."""
        def among(cur: Cursor) -> set[str]:
            cur.execute(self._among, [json.dumps(list(serials))])
            return {row[0] for row in cur.fetchall()}

        return await self._read(among)

    async def set_rotation(self, serial: str, rotation: ProxyRotation, *,
                           updated_at: float) -> None:
        def put(cur: Cursor) -> None:
            cur.execute(self._put, [serial, rotation.rotation_url, rotation.method,
                                    json.dumps(dict(rotation.headers)), rotation.body,
                                    rotation.timeout_ms, updated_at])

        await self._write(put)

    async def delete_rotation(self, serial: str) -> bool:
        def delete(cur: Cursor) -> bool:
            cur.execute(self._delete, [serial])
            return cur.fetchone() is not None

        return await self._write(delete)


def _rotation(row: Sequence[Any]) -> ProxyRotation:
    url, method, headers, body, timeout_ms = row
    return ProxyRotation(rotation_url=url, method=method, headers=json.loads(headers),
                         body=body, timeout_ms=timeout_ms)
