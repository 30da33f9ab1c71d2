"""The core as every wiring runs it: the scheduler, and an actor for each phone an ADB
server shows."""

from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable

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

__all__ = ["serve_core"]


async def serve_core(*, store: TaskStore, clock: WallClock, settings: SchedulerSettings,
                     adb_host: str, adb_port: int, runner_for: Callable[[str], TaskRunner],
                     events: EventLog, planner: Planner | None = None,
                     rng: random.Random | None = None,
                     task_status: trio.TaskStatus[Address[SchedulerMsg]] = (
                         trio.TASK_STATUS_IGNORED)) -> None:
    """Run the scheduler and, for each phone the ADB server at `adb_host:adb_port` shows
    ready, a device actor running its tasks with `runner_for(serial)`, until cancelled;
    every change goes to `events`; schedules run when a `planner` makes their tasks;
    started with the scheduler's address (`nursery.start`), which the API asks. The
    service and the benchmarks run the core this way; tests in virtual time, without an
    ADB server, start the scheduler and device actors themselves."""
    async with trio.open_nursery() as nursery:
        scheduler = await nursery.start(functools.partial(
            serve_scheduler, store=store, clock=clock, settings=settings, rng=rng,
            events=events, planner=planner))

        def device_actor(serial: str) -> Callable[[Inbox[DeviceMsg]], Awaitable[None]]:
            return functools.partial(
                run_device, serial=serial, runner=runner_for(serial), scheduler=scheduler,
                answers=functools.partial(phone_answers,
                                          phone_driver(adb_host, adb_port, serial)),
                clock=clock)

        await nursery.start(functools.partial(
            run_watcher, adb_host=adb_host, adb_port=adb_port, scheduler=scheduler,
            device_actor=device_actor))
        task_status.started(scheduler)
