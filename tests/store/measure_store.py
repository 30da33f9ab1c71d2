"""Measure the store at scale (not a test): `python -m tests.store.measure_store [--pg DSN]`.

Prints JSON: seconds (wall, and this process's CPU) for each `create_tasks` of 100,000
tasks that fill the table, and best-of-20 milliseconds for a
filtered `list_tasks` page and for `task_stats` once the table holds 1,000,000 tasks.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import trio

from actors import NewTask, TaskFilter, TaskSource, TaskStatus, TaskStore
from orchestrator.store import open_postgres_store, open_sqlite_store

BATCH = 100_000
TOTAL = 1_000_000
SCRIPTS = ("follow", "comment", "post")
# After filling, statuses are spread by id: mostly completed, some failed, a few live.
SPREAD = "CASE WHEN id % 10 < 6 THEN 2 WHEN id % 10 < 8 THEN 3 WHEN id % 10 = 8 THEN 0 ELSE 1 END"


def batch(start: int) -> list[NewTask]:
    return [NewTask(serial=f"phone-{i % 500:03d}", script_name=SCRIPTS[i % 3],
                    script_config={"target_users": [f"user{i}"], "access_method": "direct"},
                    source=TaskSource.API if i % 4 else TaskSource.UI, due_at=1.7e9 + i,
                    request_id=f"req-{i // 100}", position=i % 100)
            for i in range(start, start + BATCH)]


def spread_statuses(run_sql: Callable[[str], None], settle: str) -> None:
    """Give the tasks a realistic mix of statuses, then let the engine catch up (`settle`)."""
    run_sql(f"UPDATE tasks SET status = {SPREAD}")
    # Behind the store's back, so its kept counts are counted again.
    run_sql("UPDATE task_counts SET n = (SELECT count(*) FROM tasks t"
            " WHERE t.status = task_counts.status)")
    run_sql("DELETE FROM task_filter_counts")
    run_sql("INSERT INTO task_filter_counts (serial, script_name, source, status, n)"
            " SELECT serial, script_name, source, status, count(*) FROM tasks"
            " GROUP BY serial, script_name, source, status")
    run_sql(settle)


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 20) -> float:
    """Best of `repeat`, in milliseconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        best = min(best, time.perf_counter() - start)
    return round(best * 1000, 2)


async def measure(open_store: Callable[[], AbstractAsyncContextManager[TaskStore]],
                  run_sql: Callable[[str], None], settle: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with open_store() as store:
        wall, cpu = [], []
        for start in range(0, TOTAL, BATCH):
            tasks = batch(start)
            began, began_cpu = time.perf_counter(), time.process_time()
            await store.create_tasks(tasks, created_at=time.time())
            wall.append(round(time.perf_counter() - began, 3))
            cpu.append(round(time.process_time() - began_cpu, 3))
        # This process's CPU time (all threads) shows the cost apart from a busy machine.
        figures["create_100k_s"] = {"wall": wall, "cpu": cpu}
    await trio.to_thread.run_sync(spread_statuses, run_sql, settle)
    async with open_store() as store:
        pages = {
            "status=failed page 3": TaskFilter(status=TaskStatus.FAILED),
            "serial page 3": TaskFilter(serial="phone-007"),
            "serial+status page 3": TaskFilter(serial="phone-007", status=TaskStatus.COMPLETED),
            "script+source page 3": TaskFilter(script_name="post", source=TaskSource.UI),
            "no filter page 3": TaskFilter(),
        }
        for name, where in pages.items():
            figures[f"list {name} ms"] = await timed(
                partial(store.list_tasks, where, offset=40, limit=20))
        figures["task_stats ms"] = await timed(store.task_stats)
        stats = await store.task_stats()
        figures["rows"] = stats.total
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", metavar="DSN", help="measure PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.pg:
        schema = f"measure_{uuid.uuid4().hex[:8]}"
        dsn = f"{args.pg} options='-c search_path={schema}'"

        def run_sql(sql: str) -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql)

        run_sql(f"CREATE SCHEMA {schema}")
        try:
            # As autovacuum would by then: visibility map set, planner statistics fresh.
            figures = await measure(lambda: open_postgres_store(dsn), run_sql,
                                    "VACUUM ANALYZE tasks")
        finally:
            run_sql(f"DROP SCHEMA {schema} CASCADE")
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "tasks.db"

            def run_sql(sql: str) -> None:
                with sqlite3.connect(path) as conn:
                    conn.execute(sql)

            figures = await measure(lambda: open_sqlite_store(path), run_sql, "ANALYZE")
    json.dump(figures, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    trio.run(main)
