"""Benchmark: one `POST /task` that fans out to 100,000 tasks.

Starts the whole orchestrator in its own process on an empty store (phones from a
simulator with none, so nothing runs), then sends `follow` for 1,000 serials x 100
`target_users` from this process and times the answer: the request's validation and
fan-out, the scheduler's `SubmitTasks`, the store's insert, and the 100,000 ids in the
answer. Reports tasks written per second, and the server's CPU seconds for the request.

    python -m bench.creation                   # -> bench/results/creation.json
    python -m bench.creation --serials 10 --targets 10 --repeat 1 --out /tmp/c.json   # smoke
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from . import _harness


def request_body(serials: int, targets: int) -> bytes:
    return json.dumps({
        "serials": [f"phone-{i:04d}" for i in range(serials)],
        "script_name": "follow",
        "script_config": {"target_users": [f"user{i:03d}" for i in range(targets)],
                          "access_method": "direct"},
        "min_interval": 1, "max_interval": 5,
    }).encode()


def measure(*, serials: int, targets: int, repeat: int) -> dict[str, Any]:
    body = request_body(serials, targets)
    runs = []
    with (tempfile.TemporaryDirectory(prefix="bench-creation-") as folder,
          _harness.simulator(0) as sim,
          _harness.orchestrator(Path(folder), sim.port) as orch,
          httpx.Client(base_url=f"http://127.0.0.1:{orch.port}/api/v1", timeout=300) as client):
        client.get("/task/stats").raise_for_status()  # the connection is open
        for _ in range(repeat):
            before = client.get("/task/stats").json()["data"]["total"]
            cpu = _harness.cpu_seconds(orch.pid)
            began = time.perf_counter()
            answer = client.post("/task", content=body,
                                 headers={"Content-Type": "application/json"})
            elapsed = time.perf_counter() - began
            cpu = _harness.cpu_seconds(orch.pid) - cpu
            answer.raise_for_status()
            created = answer.json()["data"]["created_count"]
            stored = client.get("/task/stats").json()["data"]["total"] - before
            if created != serials * targets or stored != created:
                raise RuntimeError(f"{created} created, {stored} stored, "
                                   f"{serials * targets} expected")
            runs.append({"tasks_in_store_before": before, "answered_s": round(elapsed, 3),
                         "server_cpu_s": round(cpu, 3),
                         "tasks_per_s": round(created / elapsed),
                         "answer_bytes": len(answer.content)})
        rss = _harness.rss_kib(orch.pid)
    best = min(runs, key=lambda r: r["answered_s"])
    return {"serials": serials, "targets": targets, "tasks_per_request": serials * targets,
            "request_bytes": len(body), "runs": runs, "best_answered_s": best["answered_s"],
            "best_tasks_per_s": best["tasks_per_s"], "server_rss_kib_after": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serials", type=int, default=1000)
    parser.add_argument("--targets", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="requests, one after another")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(serials=args.serials, targets=args.targets, repeat=args.repeat)
    _harness.write_report("creation", args.out, figures)
    print(json.dumps(figures, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
