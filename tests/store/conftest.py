"""Fixtures: every store test runs against SQLite (a file in tmp_path) and PostgreSQL.

PostgreSQL is reached at $ORCHESTRATOR_TEST_POSTGRES (default: the local server, database
`test`); each test gets a fresh schema, dropped afterwards. No server: those tests skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path

import psycopg
import pytest
import trio

from actors import TaskStore
from orchestrator.store import open_postgres_store, open_sqlite_store

PG_DSN = os.environ.get("ORCHESTRATOR_TEST_POSTGRES", "host=127.0.0.1 dbname=test user=postgres")
OpenStore = Callable[[], AbstractAsyncContextManager[TaskStore]]


def _run_pg(sql: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tasks.db"


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest,
                     sqlite_path: Path) -> AsyncIterator[OpenStore]:
    """Opens the store under test; call it again to reopen the same database."""
    if request.param == "sqlite":
        yield partial(open_sqlite_store, sqlite_path)
        return
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    try:
        await trio.to_thread.run_sync(_run_pg, f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):  # CI starts PostgreSQL: its absence there is a failure
            raise
        pytest.skip(f"no PostgreSQL at {PG_DSN!r}: {exc}")
    try:
        yield partial(open_postgres_store, f"{PG_DSN} options='-c search_path={schema}'")
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(_run_pg, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
async def store(open_store: OpenStore) -> AsyncIterator[TaskStore]:
    async with open_store() as store:
        yield store
