"""Benchmark: timing accuracy. How late do scripts start after their due moment?

The simulator in its own process (past 4,095 phones, or with `--adb-servers N`, several:
each an ADB server the core watches); the orchestrator's core in this one (`bench._core`:
SQLite store, scheduler, watchers, device actors and the real API), with a runner that
records, at its entry, its wall clock minus the task's `due_at`, then does one
`shell echo ok`. Tasks are created through the scheduler actor with exact `due_at` (the
API's `start_time` has minute resolution):

- spread: `--tasks` tasks, one every `window / tasks` seconds (jittered within its slot),
  round-robin over the phones;
- burst: `--burst` tasks due at the same instant, one per phone, after the spread.

Meanwhile the API is under load: wrk (its own process) on `GET /task/stats` and on a
filtered `GET /task` page, 16 keep-alive connections each; the API in this process, or in
`--api-processes N` of its own, as `orchestrator serve --api-processes N` serves it. Then,
in the same run, the peers get the same moments on the same simulator (if it is one):
APScheduler in memory (the floor; no persistence, no API) and Celery + Redis with `eta`
(one queue per phone, a `threads` worker), each doing the same device call.

    python -m bench.timing --api-processes 1 --unloaded-too   # as in bench/README.md
    python -m bench.timing                  # 1,000 phones, 10,000 spread + 1,000 burst
    python -m bench.timing --phones 4 --tasks 20 --burst 4 --window 1 --out /tmp/t.json  # smoke
    python -m bench.timing --phones 200 --tasks 2000 --burst 200 --console-too 200 --no-peers
    python -m bench.timing --phones 10000 --tasks 10000 --burst 10000 \
        --out results/timing-10k.json      # three ADB servers; ours alone

`--console-too TILES` runs ours again, the same moments, with the console open in
headless Chromium on a wall of TILES live screens, all in view (`bench._console`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import adbutils
import trio

from bench import peers_apscheduler, peers_celery
from bench._console import console_open
from bench._core import burst_moments, new_task, open_core, percentiles, spread_moments
from bench._harness import ONE_SERVER, cpu_seconds, servers_for, simulators, write_report, wrk

os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"  # never start an adb server on 5037

Moments = dict[str, list[tuple[str, float]]]


async def ours(adb_ports: list[int], phones: int, moments: Moments, *, lead: float,
               load: bool, data_dir: Path, api_processes: int, console: int = 0
               ) -> dict[str, Any]:
    """Our lateness; with `console` tiles of the console's wall open in a browser."""
    async with open_core(adb_ports=adb_ports, data_dir=data_dir, api=True,
                         api_processes=api_processes) as core, AsyncExitStack() as stack:
        await core.wait_online(phones)
        wall = (await stack.enter_async_context(
            console_open(f"http://127.0.0.1:{core.api_port}/", console)) if console else None)
        t0 = core.clock.now() + lead
        work = [new_task(serial, t0 + offset, tag, position=k)
                for tag, pairs in moments.items() for k, (serial, offset) in enumerate(pairs)]
        probe = core.probe
        probe.expect(len(work))
        await core.submit(work)
        if core.clock.now() >= t0:
            raise RuntimeError(f"creating the tasks took longer than the lead of {lead} s")
        longest = max(offset for pairs in moments.values() for _, offset in pairs)
        api = f"http://127.0.0.1:{core.api_port}/api/v1"
        loads: dict[str, Any] = {}

        async def hammer(name: str, url: str) -> None:
            seconds = t0 - core.clock.now() + longest + 2
            loads[name] = await trio.to_thread.run_sync(
                lambda: wrk(url, seconds=seconds, connections=16, threads=1))

        cpu0, start = cpu_seconds(os.getpid()), time.monotonic()
        async with trio.open_nursery() as nursery:
            if load:
                nursery.start_soon(hammer, "stats", f"{api}/task/stats")
                nursery.start_soon(hammer, "list",
                                   f"{api}/task?status=2&page=1&page_size=20")
            with trio.fail_after(lead + longest + 120):
                await probe.done.wait()
        cpu = (cpu_seconds(os.getpid()) - cpu0) / (time.monotonic() - start)
        return {**{tag: percentiles(probe.lateness.get(tag, [])) for tag in moments},
                "failed": probe.failed, "one_task_per_phone": probe.overlaps == 0,
                "api_load": loads or "none", "orchestrator_cpu_cores": round(cpu, 2),
                **({"console": wall.figures()} if wall else {})}


