"""Benchmark: the task API under load, beside a bare ASGI app on the same server.

Fills a store with 1,000,000 tasks (through the store's own `create_tasks`, in batches,
then a realistic spread of statuses in SQL), starts the whole orchestrator on it in its
own process (phones from a simulator with none), and loads it with wrk (32 keep-alive
connections, in its own process): `GET /task/stats`, a few filtered `GET /task` pages
(also from one client: a page's own latency, without 31 requests queued ahead of it) and
`POST /task` creating one task. In the same run a bare ASGI app (no framework) answers
the same stats JSON under the same hypercorn trio worker: the ceiling, and our ratio to
it; and a Quart-Trio app with one route answering those bytes: what the framework costs.

    python -m bench.api                        # -> bench/results/api.json
    python -m bench.api --tasks 2000 --seconds 1 --out /tmp/api.json     # a smoke run
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from . import _harness

BATCH = 100_000
SERIALS = 1000
SCRIPTS = ("follow", "comment", "post")
# Mostly finished: 60% completed, 39% failed, 1% pending (a busy farm's history).
SPREAD = "CASE WHEN id % 100 = 0 THEN 0 WHEN id % 10 < 6 THEN 2 ELSE 3 END"
PAGES = {  # name -> query of a filtered page (the third, 20 a page, newest first)
    "status": "status=3&page=3&page_size=20",
    "serial": "serial=phone-0007&page=3&page_size=20",
    "serial+status": "serial=phone-0007&status=3&page=3&page_size=20",  # its tasks all failed
    "script+source": "script_name=post&source=api&page=3&page_size=20",
}
ONE_TASK = {"serials": ["phone-0001"], "script_name": "follow",
            "script_config": {"target_users": ["alice"], "access_method": "direct"}}


def fill(database: Path, tasks: int) -> dict[str, float]:
    """Put `tasks` tasks in a new store at `database`; seconds taken."""
    import trio

    from actors import NewTask, TaskSource
    from orchestrator.store import open_sqlite_store

    def batch(start: int, size: int) -> list[NewTask]:
        return [NewTask(serial=f"phone-{i % SERIALS:04d}", script_name=SCRIPTS[i % 3],
                        script_config={"target_users": [f"user{i}"], "access_method": "direct"},
                        source=TaskSource.API if i % 4 else TaskSource.UI, due_at=1.7e9 + i,
                        request_id=f"req-{i // 100}", position=i % 100)
                for i in range(start, start + size)]

    async def create() -> None:
        async with open_sqlite_store(database) as store:
            for start in range(0, tasks, BATCH):
                await store.create_tasks(batch(start, min(BATCH, tasks - start)),
                                         created_at=time.time())

    began = time.perf_counter()
    trio.run(create)
    created = time.perf_counter() - began
    with sqlite3.connect(database) as conn:
        conn.execute(f"UPDATE tasks SET status = {SPREAD}")
        conn.execute("UPDATE task_counts SET n = (SELECT count(*) FROM tasks t"
                     " WHERE t.status = task_counts.status)")
        conn.execute("DELETE FROM task_filter_counts")
        conn.execute("INSERT INTO task_filter_counts (serial, script_name, source, status, n)"
                     " SELECT serial, script_name, source, status, count(*) FROM tasks"
                     " GROUP BY serial, script_name, source, status")
        conn.execute("ANALYZE")
    conn.close()
    return {"create_s": round(created, 2),
            "total_s": round(time.perf_counter() - began, 2)}


def measure(*, tasks: int, seconds: float, connections: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"tasks_in_store": tasks, "connections": connections,
                               "seconds_per_run": seconds, "load_generator": "wrk -t2"}
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        data_dir = Path(folder)
        figures["fill"] = fill(data_dir / "orchestrator.db", tasks)
        with _harness.simulator(0) as sim, _harness.orchestrator(data_dir, sim.port) as orch:
            api = f"http://127.0.0.1:{orch.port}/api/v1"
            stats_body = httpx.get(f"{api}/task/stats").content
            figures["rss_kib"] = _harness.rss_kib(orch.pid)
            with _harness.bare_asgi(stats_body) as bare:
                figures["bare_asgi_same_json"] = _harness.wrk(
                    f"http://127.0.0.1:{bare.port}/api/v1/task/stats", seconds=seconds,
                    connections=connections)
            with _harness.bare_asgi(stats_body, quart=True) as framework:
                figures["quart_trio_same_json"] = _harness.wrk(
                    f"http://127.0.0.1:{framework.port}/api/v1/task/stats", seconds=seconds,
                    connections=connections)
            figures["stats"] = _harness.wrk(f"{api}/task/stats", seconds=seconds,
                                            connections=connections)
            figures["stats_ratio_to_bare"] = round(
                figures["stats"]["req_per_s"] / figures["bare_asgi_same_json"]["req_per_s"], 3)
            figures["list"] = {}
            for name, query in PAGES.items():
                run = _harness.wrk(f"{api}/task?{query}", seconds=seconds,
                                   connections=connections)
                run["query"] = query
                # A page's own latency, without 31 others queued ahead of it.
                run["one_client"] = _harness.wrk(f"{api}/task?{query}", seconds=seconds,
                                                 connections=1, threads=1)
                figures["list"][name] = run
            figures["create_one"] = _harness.wrk(
                f"{api}/task", seconds=seconds, connections=connections, method="POST",
                body=json.dumps(ONE_TASK))
            figures["tasks_after"] = httpx.get(f"{api}/task/stats").json()["data"]["total"]
    return figures


def summary(figures: dict[str, Any]) -> dict[str, Any]:
    def short(run: dict[str, Any]) -> str:
        return (f"{run['req_per_s']:.0f} req/s, p50 {run['p50_ms']:.1f} ms, "
                f"p99 {run['p99_ms']:.1f} ms, errors {run['errors']}")

    return {
        "bare ASGI (same JSON)": short(figures["bare_asgi_same_json"]),
        "Quart-Trio, one route (same JSON)": short(figures["quart_trio_same_json"]),
        "GET /task/stats": short(figures["stats"]),
        "stats / bare": figures["stats_ratio_to_bare"],
        **{f"GET /task?{run['query']}": short(run) for run in figures["list"].values()},
        **{f"GET /task?{run['query']}, one client": short(run["one_client"])
           for run in figures["list"].values()},
        "POST /task (one task)": short(figures["create_one"]),
        "store filled in s": figures["fill"]["total_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks in the store")
    parser.add_argument("--seconds", type=float, default=10.0, help="per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(tasks=args.tasks, seconds=args.seconds, connections=args.connections)
    _harness.write_report("api", args.out, figures)
    print(json.dumps(summary(figures), indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
