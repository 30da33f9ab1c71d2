"""The embedded backend: one SQLite file in WAL mode, needing no server."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from functools import partial
from os import PathLike
from pathlib import Path
from typing import Any

from actors import TaskReads

from ._sql import SQLITE, Queries
from ._store import SqlTaskStore, Store, open_sql_reads, open_sql_store

_MIN_VERSION = (3, 35)  # RETURNING
_INSERT = Queries.for_dialect(SQLITE).insert


class _GroupLost(sqlite3.OperationalError):
    """SQLite rolled a group commit's whole transaction back (it may on a full disk, an
    I/O error, no memory): the writes after that must not run on their own."""


class SqliteTaskStore(SqlTaskStore[sqlite3.Connection, sqlite3.Cursor]):
    _group_open = False  # set while a group commit's transaction is open

    @contextmanager
    def _group_commit(self, conn: sqlite3.Connection) -> Iterator[object]:
        with self._transaction(conn, write=True) as cur:
            self._group_open = True
            try:
                yield cur
            finally:
                self._group_open = False

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection, *,
                     write: bool) -> Iterator[sqlite3.Cursor]:
        if write and self._group_open:  # one write of a group commit
            if not conn.in_transaction:  # the group's COMMIT then fails: all rerun alone
                raise _GroupLost("the group's transaction was rolled back")
            conn.execute("SAVEPOINT one_write")
            try:
                yield conn.cursor()
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK TO one_write")
                    conn.execute("RELEASE one_write")
                raise
            conn.execute("RELEASE one_write")
            return
        # IMMEDIATE takes the write lock at once, so a writer never fails half-way
        # with SQLITE_BUSY on a lock upgrade; a reader gets one snapshot.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn.cursor()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _insert(self, cur: sqlite3.Cursor, rows: Sequence[Sequence[Any]]) -> int:
        # One writer at a time, and AUTOINCREMENT: the ids of one batch are consecutive.
        cur.executemany(_INSERT, rows)
        cur.execute("SELECT last_insert_rowid()")
        return int(cur.fetchone()[0])


def _connect(path: Path, *, reader: bool = False) -> sqlite3.Connection:
    """The write lane's connection (it sets up the file), or a read lane's (`reader`)."""
    if sqlite3.sqlite_version_info < _MIN_VERSION:
        raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old: the store needs 3.35+")
    if not reader:
        path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: no implicit transactions; the store begins its own.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if reader:
            # WAL: readers see the last commit as their transaction begins, and neither
            # wait for the writer nor hold it up.
            conn.execute("PRAGMA query_only = 1")
        else:
            conn.execute("PRAGMA journal_mode = WAL")
            # Durable across a process crash; a power cut may lose the last commits only.
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA cache_size = -65536")  # 64 MiB: index updates of big batches
    except BaseException:
        conn.close()
        raise
    return conn


@asynccontextmanager
async def open_sqlite_store(path: str | PathLike[str], *, host_id: str | None = None,
                            inline: bool = False) -> AsyncIterator[Store]:
    """The store in the SQLite file at `path` (created, or migrated, as needed), of the
    host `host_id` (the machine's name by default). `inline`: every call runs on the trio
    thread, none on a thread of the store's (for tests in virtual time: see
    `_worker.open_worker`)."""
    path = Path(path)
    async with open_sql_store(SqliteTaskStore, SQLITE, connect_writer=partial(_connect, path),
                              connect_reader=partial(_connect, path, reader=True),
                              host_id=host_id, inline=inline) as store:
        yield store


def open_sqlite_reads(path: str | PathLike[str]) -> AbstractAsyncContextManager[TaskReads]:
    """The task reads of the SQLite file at `path`, which another process writes."""
    return open_sql_reads(SqliteTaskStore, SQLITE,
                          connect_reader=partial(_connect, Path(path), reader=True))
