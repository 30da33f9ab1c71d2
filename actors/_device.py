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
from ._errors import ActorClosed
from ._mailbox import Address, Inbox, Reply
from ._model import Task, TaskStatus
from ._ports import RunResult, TaskEnd, TaskFailed, TaskRunner, TaskStore
from .messages import CancelRun, DeviceMsg, RunTask, SchedulerMsg, TaskOutcome

__all__ = ["run_device"]

log = logging.getLogger(__name__)

#: How long the end-of-task store write may take (also once the task is cancelled);
#: past it, the end is handed to the scheduler as not written, like a refused one.
FINISH_GRACE = 5.0


@attrs.define
class _Current:
    """The task this phone runs now, how it is being stopped, and how it ended.

    Created when `RunTask` is received (not when its task first runs), so a stop that
    is queued right behind the `RunTask` always finds it. The scheduler has already
    marked the task running in the store.
    """

    task: Task
    start_at: float
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)
    started: bool = False  # the script was called (its moment had come)
    stop_remark: str | None = None
    retryable: bool = True
    waiting: list[Reply[Task | None]] = attrs.Factory(list)
    done: bool = False
    finished: Task | None = None

    @property
    def task_id(self) -> int:
        return self.task.id

    def stop(self, remark: str, *, retryable: bool, reply: Reply[Task | None] | None = None
             ) -> None:
        """Cancel the task (the first stop's remark wins); `reply` gets its end state."""
        if self.done:
            if reply is not None:
                reply.send(self.finished)
            return
        if reply is not None:
            self.waiting.append(reply)
        if self.stop_remark is None:
            self.stop_remark, self.retryable = remark, retryable
        self.scope.cancel(reason=remark)

    def end(self, finished: Task | None) -> None:
        """The task is over (`finished` as stored): answer every stop waiting for it."""
        self.done, self.finished = True, finished
        for reply in self.waiting:
            reply.send(finished)
        self.waiting.clear()

    def fail_waiting(self, exc: Exception) -> None:
        self.done = True
        for reply in self.waiting:
            reply.fail(exc)
        self.waiting.clear()


async def run_device(inbox: Inbox[DeviceMsg], *, serial: str, store: TaskStore,
                     runner: TaskRunner, scheduler: Address[SchedulerMsg],
                     clock: WallClock) -> None:
    """Serve one phone until its inbox ends (the watcher retires it)."""
    current: _Current | None = None

    async def run_one(me: _Current) -> None:
        nonlocal current
        try:
            end = await _run_task(me, serial=serial, runner=runner, clock=clock)
            try:
                with trio.CancelScope(shield=True), trio.fail_after(FINISH_GRACE):
                    me.end(await end.write(store, me.task_id))
                outcome = TaskOutcome(serial=serial, task_id=me.task_id, task=me.finished,
                                      retryable=me.retryable)
            except Exception as exc:  # the store refused it (a full disk): the scheduler
                me.fail_waiting(exc)  # holds the end and writes it later; the phone is free
                outcome = TaskOutcome(serial=serial, task_id=me.task_id, task=None,
                                      retryable=me.retryable, unwritten=end, store_error=exc)
        finally:
            if current is me:
                current = None
        try:
            await scheduler.send(outcome)
        except ActorClosed:  # the scheduler is gone first (a stop): nobody left to tell
            log.debug("task %d on %s: its end not reported, the scheduler is gone",
                      me.task_id, serial)

    async with trio.open_nursery() as nursery:
        async for msg in inbox:
            match msg:
                case RunTask(task=task, start_at=start_at):
                    if current is not None:  # the scheduler never does this; say so loudly
                        log.error("%s: task %d sent while task %d runs", serial, task.id,
                                  current.task_id)
                    current = _Current(task, start_at)
                    nursery.start_soon(run_one, current)
                case CancelRun(task_id=task_id, remark=remark, reply=reply):
                    if current is not None and current.task_id == task_id:
                        current.stop(remark, retryable=False, reply=reply)
                    else:  # already over: answer with how it ended
                        try:
                            reply.send(await store.get_task(task_id))
                        except Exception as exc:
                            reply.fail(exc)
        if current is not None:
            current.stop(f"device {serial} disconnected", retryable=True)


async def _run_task(me: _Current, *, serial: str, runner: TaskRunner,
                    clock: WallClock) -> TaskEnd:
    """Run `me`'s task (until it ends or is stopped); how it ended, to be stored."""
    task = me.task
    status, remark, data = TaskStatus.FAILED, "", None
    with me.scope:
        try:
            await trio.sleep_until(clock.deadline(me.start_at))
            me.started = True
            log.info("task %d (%s) started on %s", task.id, task.script_name, serial)
            result: RunResult = await runner(task)
            status, remark, data = TaskStatus.COMPLETED, result.remark, result.data
        except TaskFailed as exc:
            remark = str(exc)
        except Exception as exc:
            log.exception("task %d on %s crashed", task.id, serial)
            remark = f"internal error: {exc!r}"
    if me.scope.cancelled_caught or me.stop_remark is not None:
        status, remark = TaskStatus.FAILED, me.stop_remark or "stopped"
    if status == TaskStatus.COMPLETED:
        log.info("task %d finished on %s: %s", task.id, serial, remark)
    else:
        log.warning("task %d failed on %s: %s", task.id, serial, remark)
    return TaskEnd(status=status, remark=remark, finished_at=clock.now(), result=data,
                   started=me.started)
