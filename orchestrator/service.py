"""Wiring: the store, the actors, the facade (and simulated phones) in one nursery."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

import attrs
import httpx
import trio

from actors import (
    Inbox,
    SchedulerSettings,
    ScriptRunner,
    TaskStatus,
    TaskStore,
    WallClock,
    run_device,
    run_scheduler,
    run_watcher,
    supervise,
)
from actors.messages import DeviceMsg
from scripts import MaterialLibrary

from .api import create_app, serve_api
from .settings import Settings
from .simulator import open_simulator
from .store import open_postgres_store, open_sqlite_store

__all__ = ["GIL_SWITCH_INTERVAL", "Running", "run_orchestrator"]

log = logging.getLogger(__name__)

INTERRUPTED_REMARK = "interrupted: the orchestrator stopped while this task ran"
#: How long CPython lets a thread keep the GIL while another waits (its default: 5 ms).
#: The store's lanes and every adb call run in threads beside the event loop; while the
#: loop is busy (the API under load), each of their many GIL hand-offs per transaction or
#: call waited up to the whole interval (bench/README.md, Timing).
GIL_SWITCH_INTERVAL = 0.0005


@attrs.frozen
class Running:
    """Where a started orchestrator listens (handed to `nursery.start` callers)."""

    api_port: int
    adb_host: str
    adb_port: int


async def run_orchestrator(settings: Settings,
                           *, task_status: trio.TaskStatus[Running] = trio.TASK_STATUS_IGNORED
                           ) -> None:
    """Run everything until cancelled (with the process's `GIL_SWITCH_INTERVAL`)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    try:
        await _run(settings, task_status)
    finally:
        sys.setswitchinterval(before)


async def _run(settings: Settings, task_status: trio.TaskStatus[Running]) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = WallClock()
    scheduling = attrs.evolve(settings.scheduling, device_limit=settings.plan.device_limit)
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(
            open_postgres_store(settings.postgres) if settings.postgres
            else open_sqlite_store(settings.sqlite_path))
        await _recover(store, clock, scheduling)
        adb_host, adb_port = settings.adb_host, settings.adb_port
        if settings.simulate:
            sim = await stack.enter_async_context(open_simulator(settings.simulate))
            adb_host, adb_port = sim.host, sim.port
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        materials = MaterialLibrary(settings.data_dir / "materials")
        nursery = await stack.enter_async_context(trio.open_nursery())
        scheduler = await nursery.start(functools.partial(
            supervise, "scheduler",
            functools.partial(run_scheduler, store=store, clock=clock, settings=scheduling),
            # No restart: a restarted scheduler would not know the phones; a crash
            # ends the process loudly, and start-up recovers the tasks it left.
            capacity=1024, max_restarts=0))

        def device_actor(serial: str) -> Callable[[Inbox[DeviceMsg]], Awaitable[None]]:
            runner = ScriptRunner(adb_host=adb_host, adb_port=adb_port, serial=serial,
                                  data_dir=settings.data_dir, materials=materials, http=http)
            return functools.partial(run_device, serial=serial, store=store, runner=runner,
                                     scheduler=scheduler, clock=clock)

        await nursery.start(functools.partial(
            run_watcher, adb_host=adb_host, adb_port=adb_port, scheduler=scheduler,
            device_actor=device_actor))
        app = create_app(scheduler=scheduler, store=store, plan=settings.plan, clock=clock,
                         materials=materials)
        api_port = await nursery.start(functools.partial(
            serve_api, app, host=settings.host, port=settings.port))
        log.info("task API on http://%s:%d/api/v1/ (plan %s); phones from the ADB server at "
                 "%s:%d; data in %s", settings.host, api_port, settings.plan.name, adb_host,
                 adb_port, settings.data_dir)
        task_status.started(Running(api_port=api_port, adb_host=adb_host, adb_port=adb_port))


async def _recover(store: TaskStore, clock: WallClock, scheduling: SchedulerSettings) -> None:
    """Tasks left running by a dead process fail with a remark; auto-retry may requeue them."""
    interrupted = await store.fail_interrupted(remark=INTERRUPTED_REMARK,
                                               finished_at=clock.now())
    if not interrupted:
        return
    log.warning("%d task(s) were interrupted by the last shutdown", len(interrupted))
    if scheduling.auto_retry:
        again = [t.id for t in interrupted
                 if t.status == TaskStatus.FAILED and t.retry_count < scheduling.max_retries]
        await store.requeue_tasks(again, due_at=clock.now() + scheduling.retry_delay[0],
                                  count_retry=True)
