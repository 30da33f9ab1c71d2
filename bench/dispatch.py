"""Benchmark: dispatch, end to end, with tasks whose script does one short device call.

For each farm size: the simulator in its own process; then, against it, in this order
and in the same run:

1. the stack's ceiling: `shell echo ok` through adbutils from 32 threads, no orchestrator;
2. ours: store (SQLite), scheduler, watcher and device actors, wired as the product wires
   them, with a runner doing that same call through `AdbDriver` (`bench._core`); all the
   tasks are due at one moment; tasks/s from that moment to the last task's finish, and
   where the phones' time went: awaiting the store (mark running + finish), in the device
   call (adb), and the rest (actors: mailboxes, scheduler, waiting for the event loop);
3. Celery 5 + Redis, one queue per phone, one `solo` worker (one task per phone, as ours),
   and, for scale, a `threads` worker (which no longer keeps one task per phone).

    python -m bench.dispatch                       # 100 and 1,000 phones -> results/dispatch.json
    python -m bench.dispatch --phones 2 --tasks 6 --celery-tasks 4 --out /tmp/d.json  # smoke
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import adbutils
import trio

from bench import peers_celery
from bench._core import new_task, open_core
from bench._harness import cpu_seconds, simulator, write_report

os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"  # never start an adb server on 5037


def ceiling(adb_port: int, serials: list[str], *, seconds: float, threads: int = 32) -> float:
    """`shell echo ok` round trips per second through adbutils alone."""
    client = adbutils.AdbClient(host="127.0.0.1", port=adb_port, socket_timeout=20)
    stop_at = time.monotonic() + seconds

    def worker(k: int) -> int:
        done, i = 0, k
        while time.monotonic() < stop_at:
            client.device(serials[i % len(serials)]).shell2("echo ok", v2=True)
            done, i = done + 1, i + threads
        return done

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        count = sum(pool.map(worker, range(threads)))
    return round(count / (time.monotonic() - start), 1)


async def ours(adb_port: int, sim_pid: int, phones: int, tasks: int,
               data_dir: Path) -> tuple[dict[str, Any], list[str]]:
    async with open_core(adb_ports=[adb_port], data_dir=data_dir) as core:
        online_s = await core.wait_online(phones)
        serials = sorted(d.serial for d in await core.devices())
        per_phone = math.ceil(tasks / phones)
        due = core.clock.now() + 2.0 + tasks / 20_000
        work = [new_task(s, due, "dispatch", k) for s in serials for k in range(per_phone)]
        probe = core.probe
        probe.expect(len(work))
        submit = time.perf_counter()
        await core.submit(work)
        submit_s = time.perf_counter() - submit
        if core.clock.now() >= due:
            raise RuntimeError("creating the tasks took longer than planned")
        await trio.sleep_until(core.clock.deadline(due))
        cpu0, sim0 = cpu_seconds(os.getpid()), cpu_seconds(sim_pid)
        with trio.fail_after(60 + len(work) / 50):
            await probe.done.wait()
        end = max(probe.last_finish.values())
        cpu1, sim1 = cpu_seconds(os.getpid()), cpu_seconds(sim_pid)
        wall = end - due
        phone_s = sum(t - due for t in probe.last_finish.values())
        return {
            "system": "ours", "phones": phones, "tasks": len(work), "failed": probe.failed,
            "seconds": round(wall, 3), "tasks_per_s": round(len(work) / wall, 1),
            "one_task_per_phone": probe.overlaps == 0,
            "share_of_phone_time": {"adb": round(probe.adb_s / phone_s, 3),
                                    "the rest": round(1 - probe.adb_s / phone_s, 3)},
            "share_of_scheduler_time_in_store": round(probe.store_s / wall, 3),
            "mean_ms_per_task": {"store": round(probe.store_s / len(work) * 1e3, 2),
                                 "adb": round(probe.adb_s / len(work) * 1e3, 2)},
            "cpu_cores_used": {"orchestrator": round((cpu1 - cpu0) / wall, 2),
                               "simulator": round((sim1 - sim0) / wall, 2)},
            "create_seconds": round(submit_s, 3), "phones_online_seconds": round(online_s, 2),
        }, serials


def measure(phones: int, *, tasks: int, celery_tasks: int, ceiling_s: float,
            celery: bool) -> dict[str, Any]:
    with simulator(phones) as sim, tempfile.TemporaryDirectory(prefix="bench-dispatch-") as d:
        client = adbutils.AdbClient(host="127.0.0.1", port=sim.port, socket_timeout=20)
        serials = sorted(dev.serial for dev in client.device_list())
        adb_ceiling = ceiling(sim.port, serials, seconds=ceiling_s)
        mine, _ = trio.run(ours, sim.port, sim.pid, phones, tasks, Path(d))
        run: dict[str, Any] = {"phones": phones, "adbutils_ceiling_per_s": adb_ceiling,
                               "ours": mine,
                               "ours_over_ceiling": round(mine["tasks_per_s"] / adb_ceiling, 3)}
        if not celery:
            run["celery"] = "skipped (--no-celery)"
        elif not peers_celery.redis_up():
            run["celery"] = "skipped: no Redis at 127.0.0.1:6379"
        else:
            solo = peers_celery.dispatch(sim.port, serials, celery_tasks, pool="solo")
            threads = peers_celery.dispatch(sim.port, serials, celery_tasks, pool="threads",
                                            concurrency=min(32, phones))
            run["celery"] = solo
            run["celery_threads"] = threads
            run["ours_over_celery"] = round(mine["tasks_per_s"] / solo["tasks_per_s"], 2)
            run["ours_over_celery_threads"] = round(
                mine["tasks_per_s"] / threads["tasks_per_s"], 2)
        return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--tasks", type=int, default=10_000, help="ours, per farm size")
    parser.add_argument("--celery-tasks", type=int, default=1_000, help="Celery, per worker")
    parser.add_argument("--ceiling-seconds", type=float, default=3.0)
    parser.add_argument("--no-celery", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = [measure(n, tasks=args.tasks, celery_tasks=args.celery_tasks,
                    ceiling_s=args.ceiling_seconds, celery=not args.no_celery)
            for n in args.phones]
    write_report("dispatch", args.out, {"runs": runs})
    print(json.dumps(runs, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
