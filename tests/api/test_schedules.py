"""`/schedules`: created, checked, changed and deleted through the API, and their slots
run by the real scheduler with the real planner in virtual time, across both
daylight-saving changes of a year and across a restart."""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import trio
import trio.testing

from actors import SchedulerSettings, Task, TaskFilter, TaskSource, WallClock
from orchestrator.plans import default_plan

from .conftest import Api, AppAndCore, open_farm

NEW_YORK = ZoneInfo("America/New_York")
FOLLOW = {"script_name": "follow", "script_config": {"target_users": ["alice"]}}


def _utc(text: str) -> float:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC).timestamp()


async def test_a_schedule_from_creation_to_deletion(farm: AppAndCore) -> None:
    """Its next slot is there right after each change (null once disabled); a slot's
    fields are checked as `POST /task` checks them; its tasks stay when it goes."""
    api = farm.api
    await api("POST", "groups", {"name": "shelf", "serials": ["s1", "s2"]})
    created = await api("POST", "schedules", {
        "name": "Morning warmup", "weekdays": [5, 1, 1], "times": ["21:30", "09:00"],
        "groups": ["shelf"], **FOLLOW})
    assert created.code == 0, created
    schedule = created.data
    assert (schedule["weekdays"], schedule["times"]) == ([1, 5], ["09:00", "21:30"])
    assert (schedule["last_run_at"], schedule["last_outcome"]) == (None, "")
    nxt = datetime.datetime.strptime(schedule["next_run_at"], "%Y-%m-%d %H:%M:%S")
    assert nxt.isoweekday() in (1, 5)
    assert nxt.strftime("%H:%M") in ("09:00", "21:30")
    assert nxt > datetime.datetime.now()

    path = f"schedules/{schedule['id']}"
    off = await api("PUT", path, {"enabled": False})
    assert (off.code, off.data["next_run_at"], off.data["name"]) == (0, None, "Morning warmup")
    sunday = await api("PUT", path, {"enabled": True, "weekdays": [7], "times": ["06:15"]})
    assert sunday.data["next_run_at"].endswith(" 06:15:00")
    assert datetime.datetime.strptime(sunday.data["next_run_at"][:10],
                                      "%Y-%m-%d").isoweekday() == 7
    listed = await api("GET", "schedules")
    assert (listed.data["total"], listed.data["schedules"]) == (1, [sunday.data])
    assert (await api("GET", path)).data == sunday.data

    gone = await api("DELETE", path)
    assert gone.data == {"deleted_count": 1, "schedule_ids": [schedule["id"]]}
    for method in ("GET", "PUT", "DELETE"):
        again = await api(method, path, {} if method == "PUT" else None)
        assert (again.code, again.message) == (40401, f"schedule {schedule['id']} not found")


@pytest.mark.parametrize(("body", "message"), [
    ({"times": ["9:00"]}, "$.times[0]: expected HH:MM (00:00 to 23:59), got '9:00'"),
    ({"times": []}, "$.times: 1 to 96 times of the day, got 0"),
    ({"weekdays": [0]}, "$.weekdays[0]: must be at least 1, got 0"),
    ({"weekdays": [8]}, "$.weekdays[0]: must be at most 7, got 8"),
    ({"weekdays": []}, "$.weekdays: at least one day"),
    ({"name": " "}, "$.name: 1 to 64 characters, got 0"),
    ({"serials": []}, "$.serials: required unless groups or usernames is given"),
    ({"groups": ["nope"]}, "$.groups[0]: no group named 'nope'"),
    ({"script_name": "dance"}, "$.script_name: unknown script 'dance'"),
    ({"script_config": {}}, "$.script_config.target_users: required"),
    ({"script_config": []}, "$.script_config: expected an object"),
    ({"timeout": 0}, "$.timeout: must be at least 1, got 0"),
    ({"min_interval": 5, "max_interval": 1}, "$.min_interval: must not exceed max_interval"),
    ({"enabled": "yes"}, "$.enabled: expected a boolean"),
])
async def test_a_mistake_names_its_field(api: Api, body: dict[str, Any], message: str) -> None:
    """Refused with 40001 naming the field, and nothing is created."""
    answer = await api("POST", "schedules", {"name": "daily", "times": ["09:00"],
                                             "serials": ["s1"], **FOLLOW, **body})
    assert (answer.code, answer.message.startswith(message)) == (40001, True), answer.message
    assert (await api("GET", "schedules")).data["total"] == 0


async def test_names_are_unique_whatever_their_case(api: Api) -> None:
    body = {"name": "Daily", "times": ["09:00"], "serials": ["s1"], **FOLLOW}
    first = (await api("POST", "schedules", body)).data
    again = await api("POST", "schedules", {**body, "name": "DAILY"})
    assert (again.code, again.message) == (
        40001, f"$.name: a schedule named 'DAILY' exists already (schedule {first['id']})")
    other = (await api("POST", "schedules", {**body, "name": "other"})).data
    renamed = await api("PUT", f"schedules/{other['id']}", {"name": "daily"})
    assert renamed.code == 40001
    assert (await api("PUT", f"schedules/{first['id']}", {"name": "DAILY"})).code == 0


