"""The core as every wiring runs it: the scheduler, and an actor for each phone an ADB
server shows."""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable, MutableMapping, Sequence

import trio

from ._clock import WallClock
from ._device import phone_answers, run_device
from ._events import EventLog
from ._mailbox import Address, Inbox
from ._ports import TaskRunner, TaskStore
from ._scheduler import SchedulerSettings, serve_scheduler
from ._schedules import Planner
from ._watcher import phone_driver, run_watcher
from .messages import DeviceMsg, SchedulerMsg

__all__ = ["AdbServer", "serve_core"]


#: An ADB server's address: host and port.
AdbServer = tuple[str, int]


async def serve_core(*, store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                     adb_servers: Sequence[AdbServer],
                     runner_for: Callable[[str, AdbServer], TaskRunner], events: EventLog,
                     planner: Planner | None = None, rng: random.Random | None = None,
                     server_of: MutableMapping[str, AdbServer] | None = None,
                     task_status: trio.TaskStatus[Address[SchedulerMsg]] = (
                         trio.TASK_STATUS_IGNORED)) -> None:
    """Run the scheduler and, for each phone one of `adb_servers` shows ready, a device
    actor running its tasks with `runner_for(serial, server)`, until cancelled (one
    watcher per server: one lists at most 4,095 phones); `server_of` is kept saying which
    server each phone was last seen on; every change goes to `events`; schedules run when
    a `planner` makes their tasks; started with the scheduler's address (`nursery.start`),
    which the API asks. The service and the benchmarks run the core this way; tests in
    virtual time, without an ADB server, start the scheduler and device actors
    themselves."""
    server_of = {} if server_of is None else server_of
    async with trio.open_nursery() as nursery:
        scheduler = await nursery.start(functools.partial(
            serve_scheduler, store=store, clock=clock, settings=settings, rng=rng,
            events=events, planner=planner))

        def device_actor(server: AdbServer, serial: str
                         ) -> Callable[[Inbox[DeviceMsg]], Awaitable[None]]:
            server_of[serial] = server
            return functools.partial(
                run_device, serial=serial, runner=runner_for(serial, server),
                scheduler=scheduler, answers=functools.partial(
                    phone_answers, phone_driver(*server, serial)), clock=clock)

        for server in adb_servers:
            await nursery.start(functools.partial(
                run_watcher, adb_host=server[0], adb_port=server[1], scheduler=scheduler,
                device_actor=functools.partial(device_actor, server),
                last=server == adb_servers[-1]))
        task_status.started(scheduler)
