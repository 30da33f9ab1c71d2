"""The shared backend: PostgreSQL, for a farm that spans several hosts (`orchestrator.farm`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from functools import partial
from typing import Any

import psycopg

from actors import TaskReads

from ._sql import INSERT_COLUMNS, POSTGRES
from ._store import SqlTaskStore, Store, open_sql_reads, open_sql_store

Connection = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

# Held by the inserting transaction until it ends, so that no other one takes ids
# from the sequence meanwhile: the ids of one batch are then consecutive.
_LOCK_IDS = "SELECT pg_advisory_xact_lock(7363517343)"
_COPY = f"COPY tasks ({', '.join(INSERT_COLUMNS)}) FROM STDIN"
_LAST_ID = "SELECT currval(pg_get_serial_sequence('tasks', 'id'))"


class PostgresTaskStore(SqlTaskStore[Connection, Cursor]):
    @contextmanager
    def _transaction(self, conn: Connection, *, write: bool) -> Iterator[Cursor]:
        with conn.transaction(), conn.cursor() as cur:
            if not write:  # a page and its total from one snapshot
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    def _insert(self, cur: Cursor, rows: Sequence[Sequence[Any]]) -> int:
        cur.execute(_LOCK_IDS)
        with cur.copy(_COPY) as copy:  # the fast way in, but it returns nothing
            for row in rows:
                copy.write_row(row)
        cur.execute(_LAST_ID)
        last = cur.fetchone()
        assert last is not None
        return int(last[0])


def _connect(dsn: str, *, reader: bool = False) -> Connection:
    """The write lane's connection, or a read lane's (`reader`)."""
    # autocommit: the store's transactions are explicit (`conn.transaction()`).
    conn = psycopg.connect(dsn, autocommit=True)
    if reader:
        try:
            conn.execute("SET default_transaction_read_only = on")
        except BaseException:
            conn.close()
            raise
    return conn


@asynccontextmanager
async def open_postgres_store(dsn: str, *, host_id: str | None = None) -> AsyncIterator[Store]:
    """The store in the PostgreSQL database `dsn` names (its tables created or migrated),
    of the host `host_id` (the machine's name by default) among those that share it.

    The tables go in the first schema of the connection's `search_path`.
    """
    async with open_sql_store(PostgresTaskStore, POSTGRES, connect_writer=partial(_connect, dsn),
                              connect_reader=partial(_connect, dsn, reader=True),
                              host_id=host_id) as store:
        yield store


def open_postgres_reads(dsn: str) -> AbstractAsyncContextManager[TaskReads]:
    """The task reads of the PostgreSQL database `dsn` names, which another process
    writes."""
    return open_sql_reads(PostgresTaskStore, POSTGRES,
                          connect_reader=partial(_connect, dsn, reader=True))
