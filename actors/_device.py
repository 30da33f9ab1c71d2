"""The device actor: owns one phone. Runs one task at a time and stops it on request.

A task runs in its own cancel scope in the actor's nursery, so the mailbox stays
responsive while a script works: a `CancelRun` cancels the scope, the script's
cleanup runs, and the task ends failed with the stop's remark within the second.

The actor only runs tasks and says how each ended (`TaskEnded`); the scheduler stores
that end and decides what follows (a retry, the answer to a stop). A task that lost the
phone is told apart from one that lost only its connection by asking the phone once;
after a loss, the actor asks again and again (`AwaitPhone`) until the phone answers.
"""

from __future__ import annotations

import logging
import math

import attrs
import trio

from scripts import StepLog
from scripts.driver import DeviceDriver, DriverError

from ._backoff import Backoff
from ._clock import WallClock
from ._errors import ActorClosed
from ._mailbox import Address, Inbox
from ._model import Task, TaskStatus
from ._ports import Failure, PhoneCheck, TaskEnd, TaskFailed, TaskRunner
from .messages import (
    AwaitPhone,
    CancelRun,
    DeviceBack,
    DeviceMsg,
    RunTask,
    SchedulerMsg,
    TaskEnded,
)

__all__ = ["phone_answers", "run_device"]

log = logging.getLogger(__name__)

#: Seconds between two questions to a lost phone (`Backoff`).
ASK_AGAIN = (0.5, 5.0)


@attrs.define
class _Run:
    """The task this phone runs now, and the remark of the stop that cancelled it.

    Created when `RunTask` is received (not when its task first runs), so a stop that
    is queued right behind the `RunTask` always finds it.
    """

    task: Task
    start_at: float
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)
    started: bool = False  # the script was called (its moment had come)
    stop_remark: str | None = None
    stopped: bool = False  # by a `CancelRun` (not by its phone leaving)

    def stop(self, remark: str, *, requested: bool) -> None:
        """Cancel the task; the first stop's remark is its remark, and says whether a
        `CancelRun` (`requested`) stopped it."""
        if self.stop_remark is None:
            self.stop_remark, self.stopped = remark, requested
        self.scope.cancel(reason=remark)


async def phone_answers(driver: DeviceDriver) -> bool:
    """Whether the phone behind `driver` runs a command now (its `PhoneCheck`)."""
    try:
        return (await driver.shell("echo", "ok")).exit_code == 0
    except DriverError:
        return False


async def run_device(inbox: Inbox[DeviceMsg], *, serial: str, runner: TaskRunner,
                     answers: PhoneCheck, scheduler: Address[SchedulerMsg],
                     clock: WallClock) -> None:
    """Serve one phone until its inbox ends (the watcher retires it); `answers` tells
    whether the phone answers ADB now."""
    current: _Run | None = None
    asking: trio.CancelScope | None = None  # the questions to a lost phone, if asked

    async def run_one(run: _Run) -> None:
        nonlocal current
        try:
            end = await _run_task(run, serial=serial, runner=runner, clock=clock)
        except Exception as exc:  # past the script's own handling (a group from cleanup)
            log.exception("task %d on %s crashed", run.task.id, serial)
            end = TaskEnd(status=TaskStatus.FAILED, remark=f"internal error: {exc!r}",
                          finished_at=clock.now(), started=run.started)
        finally:
            if current is run:
                current = None  # over: a stop from now on comes too late
        if end.failure is Failure.PHONE_LOST and run.stop_remark is None and await answers():
            end = attrs.evolve(end, failure=Failure.TRANSIENT)  # only a connection broke
        await tell(TaskEnded(serial=serial, task=run.task, end=end, stopped=run.stopped))

    async def ask_until_back(scope: trio.CancelScope) -> None:
        nonlocal asking
        try:
            with scope:
                pauses = Backoff(*ASK_AGAIN)
                while True:  # a question each time: there is no event to wait on
                    if await answers():
                        break
                    await trio.sleep(pauses.failed())
                await tell(DeviceBack(serial=serial))
        finally:
            asking = None

    async def tell(msg: SchedulerMsg) -> None:
        try:
            await scheduler.send(msg)
        except ActorClosed:  # the scheduler is gone first (a stop): nobody left to tell
            log.debug("%s: %r not told, the scheduler is gone", serial, msg)

    async with trio.open_nursery() as nursery:
        async for msg in inbox:
            match msg:
                case RunTask(task=task, start_at=start_at):
                    if current is not None:  # the scheduler never does this; say so loudly
                        log.error("%s: task %d sent while task %d runs", serial, task.id,
                                  current.task.id)
                    current = _Run(task, start_at)
                    nursery.start_soon(run_one, current)
                case CancelRun(task_id=task_id, remark=remark):
                    if current is not None and current.task.id == task_id:
                        current.stop(remark, requested=True)  # else its end is on its way
                case AwaitPhone():
                    if asking is None:
                        asking = trio.CancelScope()
                        nursery.start_soon(ask_until_back, asking)
        if asking is not None:
            asking.cancel()
        if current is not None:
            current.stop(f"device {serial} disconnected", requested=False)


async def _run_task(run: _Run, *, serial: str, runner: TaskRunner,
                    clock: WallClock) -> TaskEnd:
    """Run `run`'s task (until it ends or is stopped); how it ended."""
    task = run.task
    status, remark, data, failure = TaskStatus.FAILED, "", None, Failure.TRANSIENT
    steps = StepLog(clock.now)
    with run.scope:
        try:
            await trio.sleep_until(clock.deadline(run.start_at))
            run.started = True
            log.info("task %d (%s) started on %s", task.id, task.script_name, serial)
            steps.add(f"started {task.script_name} on {serial}"
                      + (f" as @{task.username}" if task.username else ""))
            with trio.move_on_after(math.inf if task.timeout is None else task.timeout
                                    ) as bound:
                result = await runner(task, steps)
            if bound.cancelled_caught:  # the script was cancelled, its cleanup done
                raise TaskFailed(f"timed out after {task.timeout} s")
            status, remark, data = TaskStatus.COMPLETED, result.remark, result.data
        except TaskFailed as exc:
            remark, failure = str(exc), exc.failure
        except Exception as exc:
            log.exception("task %d on %s crashed", task.id, serial)
            remark = f"internal error: {exc!r}"
    if run.scope.cancelled_caught or run.stop_remark is not None:
        status, remark = TaskStatus.FAILED, run.stop_remark or "stopped"
        failure = Failure.TRANSIENT if run.stopped else Failure.PHONE_LOST
    if status == TaskStatus.COMPLETED:
        log.info("task %d finished on %s: %s", task.id, serial, remark)
        said = steps.end(f"completed: {remark}", "INFO")
    else:
        log.warning("task %d failed on %s: %s", task.id, serial, remark)
        said = steps.end(f"failed: {remark}", "ERROR")
    return TaskEnd(status=status, remark=remark, finished_at=clock.now(), result=data,
                   started=run.started, failure=failure,
                   steps=said if run.started else (), screenshot=steps.screenshot)
