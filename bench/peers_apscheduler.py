"""The timing floor: APScheduler 3 in memory (no persistence), the same device call.

Each job is a coroutine on `AsyncIOScheduler` that records how late it started (wall
clock at entry minus its run date), then does one `shell echo ok` through adbutils in a
thread, as the orchestrator's benchmark runner does. `bench.timing` calls `lateness`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
from datetime import UTC, datetime

import adbutils
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"  # never start an adb server on 5037


def lateness(adb_port: int, moments: dict[str, list[tuple[str, float]]], *, lead: float,
             timeout: float = 300) -> dict[str, list[float]]:
    """Lateness (s) per tag: `moments` maps a tag to (serial, offset) pairs, offsets in
    seconds after a start `lead` seconds from now."""
    return asyncio.run(_lateness(adb_port, moments, lead=lead, patience=timeout))


async def _lateness(adb_port: int, moments: dict[str, list[tuple[str, float]]], *,
                    lead: float, patience: float) -> dict[str, list[float]]:
    loop = asyncio.get_running_loop()
    threads = concurrent.futures.ThreadPoolExecutor(100)
    client = adbutils.AdbClient(host="127.0.0.1", port=adb_port, socket_timeout=20)
    late: dict[str, list[float]] = {tag: [] for tag in moments}
    total = sum(len(pairs) for pairs in moments.values())
    finished = 0
    done = asyncio.Event()

    async def job(serial: str, due: float, tag: str) -> None:
        nonlocal finished
        late[tag].append(time.time() - due)
        try:
            await loop.run_in_executor(threads, client.device(serial).shell2, "echo ok")
        finally:
            finished += 1
            if finished >= total:
                done.set()

    scheduler = AsyncIOScheduler()
    t0 = time.time() + lead
    for tag, pairs in moments.items():
        for serial, offset in pairs:
            due = t0 + offset
            scheduler.add_job(job, "date", run_date=datetime.fromtimestamp(due, tz=UTC),
                              args=(serial, due, tag), misfire_grace_time=None)
    scheduler.start()
    try:
        if time.time() > t0:
            raise RuntimeError(f"adding the jobs took longer than the lead of {lead} s")
        longest = max(offset for pairs in moments.values() for _, offset in pairs)
        await asyncio.wait_for(done.wait(), lead + longest + patience)
    finally:
        scheduler.shutdown(wait=False)
        threads.shutdown(wait=True)
    return late
