"""What the API and store benchmarks share: a store of many tasks, a busy farm's history.

Tasks go in through the store's own `create_tasks`, in batches of 100,000. Their statuses are
then spread in SQL, behind the store's back (a million task ends through `finish_tasks`
would take hours): 59% completed, 40% failed, 1% pending. The store keeps its counts in the
same transaction as every write, so both tables of them (`task_counts`,
`task_filter_counts`) are counted again.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import psycopg
import trio

from actors import NewTask, TaskSource, TaskStore
from orchestrator.store import open_postgres_store, open_sqlite_store

BATCH = 100_000
SERIALS = 1000
SCRIPTS = ("follow", "comment", "post")
# By id (from 1 in a new store): every 100th pending, else last digit 0-5 completed, 6-9 failed.
SPREAD = "CASE WHEN id % 100 = 0 THEN 0 WHEN id % 10 < 6 THEN 2 ELSE 3 END"
RECOUNT = (
    "UPDATE task_counts SET n = (SELECT count(*) FROM tasks t"
    " WHERE t.status = task_counts.status)",
    "DELETE FROM task_filter_counts",
    "INSERT INTO task_filter_counts (serial, script_name, source, status, n)"
    " SELECT serial, script_name, source, status, count(*) FROM tasks"
    " GROUP BY serial, script_name, source, status",
)

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]


@attrs.frozen(kw_only=True)
class Database:
    """A database to fill and measure: the store on it, and SQL run past the store."""

    engine: str
    open_store: Callable[[], AbstractAsyncContextManager[TaskStore]]
    """Opens the store; call it again to reopen the same database."""
    query: Query
    """One statement (`?` placeholders) on a connection of its own, autocommit; its rows."""
    settle: str
    """What brings the engine's own bookkeeping up to date after the bulk update."""


def _sqlite_query(path: Path, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _postgres_query(dsn: str, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        # Without parameters psycopg leaves the text alone (SPREAD's `%` is the operator).
        cur = conn.execute(sql.replace("?", "%s"), params) if params else conn.execute(sql)
        return cur.fetchall() if cur.description is not None else []


def sqlite(path: Path) -> Database:
    """The SQLite file at `path` (created by the store when it first opens)."""
    return Database(engine="sqlite", open_store=partial(open_sqlite_store, path),
                    query=partial(_sqlite_query, path), settle="ANALYZE")


@contextmanager
def postgres(dsn: str) -> Iterator[Database]:
    """A fresh schema in the PostgreSQL database `dsn` names, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    _postgres_query(dsn, f"CREATE SCHEMA {schema}", ())
    scoped = f"{dsn} options='-c search_path={schema}'"
    try:
        # VACUUM as autovacuum would have by then: visibility map set, statistics fresh.
        yield Database(engine="postgres", open_store=partial(open_postgres_store, scoped),
                       query=partial(_postgres_query, scoped), settle="VACUUM ANALYZE tasks")
    finally:
        _postgres_query(dsn, f"DROP SCHEMA {schema} CASCADE", ())


def new_tasks(start: int, size: int) -> list[NewTask]:
    """Tasks `start`..`start + size`: round-robin over the phones and scripts, 3 in 4 by API."""
    return [NewTask(serial=f"phone-{i % SERIALS:04d}", script_name=SCRIPTS[i % 3],
                    script_config={"target_users": [f"user{i}"], "access_method": "direct"},
                    source=TaskSource.API if i % 4 else TaskSource.UI, due_at=1.7e9 + i,
                    request_id=f"req-{i // 100}", position=i % 100)
            for i in range(start, start + size)]


@attrs.frozen(kw_only=True)
class Filled:
    """How long filling took: each `create_tasks` batch, all of them, and the whole fill."""

    batch_wall_s: list[float]
    batch_cpu_s: list[float]
    """This process's CPU (every thread, the store's included; not PostgreSQL's server)."""
    create_s: float
    total_s: float


def fill(db: Database, tasks: int) -> Filled:
    """Put `tasks` tasks in the new store of `db`, spread their statuses and count again."""
    wall: list[float] = []
    cpu: list[float] = []

    async def create() -> None:
        async with db.open_store() as store:
            for start in range(0, tasks, BATCH):
                batch = new_tasks(start, min(BATCH, tasks - start))
                began, began_cpu = time.perf_counter(), time.process_time()
                await store.create_tasks(batch, created_at=time.time())
                wall.append(round(time.perf_counter() - began, 3))
                cpu.append(round(time.process_time() - began_cpu, 3))

    began = time.perf_counter()
    trio.run(create)
    created = time.perf_counter() - began
    for statement in (f"UPDATE tasks SET status = {SPREAD}", *RECOUNT, db.settle):
        db.query(statement, ())
    return Filled(batch_wall_s=wall, batch_cpu_s=cpu, create_s=round(created, 2),
                  total_s=round(time.perf_counter() - began, 2))
