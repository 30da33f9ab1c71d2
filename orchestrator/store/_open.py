"""Which backend a process opens."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import psycopg

from ._postgres import open_postgres_store
from ._sqlite import open_sqlite_store
from ._store import Store

__all__ = ["DATABASE_ERRORS", "open_store"]

#: What either backend raises when its database refuses (unreachable, full, locked).
DATABASE_ERRORS = (sqlite3.Error, psycopg.Error)


def open_store(*, postgres: str | None, sqlite_path: Path,
               sole_writer: bool = True) -> AbstractAsyncContextManager[Store]:
    """The store in PostgreSQL at the DSN `postgres` if given, else in SQLite at
    `sqlite_path`.

    `sole_writer` is False in a process that shares the database with the one that
    writes its tasks (an API process): the task stats are then read from the table, not
    kept in memory from this process's own commits.
    """
    if postgres:
        return open_postgres_store(postgres, sole_writer=sole_writer)
    return open_sqlite_store(sqlite_path, sole_writer=sole_writer)
