"""The device actor: owns one phone. Runs one task at a time and stops it on request.

A task runs in its own cancel scope in the actor's nursery, so the mailbox stays
responsive while a script works: a `CancelRun` cancels the scope, the script's
cleanup runs, and the task is failed with the stop's remark within the second.
"""

from __future__ import annotations

import logging

import attrs
import trio

from ._clock import WallClock
from ._mailbox import Address, Inbox, Reply
from ._model import Task, TaskStatus
from ._ports import RunResult, TaskFailed, TaskRunner, TaskStore
from .messages import CancelRun, DeviceMsg, RunTask, SchedulerMsg, TaskOutcome

__all__ = ["run_device"]

log = logging.getLogger(__name__)

#: How long the end-of-task store write may take once a task is cancelled.
FINISH_GRACE = 5.0


@attrs.define
class _Current:
    """The task running now, and how it is being stopped, if it is."""

    task_id: int
    scope: trio.CancelScope
    stop_remark: str | None = None
    retryable: bool = True
    waiting: list[Reply[Task | None]] = attrs.Factory(list)

    def stop(self, remark: str, *, retryable: bool) -> None:
        if self.stop_remark is None:
            self.stop_remark, self.retryable = remark, retryable
        self.scope.cancel(reason=remark)


async def run_device(inbox: Inbox[DeviceMsg], *, serial: str, store: TaskStore,
                     runner: TaskRunner, scheduler: Address[SchedulerMsg],
                     clock: WallClock) -> None:
    """Serve one phone until its inbox ends (the watcher retires it)."""
    current: _Current | None = None

    async def run_one(task_id: int) -> None:
        nonlocal current
        current = me = _Current(task_id, trio.CancelScope())
        try:
            await _run_task(me, serial=serial, store=store, runner=runner,
                            scheduler=scheduler, clock=clock)
        finally:
            current = None

    async with trio.open_nursery() as nursery:
        async for msg in inbox:
            match msg:
                case RunTask(task_id=task_id):
                    if current is not None:  # the scheduler never does this; say so loudly
                        log.error("%s: task %d sent while task %d runs", serial, task_id,
                                  current.task_id)
                    nursery.start_soon(run_one, task_id)
                case CancelRun(task_id=task_id, remark=remark, reply=reply):
                    if current is not None and current.task_id == task_id:
                        current.stop(remark, retryable=False)
                        current.waiting.append(reply)
                    else:  # already over: answer with how it ended
                        reply.send(await store.get_task(task_id))
        if current is not None:
            current.stop(f"device {serial} disconnected", retryable=True)


async def _run_task(me: _Current, *, serial: str, store: TaskStore, runner: TaskRunner,
                    scheduler: Address[SchedulerMsg], clock: WallClock) -> None:
    task = await store.mark_running(me.task_id, started_at=clock.now())
    if task is None:
        await scheduler.send(TaskOutcome(serial=serial, task_id=me.task_id, task=None))
        return
    log.info("task %d (%s) started on %s", task.id, task.script_name, serial)
    status, remark, data = TaskStatus.FAILED, "", None
    with me.scope:
        try:
            result: RunResult = await runner(task)
            status, remark, data = TaskStatus.COMPLETED, result.remark, result.data
        except TaskFailed as exc:
            remark = str(exc)
        except Exception as exc:
            log.exception("task %d on %s crashed", task.id, serial)
            remark = f"internal error: {exc!r}"
    if me.scope.cancelled_caught or me.stop_remark is not None:
        status, remark = TaskStatus.FAILED, me.stop_remark or "stopped"
    finished: Task | None = None
    with trio.CancelScope(shield=True), trio.move_on_after(FINISH_GRACE):
        finished = await store.finish_task(task.id, status, remark=remark,
                                           finished_at=clock.now(), result=data)
    if status == TaskStatus.COMPLETED:
        log.info("task %d finished on %s: %s", task.id, serial, remark)
    else:
        log.warning("task %d failed on %s: %s", task.id, serial, remark)
    for reply in me.waiting:
        reply.send(finished)
    await scheduler.send(TaskOutcome(serial=serial, task_id=task.id, task=finished,
                                     retryable=me.retryable))
