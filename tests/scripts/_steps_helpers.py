"""Shared by the `test_steps_*` tests: a simulated farm, drivers over its real ADB
sockets, and running a script task the way a device actor does."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from orchestrator.simulator import Simulator, open_simulator
from orchestrator.simulator.apps import INSTAGRAM, TIKTOK, Account, SocialApp
from scripts._context import RunResult, ScriptContext
from scripts._host_files import HostFiles
from scripts._registry import run_task, validate
from scripts.driver import AdbDriver

__all__ = ["DEADLINE", "PACKAGES", "account_of", "app_of", "run_script", "serials", "sim"]

#: Every test ends within this many seconds, whatever happens.
DEADLINE = 20
PACKAGES = {"tiktok": TIKTOK, "instagram": INSTAGRAM}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with open_simulator(2) as simulator:
        yield simulator


def serials(sim: Simulator) -> list[str]:
    return sorted(phone.serial for phone in sim.farm)


def app_of(sim: Simulator, serial: str, platform: str = "tiktok") -> SocialApp:
    """The simulated app whose state a test reads back."""
    phone = sim.farm.get(serial)
    assert phone is not None
    app = phone.apps[PACKAGES[platform]]
    assert isinstance(app, SocialApp)
    return app


def account_of(sim: Simulator, serial: str, platform: str = "tiktok") -> Account:
    """The app's current account: whose follows, likes, comments and posts tests read."""
    account = app_of(sim, serial, platform).current
    assert account is not None
    return account


async def run_script(sim: Simulator, serial: str, name: str, raw: dict[str, Any], *,
                     data_dir: Path = Path("."), username: str | None = None,
                     task: int = 0, **options: Any) -> RunResult:
    """Validate and fan out `raw`, then run its `task`-th task on `serial` through a
    real `AdbDriver`, as a device actor would."""
    _, tasks = validate(name, raw, rng=random.Random(7))
    config = tasks[task]
    driver = AdbDriver(sim.host, sim.port, serial, limiter=trio.CapacityLimiter(1),
                       timeout=5)
    options.setdefault("host_files", HostFiles.of(data_dir))
    ctx = ScriptContext.for_task(serial=serial, task_id=task + 1, script_config=config,
                                 username=username, data_dir=data_dir,
                                 rng=random.Random(11), **options)
    with trio.fail_after(DEADLINE):
        return await run_task(driver, name, config, ctx)
