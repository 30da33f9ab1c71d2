"""The real `TaskRunner`: a task's script, run on its phone through the adbutils driver.

It turns every way a script can end badly into a remark a person understands, and says
what that failure means for trying again (`Failure`), so the
device actor only ever sees `TaskFailed`.
"""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import trio

from scripts import (
    HostFiles,
    MaterialLibrary,
    RunningSteps,
    RunResult,
    ScriptContext,
    ScriptError,
    StepFailed,
    StepLog,
    run_task,
)
from scripts.driver import (
    AdbDriver,
    CallObserver,
    DeviceLost,
    DriverError,
    DriverTimeout,
    Recorded,
    ignore_call,
)

from ._model import Task
from ._ports import Failure, TaskFailed
from ._proxy import ProxyRotation, RotationOf, rotate

__all__ = ["ScriptRunner"]

#: Seconds the screen of a failure may take to arrive; past them the task ends without.
SCREENSHOT_TIMEOUT = 5.0


async def _no_rotation() -> ProxyRotation | None:
    """The `RotationOf` of a phone whose rotations are kept nowhere: none is set."""
    return None


class ScriptRunner:
    """Runs tasks on one phone; one instance per device actor, so calls to a phone never
    overlap (its driver's limiter admits one adbutils call at a time). Its tasks read
    only the host files `host_files` allows, checked again as each task runs; a task's
    steps are in `running` while it runs (its log, before they are stored); `observe`
    hears of each of its adb calls; a task that asks for it has its phone's proxy rotated
    first, as `rotation` says it is set now."""

    def __init__(self, *, adb_host: str, adb_port: int, serial: str, data_dir: Path,
                 materials: MaterialLibrary, host_files: HostFiles, running: RunningSteps,
                 http: httpx.AsyncClient | None = None, call_timeout: float = 20.0,
                 observe: CallObserver = ignore_call, rotation: RotationOf = _no_rotation
                 ) -> None:
        self.serial = serial
        self._running = running
        self._driver = AdbDriver(adb_host, adb_port, serial, limiter=trio.CapacityLimiter(1),
                                 timeout=call_timeout, observe=observe)
        self._data_dir = data_dir
        self._materials = materials
        self._host_files = host_files
        self._http = http
        self._rotation = rotation

    async def __call__(self, task: Task, steps: StepLog) -> RunResult:
        try:
            ctx = ScriptContext.for_task(serial=self.serial, task_id=task.id,
                                         script_config=task.script_config,
                                         username=task.username, data_dir=self._data_dir,
                                         rng=random.Random(), http=self._http,
                                         materials=self._materials,
                                         host_files=self._host_files)
            with self._running.showing(task.id, steps):
                if task.rotate_proxy:
                    steps.add(await self._rotate())
                return await run_task(Recorded(self._driver, steps), task.script_name,
                                      task.script_config, ctx)
        except (StepFailed, ScriptError, DriverError) as exc:
            failed = self._failed(task, exc)
            if failed.failure is not Failure.PHONE_LOST:
                await self._keep_screen(steps)
            raise failed from exc

    async def _rotate(self) -> str:
        """The phone's proxy rotated; what happened, in words (`actors._proxy`)."""
        rotation = await self._rotation()
        if self._http is not None:
            return await rotate(self._http, rotation, self.serial)
        async with httpx.AsyncClient() as http:
            return await rotate(http, rotation, self.serial)

    def _failed(self, task: Task, exc: StepFailed | ScriptError | DriverError) -> TaskFailed:
        match exc:
            case StepFailed():
                return TaskFailed(exc.remark, Failure.PERMANENT if exc.permanent
                                  else Failure.TRANSIENT)
            case ScriptError():  # its config, checked again as it runs
                return TaskFailed(f"cannot run {task.script_name}: {exc}", Failure.PERMANENT)
            case DeviceLost():
                return TaskFailed(f"lost phone {self.serial}: {exc.reason}",
                                  Failure.PHONE_LOST)
            case DriverTimeout():
                return TaskFailed(f"phone {self.serial} stopped answering: {exc.reason}")
        return TaskFailed(f"on phone {self.serial}: {exc.reason}")

    async def _keep_screen(self, steps: StepLog) -> None:
        """The screen the task failed on, in `steps`, if the phone gives it in time."""
        with trio.move_on_after(SCREENSHOT_TIMEOUT):
            try:
                steps.screenshot = await self._driver.screenshot()
                return
            except DriverError as exc:
                steps.add(f"no screenshot of the failure: {exc.reason}", "WARNING")
                return
        steps.add(f"no screenshot of the failure: none in {SCREENSHOT_TIMEOUT:g} s", "WARNING")
