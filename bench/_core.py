"""What the dispatch and timing benchmarks share: the orchestrator's core in this process.

The real store (SQLite), scheduler, device watcher and device actors, wired as
`orchestrator.service` wires them, and optionally the real API; only the `TaskRunner` is
the benchmark's: it does one short device call (`shell echo ok` through `AdbDriver`, the
product's driver over adbutils) and records, at its entry, how late the task started.
The product's script registry is left alone. The simulator runs in its own process.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, cast

import attrs
import trio

from actors import (
    Address,
    EventLog,
    NewTask,
    Reply,
    Requeue,
    SchedulerSettings,
    Task,
    TaskEnd,
    TaskFailed,
    TaskStatus,
    TaskStore,
    WallClock,
    serve_core,
)
from actors.messages import DeviceSnapshot, ListDevices, SchedulerMsg, SubmitTasks
from orchestrator.api import ApiProcess, Phones, create_app, serve_api
from orchestrator.plans import plan_named
from orchestrator.runtime import start_up_frozen, switch_interval
from orchestrator.store import Store, open_sqlite_store
from scripts import HostFiles, MaterialLibrary, RunningSteps, RunResult, StepLog
from scripts.driver import AdbDriver

#: The script name the benchmark's tasks carry (the bench runner ignores it).
SCRIPT = "bench_echo"


def percentiles(values: Sequence[float], scale: float = 1000.0) -> dict[str, float]:
    """p50, p99, max and min of `values` (seconds), in milliseconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * scale, 3)

    return {"count": len(ordered), "p50_ms": at(0.50), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * scale, 3), "min_ms": round(ordered[0] * scale, 3),
            "early": sum(v < 0 for v in ordered)}


@attrs.define
class Probe:
    """What the bench runner and the timed store saw, per run."""

    expected: int = 0
    finished: int = 0
    done: trio.Event = attrs.Factory(trio.Event)
    # tag (the task's request id up to its first ':') -> lateness in seconds at runner entry
    lateness: dict[str, list[float]] = attrs.Factory(dict)
    store_s: float = 0.0  # the scheduler's time awaiting mark_running + finish_tasks
    adb_s: float = 0.0  # the runners' time in the device call
    failed: int = 0
    overlaps: int = 0  # a phone asked to run a task while running another (must stay 0)
    busy: set[str] = attrs.Factory(set)
    last_finish: dict[str, float] = attrs.Factory(dict)  # serial -> wall time

    def expect(self, count: int) -> None:
        self.expected, self.finished, self.done = count, 0, trio.Event()
        self.lateness.clear()
        self.last_finish.clear()
        self.store_s = self.adb_s = 0.0
        self.failed = self.overlaps = 0


class ShellRunner:
    """The benchmark's `TaskRunner`: one `shell echo ok` on the task's phone."""

    def __init__(self, *, adb_port: int, serial: str, clock: WallClock, probe: Probe) -> None:
        self._serial = serial
        self._clock = clock
        self._probe = probe
        self._driver = AdbDriver("127.0.0.1", adb_port, serial,
                                 limiter=trio.CapacityLimiter(1), timeout=20.0)

    async def __call__(self, task: Task, steps: StepLog) -> RunResult:
        probe = self._probe
        late = self._clock.now() - task.due_at  # first thing: when the script starts
        probe.lateness.setdefault(task.request_id.partition(":")[0], []).append(late)
        if self._serial in probe.busy:
            probe.overlaps += 1
        probe.busy.add(self._serial)
        start = time.perf_counter()
        try:
            output = await self._driver.shell("echo", "ok")
        finally:
            probe.adb_s += time.perf_counter() - start
            probe.busy.discard(self._serial)
        if output.stdout.strip() != "ok":
            raise TaskFailed(f"echo said {output.stdout!r}")
        return RunResult("ok")


class TimedStore:
    """The store as the scheduler sees it: its two writes of every task timed, the ends
    counted."""

    def __init__(self, store: Store, probe: Probe) -> None:
        self._store = store
        self._probe = probe

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def mark_running(self, starts: Mapping[int, float]) -> list[Task]:
        start = time.perf_counter()
        try:
            return await self._store.mark_running(starts)
        finally:
            self._probe.store_s += time.perf_counter() - start

    async def finish_tasks(self, ends: Mapping[int, TaskEnd], *,
                           retries: Mapping[int, Requeue]) -> list[Task]:
        start = time.perf_counter()
        try:
            tasks = await self._store.finish_tasks(ends, retries=retries)
        finally:
            self._probe.store_s += time.perf_counter() - start
        probe = self._probe
        for task in tasks:
            probe.last_finish[task.serial] = time.time()
            if task.status != TaskStatus.COMPLETED:
                probe.failed += 1
        probe.finished += len(ends)
        if probe.finished >= probe.expected:
            probe.done.set()
        return tasks


