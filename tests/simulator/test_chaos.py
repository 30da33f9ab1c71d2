"""Fault knobs as the command line sets them: `FaultPlan`, churn, and `orchestrator sim`."""

from __future__ import annotations

import functools
import random
import subprocess
import sys

import pytest
import trio
import trio.testing

from orchestrator.simulator import Farm, FaultPlan, run_churn


def farm_of(count: int) -> Farm:
    farm = Farm()
    farm.add(count, apps=[])
    return farm


def test_plan_sets_knobs_on_the_first_phones_and_states_on_the_last() -> None:
    """`--faulty 2 --latency .5 --offline 1 --unauthorized 1` on five phones."""
    farm = farm_of(5)
    FaultPlan(faulty=2, latency=0.5, hang="sleep", dump_fails=True, offline=1,
              unauthorized=1).apply(farm)
    phones = list(farm)
    assert [p.faults.latency for p in phones] == [0.5, 0.5, 0, 0, 0]
    assert [p.faults.hang for p in phones] == ["sleep", "sleep", None, None, None]
    assert phones[0].faults.dump_fails
    assert [p.state for p in phones] == ["device", "device", "device", "offline",
                                         "unauthorized"]


async def test_latency_delays_every_command(autojump_clock: trio.testing.MockClock) -> None:
    farm = farm_of(1)
    FaultPlan(latency=2.0).apply(farm)
    [phone] = farm
    start = trio.current_time()
    result = await phone.shell("echo hi")
    assert result.stdout == b"hi\n"
    assert trio.current_time() - start == pytest.approx(2.0)


async def test_dump_delay_and_failure(autojump_clock: trio.testing.MockClock) -> None:
    farm = farm_of(1)
    FaultPlan(dump_delay=3.0).apply(farm)
    [phone] = farm
    start = trio.current_time()
    assert b"dumped" in (await phone.shell("uiautomator dump")).stdout
    assert trio.current_time() - start == pytest.approx(3.0)
    phone.faults.dump_fails = True
    phone.fs.remove("/sdcard/window_dump.xml")
    failed = await phone.shell("uiautomator dump")
    assert b"ERROR" in failed.stdout + failed.stderr
    assert not phone.fs.exists("/sdcard/window_dump.xml")


async def test_crash_on_closes_the_app_in_front() -> None:
    """`--crash-on 'input tap'`: the app in front is gone before the tap lands."""
    farm = Farm()
    [phone] = farm.add(1)
    FaultPlan(crash_on="input tap").apply(farm)
    phone.launch("com.zhiliaoapp.musically")
    assert phone.foreground is not None
    await phone.shell("input tap 540 1200")
    assert phone.foreground is None
    assert phone.faults.crash_on is None  # once
    assert b"nexuslauncher" in (await phone.shell("dumpsys window")).stdout


async def test_churn_unplugs_and_plugs_back(autojump_clock: trio.testing.MockClock) -> None:
    """Every period one phone leaves, and comes back the period after."""
    farm = farm_of(3)
    seen: list[int] = []
    with trio.move_on_after(10.5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(functools.partial(run_churn, farm, 1.0, rng=random.Random(3)))
            while True:
                await farm.wait_changed(farm.version)
                seen.append(len(farm))
    assert seen[:4] == [2, 3, 2, 3]
    assert len(seen) == 10


def test_sim_command_lists_its_flags() -> None:
    """`orchestrator sim --help` explains the fault knobs."""
    result = subprocess.run([sys.executable, "-m", "orchestrator", "sim", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    for flag in ("--devices", "--port", "--latency", "--hang", "--dump-delay", "--dump-fails",
                 "--disconnect-on", "--crash-on", "--offline", "--unauthorized", "--churn",
                 "--faulty"):
        assert flag in result.stdout