async def test_a_keyed_repeat_creates_one_schedule(api: Api) -> None:
    body = {"name": "daily", "times": ["09:00"], "serials": ["s1"], **FOLLOW}
    key = {"Idempotency-Key": "schedule-1"}
    first = await api("POST", "schedules", body, headers=key)
    again = await api("POST", "schedules", body, headers=key)
    assert (first.code, again.data) == (0, first.data)
    assert (await api("GET", "schedules")).data["total"] == 1


# --- slots, in virtual time ---------------------------------------------------------
@pytest.fixture
def clock() -> trio.testing.MockClock:
    # Jump only after 20 ms of real idleness; the store is inline besides, so virtual
    # time never leaps past one of its calls.
    return trio.testing.MockClock(autojump_threshold=0.02)


@asynccontextmanager
async def scheduled(tmp_path: Path, epoch: float) -> AsyncIterator[AppAndCore]:
    """The core and its app, trio's time 0 being wall time `epoch`, schedules in New
    York's time, with phones s1 and s2."""
    async with open_farm(tmp_path, default_plan(), clock=WallClock(epoch), inline=True,
                         settings=SchedulerSettings(auto_retry=False, zone=NEW_YORK)) as farm:
        await farm.plug("s1")
        await farm.plug("s2")
        yield farm


async def _made(farm: AppAndCore) -> list[Task]:
    tasks, _ = await farm.store.list_tasks(TaskFilter(source=TaskSource.SCHEDULE),
                                           offset=0, limit=1000, newest_first=False)
    return tasks


@pytest.mark.parametrize(("start", "runs"), [
    pytest.param(  # 2027-03-14: 02:00 EST becomes 03:00 EDT
        "2027-03-13T17:00", ["2027-03-14T06:30", "2027-03-14T07:30", "2027-03-15T05:30",
                             "2027-03-15T06:30"], id="spring-forward"),
    pytest.param(  # 2027-11-07: 02:00 EDT becomes 01:00 EST
        "2027-11-06T16:00", ["2027-11-07T05:30", "2027-11-07T07:30", "2027-11-08T06:30",
                             "2027-11-08T07:30"], id="fall-back"),
])
async def test_slots_across_a_daylight_saving_change(
        tmp_path: Path, clock: trio.testing.MockClock, start: str, runs: list[str]) -> None:
    """01:30 and 02:30 New York time, every day, from the day before a change (noon
    local) to the day after: on the day clocks go forward, 02:30 (which does not exist)
    runs once at 03:30 EDT, not lost; on the day they go back, 01:30 (which comes twice)
    runs once, at its first occurrence. Each slot makes its tasks, due at the slot."""
    async with scheduled(tmp_path, _utc(start)) as farm:
        created = await farm.api("POST", "schedules", {
            "name": "night", "times": ["01:30", "02:30"], "serials": ["s1", "s2"],
            **FOLLOW})
        assert created.code == 0, created
        await trio.sleep(2.5 * 86_400)
        made = await _made(farm)
        assert sorted({task.due_at for task in made}) == [_utc(run) for run in runs]
        assert len(made) == 2 * len(runs)  # one task on each phone a slot
        assert {(t.schedule_id, t.status.text, t.request_id) for t in made} == {
            (created.data["id"], "completed", t.request_id) for t in made}
        assert len({t.request_id for t in made}) == len(runs)
        schedule = (await farm.api("GET", f"schedules/{created.data['id']}")).data
        assert (schedule["last_run_at"], schedule["last_outcome"]) == (
            _local(_utc(runs[-1])), "created 2 task(s)")


def _local(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment).strftime("%Y-%m-%d %H:%M:%S")


async def test_a_slot_missed_while_down_is_skipped_and_logged(
        tmp_path: Path, clock: trio.testing.MockClock,
        caplog: pytest.LogCaptureFixture) -> None:
    """A slot that passed while the orchestrator was down is not run late at start: it
    is logged, and the next one is the first to run."""
    start = _utc("2027-06-01T12:00")  # 08:00 EDT, a Tuesday
    async with scheduled(tmp_path, start) as farm:
        created = await farm.api("POST", "schedules", {
            "name": "nine", "times": ["09:00"], "serials": ["s1"], **FOLLOW})
        assert created.data["next_run_at"] == _local(_utc("2027-06-01T13:00"))
    clock.jump(3 * 3600)  # down from 08:00 to 11:00
    caplog.set_level(logging.WARNING, "actors")
    async with scheduled(tmp_path, start + 3 * 3600) as farm:
        schedule = (await farm.api("GET", "schedules")).data["schedules"][0]
        assert schedule["next_run_at"] == _local(_utc("2027-06-02T13:00"))
        assert await _made(farm) == []
        await trio.sleep(86_400)
        assert [t.due_at for t in await _made(farm)] == [_utc("2027-06-02T13:00")]
    assert "passed while the orchestrator was down, skipped" in caplog.text


