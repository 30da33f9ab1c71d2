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
import tempfile
from pathlib import Path
from typing import Any

import httpx

from . import _fill, _harness

PAGES = {  # name -> query of a filtered page (the third, 20 a page, newest first)
    "status": "status=3&page=3&page_size=20",
    "serial": "serial=phone-0007&page=3&page_size=20",
    "serial+status": "serial=phone-0007&status=3&page=3&page_size=20",  # its tasks all failed
    "script+source": "script_name=post&source=api&page=3&page_size=20",
}
ONE_TASK = {"serials": ["phone-0001"], "script_name": "follow",
            "script_config": {"target_users": ["alice"], "access_method": "direct"}}


def measure(*, tasks: int, seconds: float, connections: int,
            api_processes: int = 0) -> dict[str, Any]:
    figures: dict[str, Any] = {"tasks_in_store": tasks, "connections": connections,
                               "seconds_per_run": seconds, "load_generator": "wrk -t2",
                               "api_processes": api_processes}
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        data_dir = Path(folder)
        filled = _fill.fill(_fill.sqlite(data_dir / "orchestrator.db"), tasks)
        figures["fill"] = {"create_s": filled.create_s, "total_s": filled.total_s}
        with (_harness.simulator(0) as sim,
              _harness.orchestrator(data_dir, sim.port, api_processes=api_processes) as orch):
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
    parser.add_argument("--api-processes", type=int, default=0, metavar="N",
                        help="serve the API from N processes of its own (as `orchestrator "
                             "serve --api-processes N`)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(tasks=args.tasks, seconds=args.seconds, connections=args.connections,
                      api_processes=args.api_processes)
    _harness.write_report("api", args.out, figures)
    print(json.dumps(summary(figures), indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
