"""The `AnswerStore` beside the SQL task store: the first answers to requests that carried an
`Idempotency-Key` (the API's `_idempotency` decides what is kept and for how long).

A row is keyed by (route, client key), so one key means one request per route; its
`created_at` is indexed, so that forgetting the expired rows on each write is a short
range delete, not a scan.
"""

from __future__ import annotations

from typing import Protocol

import attrs

from ._sql import Cursor, Dialect, Lane


@attrs.frozen(kw_only=True)
class KeptAnswer:
    """The answer a request was given: HTTP `status` and `body` (the envelope's JSON), and
    the `fingerprint` of what the request carried, to tell a repeat from another request."""

    fingerprint: str
    status: int
    body: str


class AnswerStore(Protocol):
    """Where the first answers to keyed requests are kept."""

    async def find_answer(self, route: str, key: str, *, since: float) -> KeptAnswer | None:
        """The answer kept for `key` on `route` at or after the moment `since`, if any."""

    async def keep_answer(self, route: str, key: str, answer: KeptAnswer, *, at: float,
                          forget_before: float) -> None:
        """Keep `answer` for `key` on `route` as of the moment `at`, and forget every answer
        kept before `forget_before`. A live answer already kept for the key stays: the
        first answer is the one repeats get."""


@attrs.frozen
class AnswerQueries:
    """Every answer statement, in one dialect."""

    find: str
    forget: str
    keep: str

    @classmethod
    def for_dialect(cls, d: Dialect) -> AnswerQueries:
        return cls(
            find=d.sql("SELECT fingerprint, status, answer FROM idempotency_keys"
                       " WHERE route = ? AND client_key = ? AND created_at >= ?"),
            forget=d.sql("DELETE FROM idempotency_keys WHERE created_at < ?"),
            keep=d.sql("INSERT INTO idempotency_keys"
                       " (route, client_key, fingerprint, status, answer, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route, client_key) DO NOTHING"),
        )


class SqlAnswerStore:
    """The kept answers, on the lanes of the task store they share a database with."""

    def __init__(self, dialect: Dialect, *, read: Lane, write: Lane) -> None:
        self._read = read
        self._write = write
        self._answers = AnswerQueries.for_dialect(dialect)

    async def find_answer(self, route: str, key: str, *, since: float) -> KeptAnswer | None:
        def find(cur: Cursor) -> KeptAnswer | None:
            cur.execute(self._answers.find, [route, key, since])
            row = cur.fetchone()
            if row is None:
                return None
            fingerprint, status, body = row
            return KeptAnswer(fingerprint=fingerprint, status=int(status), body=body)

        return await self._read(find)

    async def keep_answer(self, route: str, key: str, answer: KeptAnswer, *, at: float,
                          forget_before: float) -> None:
        def keep(cur: Cursor) -> None:
            cur.execute(self._answers.forget, [forget_before])
            cur.execute(self._answers.keep, [route, key, answer.fingerprint, answer.status,
                                             answer.body, at])

        await self._write(keep)