def celery_eta(adb_port: int, serials: list[str], moments: Moments, *,
               lead: float) -> dict[str, Any] | str:
    """Celery's figures, or why there are none (a lead too short for the worker to take
    every task off the queues, a worker that died): said, not allowed to lose the others."""
    try:
        eta = peers_celery.eta_lateness(adb_port, serials, moments, lead=lead)
    except RuntimeError as exc:
        return f"failed: {exc}"
    lateness = eta.pop("lateness")
    return {**{tag: percentiles(v) for tag, v in lateness.items()}, **eta}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--adb-servers", type=int, default=None, metavar="N",
                        help="split the phones over N simulators, each an ADB server the "
                             "orchestrator watches (default: as few as list them all, "
                             f"{ONE_SERVER} each); the peers drive one only")
    parser.add_argument("--tasks", type=int, default=10_000, help="spread tasks")
    parser.add_argument("--window", type=float, default=30.0, help="seconds the spread spans")
    parser.add_argument("--burst", type=int, default=1000, help="tasks due at one instant")
    parser.add_argument("--no-load", action="store_true", help="leave the API idle")
    parser.add_argument("--unloaded-too", action="store_true",
                        help="also measure ours with the API idle")
    parser.add_argument("--api-processes", type=int, default=0, metavar="N",
                        help="serve the API from N processes of its own (as `orchestrator "
                             "serve --api-processes N`); 0: in the core's process")
    parser.add_argument("--console-too", type=int, default=0, metavar="TILES",
                        choices=range(1, 201),
                        help="also measure ours with the console open in Chromium on a wall "
                             "of TILES live screens (at most 200: one page), in the same run")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    load = not args.no_load and shutil.which("wrk") is not None
    servers = args.adb_servers or servers_for(args.phones)
    report: dict[str, Any] = {
        "phones": args.phones, "adb_servers": servers, "spread_tasks": args.tasks,
        "spread_window_s": args.window, "burst_tasks": args.burst,
        "api_processes": args.api_processes}
    with simulators(args.phones, servers) as sims:
        serials = sorted(dev.serial for sim in sims for dev in adbutils.AdbClient(
            host="127.0.0.1", port=sim.port, socket_timeout=20).device_list())
        moments: Moments = {
            "spread": spread_moments(serials, args.tasks, args.window, random.Random(args.seed)),
            "burst": burst_moments(serials, args.burst, args.window + 3.0)}
        lead = 1.5 + (args.tasks + args.burst) / 2000

        def run_ours(with_load: bool, console: int = 0) -> dict[str, Any]:
            def simulated() -> float:
                return sum(cpu_seconds(sim.pid) for sim in sims)

            cpu0, start = simulated(), time.monotonic()
            with tempfile.TemporaryDirectory(prefix="bench-timing-") as d:
                figures = trio.run(lambda: ours([sim.port for sim in sims], args.phones,
                                                moments, lead=lead, load=with_load,
                                                data_dir=Path(d),
                                                api_processes=args.api_processes,
                                                console=console))
            cores = (simulated() - cpu0) / (time.monotonic() - start)
            return {**figures, "simulator_cpu_cores": round(cores, 2)}

        report["ours"] = run_ours(load)
        if args.unloaded_too and load:
            report["ours_api_idle"] = run_ours(False)
        if args.console_too:
            report["ours_console_open"] = with_console = run_ours(load, args.console_too)
            report["console_p99_over_without"] = {
                tag: round(with_console[tag]["p99_ms"] / max(report["ours"][tag]["p99_ms"],
                                                            1e-3), 2) for tag in moments}
        if servers > 1:
            report["apscheduler"] = report["celery_eta"] = "skipped: they drive one ADB server"
        elif not args.no_peers:
            aps = peers_apscheduler.lateness(sims[0].port, moments, lead=lead)
            report["apscheduler"] = {tag: percentiles(v) for tag, v in aps.items()}
            if peers_celery.redis_up():
                report["celery_eta"] = celery_eta(sims[0].port, serials, moments,
                                                  lead=1.5 + (args.tasks + args.burst) / 200)
            else:
                report["celery_eta"] = "skipped: no Redis at 127.0.0.1:6379"
        ratios: dict[str, Any] = {}
        for peer in ("apscheduler", "celery_eta"):
            theirs = report.get(peer)
            if isinstance(theirs, dict):
                ratios[peer] = {
                    tag: round(report["ours"][tag]["p99_ms"] / max(theirs[tag]["p99_ms"], 1e-3), 2)
                    for tag in moments if theirs[tag].get("count")}
        report["ours_p99_over_peer_p99"] = ratios
    write_report("timing", args.out, report)
    print(json.dumps(report, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
