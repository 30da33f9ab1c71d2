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
    RunResult,
    ScriptContext,
    ScriptError,
    StepFailed,
    run_task,
)
from scripts.driver import AdbDriver, DeviceLost, DriverError, DriverTimeout

from ._model import Task
from ._ports import Failure, TaskFailed

__all__ = ["ScriptRunner"]


class ScriptRunner:
    """Runs tasks on one phone; one instance per device actor, so calls to a phone never
    overlap (its driver's limiter admits one adbutils call at a time). Its tasks read
    only the host files `host_files` allows, checked again as each task runs."""

    def __init__(self, *, adb_host: str, adb_port: int, serial: str, data_dir: Path,
                 materials: MaterialLibrary, host_files: HostFiles,
                 http: httpx.AsyncClient | None = None, call_timeout: float = 20.0) -> None:
        self.serial = serial
        self._driver = AdbDriver(adb_host, adb_port, serial, limiter=trio.CapacityLimiter(1),
                                 timeout=call_timeout)
        self._data_dir = data_dir
        self._materials = materials
        self._host_files = host_files
        self._http = http

    async def __call__(self, task: Task) -> RunResult:
        try:
            ctx = ScriptContext.for_task(serial=self.serial, task_id=task.id,
                                         script_config=task.script_config,
                                         username=task.username, data_dir=self._data_dir,
                                         rng=random.Random(), http=self._http,
                                         materials=self._materials,
                                         host_files=self._host_files)
            return await run_task(self._driver, task.script_name, task.script_config, ctx)
        except StepFailed as exc:
            raise TaskFailed(exc.remark, Failure.PERMANENT if exc.permanent
                             else Failure.TRANSIENT) from exc
        except ScriptError as exc:  # its config, checked again as it runs
            raise TaskFailed(f"cannot run {task.script_name}: {exc}",
                             Failure.PERMANENT) from exc
        except DeviceLost as exc:
            raise TaskFailed(f"lost phone {self.serial}: {exc.reason}",
                             Failure.PHONE_LOST) from exc
        except DriverTimeout as exc:
            raise TaskFailed(f"phone {self.serial} stopped answering: {exc.reason}") from exc
        except DriverError as exc:
            raise TaskFailed(f"on phone {self.serial}: {exc.reason}") from exc
