"""Accounts end to end: usernames and multi-account runs through the HTTP API on simulated
phones whose apps hold several accounts, read back from the apps."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trio

from orchestrator.simulator import Phone, open_simulator
from orchestrator.simulator.apps import SocialApp

from .test_end_to_end import API_PLACES, DEADLINE, ServiceAndPhones, ended, open_farm

CLONE = "com.zhiliaoapp.musically.clone"


@API_PLACES
async def farm(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ServiceAndPhones]:
    """Two phones with the stock apps, and `clone-1` with only a clone of TikTok."""
    async with open_simulator(2) as sim:
        sim.farm.plug(Phone("clone-1", apps=[
            SocialApp.factory("tiktok", accounts=["stock"], package=CLONE)]))
        async with open_farm(sim, tmp_path, api_processes=request.param) as farm:
            yield farm


async def accounts(farm: ServiceAndPhones, *rows: dict[str, Any]) -> None:
    """Store `rows` through the import, and put them on their phones' apps (logged in
    unless the row's `logined` is 0)."""
    await farm.call("POST", "/accounts/import", json=list(rows))
    for row in rows:
        app = farm.phone(row["device"]).apps[row.get("packagename", "com.zhiliaoapp.musically")]
        assert isinstance(app, SocialApp)
        app.add_account(row["username"], logged_in=row.get("logined", 1) == 1)


async def run(farm: ServiceAndPhones, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Create the tasks of `body` and wait until they all ended; the tasks, in order."""
    created = await farm.call("POST", "/task", json=body)
    return [await farm.wait_for(task_id, ended) for task_id in created["task_ids"]]


def follows(farm: ServiceAndPhones, serial: str, username: str, *,
            package: str | None = None) -> set[str]:
    app = farm.phone(serial).apps[package or "com.zhiliaoapp.musically"]
    assert isinstance(app, SocialApp)
    account = app.account(username)
    assert account is not None
    return account.following


async def test_usernames_run_as_their_accounts(farm: ServiceAndPhones) -> None:
    """Each account's phone switches to it and follows; the phone's other accounts don't."""
    await accounts(farm, {"username": "ua", "device": "sim-0001"},
                   {"username": "ub", "device": "sim-0002"})
    before = {serial: farm.tiktok(serial).current for serial in ("sim-0001", "sim-0002")}
    with trio.fail_after(DEADLINE):
        tasks = await run(farm, {"usernames": ["@UA", "ub"], "script_name": "follow",
                                 "script_config": {"target_user": "zoe"}})
    assert [(t["serial"], t["username"], t["status_text"]) for t in tasks] == [
        ("sim-0001", "ua", "completed"), ("sim-0002", "ub", "completed")]
    assert follows(farm, "sim-0001", "ua") == {"zoe"}
    assert follows(farm, "sim-0002", "ub") == {"zoe"}
    for account in before.values():
        assert account is not None
        assert account.following == set()


async def test_multi_account_runs_each_account_in_turn(farm: ServiceAndPhones) -> None:
    """Every enabled account of each phone follows, one after another; a disabled one is
    left alone; a clone app is driven by its own package; an account the app has logged
    out fails with a clear remark."""
    await accounts(
        farm,
        {"username": "m1", "device": "sim-0001"}, {"username": "m2", "device": "sim-0001"},
        {"username": "idle", "device": "sim-0001", "status": 1},
        {"username": "m3", "device": "sim-0002"},
        {"username": "gone", "device": "sim-0002", "logined": 0},
        {"username": "c1", "device": "clone-1", "packagename": CLONE})
    with trio.fail_after(DEADLINE):
        tasks = await run(farm, {
            "serials": ["sim-0001", "sim-0002", "clone-1"], "enable_multi_account": True,
            "script_name": "follow", "script_config": {"target_users": ["t1", "t2"]}})
    outcome = [(t["serial"], t["username"], t["script_config"]["target_user"],
                t["status_text"]) for t in tasks]
    assert outcome == [
        ("sim-0001", "m1", "t1", "completed"), ("sim-0001", "m1", "t2", "completed"),
        ("sim-0001", "m2", "t1", "completed"), ("sim-0001", "m2", "t2", "completed"),
        ("sim-0002", "m3", "t1", "completed"), ("sim-0002", "m3", "t2", "completed"),
        ("sim-0002", "gone", "t1", "failed"), ("sim-0002", "gone", "t2", "failed"),
        ("clone-1", "c1", "t1", "completed"), ("clone-1", "c1", "t2", "completed")]
    assert {t["remark"] for t in tasks if t["username"] == "gone"} == {
        "account @gone is not logged in on sim-0002"}
    for serial, name in (("sim-0001", "m1"), ("sim-0001", "m2"), ("sim-0002", "m3")):
        assert follows(farm, serial, name) == {"t1", "t2"}
    assert follows(farm, "sim-0001", "idle") == set()
    assert follows(farm, "sim-0002", "gone") == set()
    assert follows(farm, "clone-1", "c1", package=CLONE) == {"t1", "t2"}
    assert follows(farm, "clone-1", "stock", package=CLONE) == set()
    one_phone = [t for t in tasks if t["serial"] == "sim-0001"]
    for earlier, later in itertools.pairwise(one_phone):
        assert later["start_time"] >= earlier["end_time"]  # one after another


async def test_unknown_account_creates_nothing(farm: ServiceAndPhones) -> None:
    await accounts(farm, {"username": "known", "device": "sim-0001"})
    answer = (await farm.api.post("/api/v1/task", json={
        "usernames": ["known", "@nobody"], "script_name": "follow",
        "script_config": {"target_user": "zoe"}})).json()
    assert (answer["code"], answer["message"]) == (
        40001, "$.usernames[1]: account @nobody not found on tiktok")
    assert (await farm.call("GET", "/task/stats"))["total"] == 0
