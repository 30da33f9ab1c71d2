"""Benchmark: the store alone at scale, on SQLite or PostgreSQL.

Fills a new store with 1,000,000 tasks (`bench._fill`: `create_tasks` in batches of 100,000,
timed each, then statuses spread in SQL and the kept counts counted again), opens it again
and, after one untimed call each, times ~50 calls of `list_tasks` for page 3 (20 a page,
newest first) of each filter in PAGES, and of `task_stats`: p50 / p99 (of 50, the slowest).
Each page's total is put beside a `count(*)` over the tasks, past the store.

    python -m bench.store                      # SQLite in a temp dir -> bench/results/store.json
    python -m bench.store --postgres           # PostgreSQL, a fresh schema dropped afterwards
    python -m bench.store --tasks 2000 --out /tmp/store.json              # a smoke run
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import trio

from actors import TaskFilter, TaskSource, TaskStatus, TaskStore

from . import _fill, _harness
from ._core import percentiles

PG_DSN = "host=127.0.0.1 dbname=test user=postgres"
REPEAT = 50
OFFSET, LIMIT = 40, 20  # page 3
SERIAL = "phone-0007"
PAGES = {  # name -> filter; serial+status takes a status SERIAL has (see `measure`)
    "status": TaskFilter(status=TaskStatus.FAILED),
    "serial": TaskFilter(serial=SERIAL),
    "serial+status": TaskFilter(serial=SERIAL),
    "script_name+source": TaskFilter(script_name="post", source=TaskSource.API),
    "script_name": TaskFilter(script_name="post"),
}


async def timed(call: Callable[[], Awaitable[object]]) -> dict[str, float]:
    """`call` REPEAT times, one after another: p50, p99, min and max in milliseconds."""
    seconds = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - began)
    return {k: v for k, v in percentiles(seconds).items() if k != "early"}


def terms(where: TaskFilter) -> dict[str, Any]:
    """The filter's columns and values, as stored (enums by value)."""
    return {name: getattr(value, "value", value)
            for name, value in attrs.asdict(where, recurse=False).items() if value is not None}


def counted(db: _fill.Database, where: TaskFilter) -> int:
    """How many tasks match `where`, by `count(*)` over the table (not the kept counts)."""
    columns = terms(where)
    sql = "SELECT count(*) FROM tasks WHERE " + " AND ".join(f"{c} = ?" for c in columns)
    [(n,)] = db.query(sql, list(columns.values()))
    return int(n)


async def page(db: _fill.Database, store: TaskStore, where: TaskFilter) -> dict[str, Any]:
    tasks, total = await store.list_tasks(where, offset=OFFSET, limit=LIMIT)  # untimed, warms
    figures = await timed(lambda: store.list_tasks(where, offset=OFFSET, limit=LIMIT))
    return {"filter": terms(where), "total": total, "rows": len(tasks),
            "counted": await trio.to_thread.run_sync(counted, db, where), **figures}


async def measure(db: _fill.Database) -> dict[str, Any]:
    """Each page of PAGES and `task_stats`, timed, on the filled store of `db`."""
    async with db.open_store() as store:
        pages = dict(PAGES)
        newest, _ = await store.list_tasks(TaskFilter(serial=SERIAL), offset=0, limit=1)
        if newest:  # else the page is SERIAL's alone, as empty as any
            pages["serial+status"] = TaskFilter(serial=SERIAL, status=newest[0].status)
        figures: dict[str, Any] = {"list_page_3": {}}
        for name, where in pages.items():
            figures["list_page_3"][name] = await page(db, store, where)
        figures["task_stats"] = await timed(store.task_stats)
        figures["stats"] = attrs.asdict(await store.task_stats())
    return figures


@contextmanager
def database(postgres: str | None) -> Iterator[_fill.Database]:
    if postgres is not None:
        with _fill.postgres(postgres) as db:
            yield db
        return
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        yield _fill.sqlite(Path(folder) / "tasks.db")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", nargs="?", const=PG_DSN, default=None, metavar="DSN",
                        help=f"PostgreSQL instead of SQLite (DSN default: {PG_DSN})")
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks in the store")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with database(args.postgres) as db:
        filled = _fill.fill(db, args.tasks)
        figures = {"engine": db.engine, "tasks": args.tasks, "batch": _fill.BATCH,
                   "repeat": REPEAT, "fill": attrs.asdict(filled), **trio.run(measure, db)}
    _harness.write_report("store", args.out, figures)
    print(json.dumps(figures, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
