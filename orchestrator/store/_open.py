"""Which backend a process opens."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import psycopg

from actors import TaskReads

from ._postgres import open_postgres_reads, open_postgres_store
from ._sqlite import open_sqlite_reads, open_sqlite_store
from ._store import Store

__all__ = ["DATABASE_ERRORS", "open_reads", "open_store"]

#: What either backend raises when its database refuses (unreachable, full, locked).
DATABASE_ERRORS = (sqlite3.Error, psycopg.Error)


def open_store(*, postgres: str | None, sqlite_path: Path, host_id: str | None = None
               ) -> AbstractAsyncContextManager[Store]:
    """The store in PostgreSQL at the DSN `postgres` if given, else in SQLite at
    `sqlite_path`: what the process that runs the phones (and writes the tasks) of the
    host `host_id` opens."""
    if postgres:
        return open_postgres_store(postgres, host_id=host_id)
    return open_sqlite_store(sqlite_path, host_id=host_id)


def open_reads(*, postgres: str | None, sqlite_path: Path
               ) -> AbstractAsyncContextManager[TaskReads]:
    """The task reads of the database `open_store` names, in a process that shares it
    with the one that writes it (an API process): it cannot write there."""
    if postgres:
        return open_postgres_reads(postgres)
    return open_sqlite_reads(sqlite_path)