async def test_a_slot_whose_group_emptied_says_so(
        tmp_path: Path, clock: trio.testing.MockClock) -> None:
    """A slot whose request makes no tasks now is recorded with why; the next comes."""
    async with scheduled(tmp_path, _utc("2027-06-01T12:00")) as farm:
        group = (await farm.api("POST", "groups", {"name": "shelf", "serials": ["s1"]})).data
        created = (await farm.api("POST", "schedules", {
            "name": "nine", "times": ["09:00"], "groups": ["shelf"], **FOLLOW})).data
        await farm.api("PUT", f"groups/{group['id']}", {"serials": []})
        await trio.sleep(3600 + 60)
        schedule = (await farm.api("GET", f"schedules/{created['id']}")).data
        assert schedule["last_outcome"] == (
            "made no tasks: the request makes no tasks: no devices (or accounts), or no "
            "targets in script_config")
        assert schedule["next_run_at"] == _local(_utc("2027-06-02T13:00"))


async def test_an_emptied_group_does_not_stop_a_switch_off(
        tmp_path: Path, clock: trio.testing.MockClock) -> None:
    """A schedule that is on is checked by a dry run; switching one off is not (its
    request may make no tasks now, the reason to switch it off)."""
    async with scheduled(tmp_path, _utc("2027-06-01T12:00")) as farm:
        group = (await farm.api("POST", "groups", {"name": "shelf", "serials": ["s1"]})).data
        created = (await farm.api("POST", "schedules", {
            "name": "nine", "times": ["09:00"], "groups": ["shelf"], **FOLLOW})).data
        await farm.api("PUT", f"groups/{group['id']}", {"serials": []})
        off = await farm.api("PUT", f"schedules/{created['id']}", {"enabled": False})
        assert (off.code, off.data["next_run_at"]) == (0, None)
        on = await farm.api("PUT", f"schedules/{created['id']}", {"enabled": True})
        assert (on.code, on.message.startswith("the request makes no tasks")) == (40001, True)


async def test_a_clock_set_back_runs_no_slot_twice(
        tmp_path: Path, clock: trio.testing.MockClock) -> None:
    """A restart with the clock a day behind the last slot run: the next slot is the
    first after that run, not one that ran already."""
    start = _utc("2027-06-01T12:00")  # 08:00 EDT
    async with scheduled(tmp_path, start) as farm:
        await farm.api("POST", "schedules", {"name": "nine", "times": ["09:00"],
                                             "serials": ["s1"], **FOLLOW})
        await trio.sleep(3600 + 60)
        assert [t.due_at for t in await _made(farm)] == [_utc("2027-06-01T13:00")]
    async with scheduled(tmp_path, start - 86_400 + 3600 + 120) as farm:  # a day behind
        schedule = (await farm.api("GET", "schedules")).data["schedules"][0]
        assert schedule["next_run_at"] == _local(_utc("2027-06-02T13:00"))
        await trio.sleep(2 * 86_400)
        assert [t.due_at for t in await _made(farm)] == [
            _utc("2027-06-01T13:00"), _utc("2027-06-02T13:00")]


async def test_a_slot_the_store_refuses_waits_and_runs(
        tmp_path: Path, clock: trio.testing.MockClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The store refuses a slot's write twice (a full disk): the slot is not lost, it
    runs once the store takes it, a little late, and once."""
    async with scheduled(tmp_path, _utc("2027-06-01T12:00")) as farm:
        created = (await farm.api("POST", "schedules", {
            "name": "nine", "times": ["09:00"], "serials": ["s1"], **FOLLOW})).data
        store = farm.store.schedules
        real, refusals = store.fire_schedule, [sqlite3.OperationalError("disk is full")] * 2

        async def refusing(*args: Any, **kwargs: Any) -> Any:
            if refusals:
                raise refusals.pop()
            return await real(*args, **kwargs)

        monkeypatch.setattr(store, "fire_schedule", refusing)
        await trio.sleep(3600 + 60)
        made = await _made(farm)
        assert [t.schedule_id for t in made] == [created["id"]]
        assert _utc("2027-06-01T13:00") < made[0].due_at < _utc("2027-06-01T13:00") + 10
        schedule = (await farm.api("GET", f"schedules/{created['id']}")).data
        assert (schedule["last_run_at"], schedule["next_run_at"]) == (
            _local(_utc("2027-06-01T13:00")), _local(_utc("2027-06-02T13:00")))
    assert "waits, the store refused it (disk is full)" in caplog.text
