"""Fixtures: every store test runs against SQLite (a file in tmp_path) and PostgreSQL.

PostgreSQL is reached at $ORCHESTRATOR_TEST_POSTGRES (default: the local server, database
`test`); each test gets a fresh schema, dropped afterwards. No server: those tests skip.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path

import attrs
import psycopg
import pytest

from actors import TaskReads
from orchestrator.store import (
    Store,
    open_postgres_reads,
    open_postgres_store,
    open_sqlite_reads,
    open_sqlite_store,
)
from orchestrator.store._sql import POSTGRES, SQLITE, Cursor, Dialect

OpenStore = Callable[[], AbstractAsyncContextManager[Store]]


@attrs.frozen(kw_only=True)
class Backend:
    """One database under test: the store on it, and a way around the store."""

    open_store: OpenStore
    """Opens the store; call it again to reopen the same database."""
    open_beside: Callable[[], AbstractAsyncContextManager[TaskReads]]
    """Opens the task reads as an API process does, beside the process that writes."""
    dialect: Dialect
    transaction: Callable[[], AbstractContextManager[Cursor]]
    """One transaction on a connection of its own, committed if the block ends well."""


@contextmanager
def _sqlite_transaction(path: Path) -> Iterator[Cursor]:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        yield conn.cursor()
        conn.execute("COMMIT")
    finally:
        conn.close()


@contextmanager
def _postgres_transaction(dsn: str) -> Iterator[Cursor]:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:  # commits as `conn` closes
        yield cur


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tasks.db"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, sqlite_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend(open_store=partial(open_sqlite_store, sqlite_path),
                       open_beside=partial(open_sqlite_reads, sqlite_path),
                       dialect=SQLITE, transaction=partial(_sqlite_transaction, sqlite_path))
    dsn = request.getfixturevalue("postgres_dsn")
    return Backend(open_store=partial(open_postgres_store, dsn),
                   open_beside=partial(open_postgres_reads, dsn),
                   dialect=POSTGRES, transaction=partial(_postgres_transaction, dsn))


@pytest.fixture
def open_store(backend: Backend) -> OpenStore:
    """Opens the store under test; call it again to reopen the same database."""
    return backend.open_store


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[Store]:
    async with open_store() as store:
        yield store