@attrs.frozen
class Core:
    """A running core: where to reach it, and what it measures."""

    clock: WallClock
    store: Store
    scheduler: Address[SchedulerMsg]
    probe: Probe
    api_port: int | None

    async def wait_online(self, phones: int) -> float:
        """Wait until the scheduler knows `phones` online phones; the seconds it took."""
        start = time.monotonic()
        with trio.fail_after(120):
            while True:
                devices = await self.devices()
                if sum(d.state == "device" for d in devices) >= phones:
                    return time.monotonic() - start
                await trio.sleep(0.2)

    async def devices(self) -> list[DeviceSnapshot]:
        """The phones the scheduler knows."""

        def ask(reply: Reply[list[DeviceSnapshot]]) -> SchedulerMsg:
            return ListDevices(reply=reply)

        return await self.scheduler.request(ask, timeout=30)

    async def submit(self, tasks: Sequence[NewTask], chunk: int = 20_000) -> None:
        """Create `tasks` through the scheduler actor (the store writes them)."""
        for i in range(0, len(tasks), chunk):
            part = tasks[i:i + chunk]

            def ask(reply: Reply[list[Task]], part: Sequence[NewTask] = part) -> SchedulerMsg:
                return SubmitTasks(tasks=part, reply=reply)

            await self.scheduler.request(ask, timeout=300)


def new_task(serial: str, due_at: float, tag: str, position: int = 0) -> NewTask:
    """A benchmark task on `serial`, due at `due_at`; `tag` groups its lateness."""
    return NewTask(serial=serial, script_name=SCRIPT, script_config={}, due_at=due_at,
                   request_id=f"{tag}:{serial}", position=position)


@asynccontextmanager
async def open_core(*, adb_ports: Sequence[int], data_dir: Path, api: bool = False,
                    api_processes: int = 0) -> AsyncIterator[Core]:
    """Run store, scheduler, watchers (one for each of the ADB servers at `adb_ports`),
    device actors (and the API, from `api_processes` of its own if not 0) until the block
    exits, with the interpreter set as the product sets it (`orchestrator.runtime`)."""
    servers = [("127.0.0.1", port) for port in adb_ports]
    server_of: dict[str, tuple[str, int]] = {}  # each phone's ADB server (the watchers')
    clock = WallClock()
    probe = Probe()
    async with AsyncExitStack() as stack:
        stack.enter_context(switch_interval())
        freeze_start_up = stack.enter_context(start_up_frozen())
        path = data_dir / "bench.db"
        store = await stack.enter_async_context(open_sqlite_store(path))
        timed = cast(TaskStore, TimedStore(store, probe))
        nursery = await stack.enter_async_context(trio.open_nursery())
        events = EventLog()
        scheduler = await nursery.start(functools.partial(
            serve_core, store=timed, clock=clock, settings=SchedulerSettings(auto_retry=False),
            events=events, adb_servers=servers, server_of=server_of,
            runner_for=lambda serial, server: ShellRunner(adb_port=server[1], serial=serial,
                                                       clock=clock, probe=probe)))
        api_port: int | None = None
        if api:
            plan, materials = plan_named("Unlimited"), MaterialLibrary(data_dir / "materials")
            host_files = HostFiles.of(data_dir, private=(path,))
            app = create_app(scheduler=scheduler, events=events, running=RunningSteps(),
                             phones=Phones(server_of, servers=servers), store=store,
                             plan=plan, clock=clock, materials=materials, host_files=host_files)
            api_port = await nursery.start(functools.partial(
                serve_api, app, host="127.0.0.1", port=0, processes=api_processes,
                process=ApiProcess(sqlite_path=path, postgres=None, plan=plan)))
        freeze_start_up()
        try:
            yield Core(clock=clock, store=store,
                       scheduler=scheduler, probe=probe, api_port=api_port)
        finally:
            nursery.cancel_scope.cancel(reason="benchmark over")



def spread_moments(serials: Sequence[str], count: int, window: float,
                   rng: random.Random) -> list[tuple[str, float]]:
    """`count` (serial, offset) pairs: one every `window / count` seconds (jittered within
    its slot), round-robin over the phones, so a phone's own tasks are far apart."""
    step = window / count
    return [(serials[j % len(serials)], (j + rng.random()) * step) for j in range(count)]


def burst_moments(serials: Sequence[str], count: int, at: float) -> list[tuple[str, float]]:
    """`count` (serial, offset) pairs all due at `at`, one per phone."""
    return [(serials[j % len(serials)], at) for j in range(count)]
