"""The device actor against the parts around it going away."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import trio
import trio.testing

from actors import (
    NewTask,
    SchedulerSettings,
    Task,
    TaskStatus,
    WallClock,
    run_device,
    serve_scheduler,
    supervise,
)
from actors.messages import CancelRun, DeviceUp, SubmitTasks
from orchestrator.store import open_sqlite_store
from scripts import RunResult, StepLog
from tests._phones import answering

DEADLINE = 10.0


async def test_a_phone_outlives_the_scheduler_it_reports_to(tmp_path: Path) -> None:
    """Shutdown order: the scheduler is gone when a phone's task ends. The phone has
    nobody to tell its task's end and goes on quietly (it raised `ActorClosed` and
    crashed)."""
    holding = trio.Event()

    async def holds(task: Task, steps: StepLog) -> RunResult:
        holding.set()
        await trio.sleep_forever()
        raise AssertionError("never")

    clock = WallClock()
    async with open_sqlite_store(tmp_path / "tasks.db") as store, \
            trio.open_nursery() as nursery:
        with trio.fail_after(DEADLINE):
            async with trio.open_nursery() as scheduling:
                scheduler = await scheduling.start(partial(
                    serve_scheduler, store=store, clock=clock, settings=SchedulerSettings()))
                device = await nursery.start(partial(
                    supervise, "device p1", partial(
                        run_device, serial="p1", runner=holds, answers=answering,
                        scheduler=scheduler, clock=clock), max_restarts=0))
                await scheduler.send(DeviceUp(serial="p1", model="Pixel 7", address=device))
                new = NewTask(serial="p1", script_name="follow", request_id="r", due_at=0,
                              script_config={"target_user": "ann"})
                [task] = await scheduler.request(
                    lambda r: SubmitTasks(tasks=[new], reply=r), timeout=DEADLINE)
                await holding.wait()
                scheduling.cancel_scope.cancel(reason="the scheduler stops first")
            await device.send(CancelRun(task_id=task.id, remark="stopped"))
            await trio.testing.wait_all_tasks_blocked()
            device.send_nowait(CancelRun(task_id=task.id, remark="again"))  # still serving
        stored = await store.get_task(task.id)
        assert stored is not None
        assert stored.status == TaskStatus.RUNNING  # nobody stored its end
        nursery.cancel_scope.cancel(reason="test over")
