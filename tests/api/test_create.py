"""`POST /task`: fan-out, ids and order, and every validation rule with its code."""

from __future__ import annotations

import datetime
from types import MappingProxyType
from typing import Any

import pytest

import scripts._registry
from actors import TaskStatus
from orchestrator.api._create import due_at
from orchestrator.errors import InvalidParams
from scripts import SCRIPTS, ScriptSpec

from .conftest import Api, AppAndCore

FOLLOW = {"serials": ["s1"], "script_name": "follow", "script_config": {"target_user": "a"}}


async def test_fan_out_devices_times_targets(farm: AppAndCore) -> None:
    """2 devices x 3 targets = 6 tasks, device-major, one request id, positions per device."""
    answer = await farm.api("POST", "task", {
        "serials": ["s1", "s2"], "script_name": "follow",
        "script_config": {"target_users": ["a", "b", "c"], "keep_me": 1}})
    assert (answer.status, answer.code, answer.message) == (200, 0, "success")
    assert answer.data["created_count"] == 6
    ids = answer.data["task_ids"]
    assert ids == sorted(ids)
    assert len(set(ids)) == 6
    tasks = [await farm.store.get_task(i) for i in ids]
    assert [(t.serial, t.script_config["target_user"], t.position) for t in tasks if t] == [
        ("s1", "a", 0), ("s1", "b", 1), ("s1", "c", 2),
        ("s2", "a", 0), ("s2", "b", 1), ("s2", "c", 2)]
    assert len({t.request_id for t in tasks if t}) == 1
    assert all(t.script_config["keep_me"] == 1 and t.source == "api" for t in tasks if t)


async def test_seed_example(farm: AppAndCore) -> None:
    """The overview page's curl body works unchanged; intervals reach the tasks."""
    answer = await farm.api("POST", "task", {
        "serials": ["device_serial_1", "device_serial_2"], "script_name": "follow",
        "script_config": {"target_username": "@example_user"},
        "enable_multi_account": False, "min_interval": 1, "max_interval": 5})
    assert answer.data["created_count"] == 2
    task = await farm.store.get_task(answer.data["task_ids"][1])
    assert task is not None
    assert (task.serial, task.min_interval, task.max_interval) == ("device_serial_2", 1, 5)
    assert task.script_config["target_user"] == "example_user"


async def test_start_time_passed_is_due_now(farm: AppAndCore) -> None:
    """`start_time` earlier today (00:00) means due now; absent means due now too."""
    before = farm.clock.now()
    for extra in ({"start_time": "00:00"}, {}):
        (task_id,) = await farm.api.create(["s1"], ["a"], **extra)
        task = await farm.store.get_task(task_id)
        assert task is not None
        assert before <= task.due_at <= farm.clock.now()


class TestDueAt:
    NOW = datetime.datetime(2024, 5, 1, 9, 0, 30).timestamp()

    def test_later_today(self) -> None:
        """HH:MM is local time today."""
        assert due_at("10:30", self.NOW) == datetime.datetime(2024, 5, 1, 10, 30).timestamp()
        assert due_at("9:01", self.NOW) == datetime.datetime(2024, 5, 1, 9, 1).timestamp()

    @pytest.mark.parametrize("value", ["08:59", "09:00", None, ""])
    def test_passed_or_absent_is_now(self, value: str | None) -> None:
        assert due_at(value, self.NOW) == self.NOW

    @pytest.mark.parametrize("value", ["24:00", "12:60", "noon", "12:5", "2024-05-01 10:00"])
    def test_malformed(self, value: str) -> None:
        with pytest.raises(InvalidParams, match=r"^\$\.start_time: expected HH:MM"):
            due_at(value, self.NOW)


async def test_start_at_any_moment_to_come(farm: AppAndCore) -> None:
    """`start_at` is a moment, ISO 8601 with an offset or Unix seconds, days ahead too;
    one a few seconds gone (clocks differ) is now."""
    now = farm.clock.now()
    later = now + 3 * 86_400 + 0.5
    iso = datetime.datetime.fromtimestamp(later, datetime.UTC).isoformat()  # "+00:00"
    for start_at, due in [(iso, later), (later, later), (int(now) - 5, now)]:
        (task_id,) = await farm.api.create(["s1"], ["a"], start_at=start_at)
        task = await farm.store.get_task(task_id)
        assert task is not None
        assert task.due_at == pytest.approx(due, abs=1.0), start_at


@pytest.mark.parametrize(("start_at", "message"), [
    ("2026-12-24T18:00:00", "$.start_at: expected ISO 8601 with an offset"),
    ("tomorrow", "$.start_at: expected ISO 8601 with an offset"),
    (True, "$.start_at: expected ISO 8601 with an offset"),
    (1_700_000_000_000, "$.start_at: 1700000000000 is not a moment (Unix seconds)"),
    (-1, "$.start_at: -1 is not a moment"),
    (1_000_000_000, "$.start_at: 1000000000 has passed"),
])
async def test_start_at_mistakes(api: Api, start_at: object, message: str) -> None:
    answer = await api("POST", "task", {**FOLLOW, "start_at": start_at})
    assert (answer.code, answer.message.startswith(message)) == (40001, True), answer.message


async def test_start_at_with_start_time(api: Api) -> None:
    answer = await api("POST", "task", {**FOLLOW, "start_at": 4_000_000_000,
                                        "start_time": "10:00"})
    assert (answer.code, answer.message) == (
        40001, "$.start_at, $.start_time: give one of them, not both")


async def test_timeout_bounds_the_whole_run(farm: AppAndCore) -> None:
    """A task with `timeout` that runs longer fails "timed out after N s" (its log says
    so too); the task object shows its bound."""
    await farm.plug("s1")
    (task_id,) = await farm.api.create(["s1"], ["a"], timeout=1, config={"outcome": "hold"})
    shown = await farm.api("GET", f"task/{task_id}")
    assert (shown.data["timeout"], shown.data["schedule_id"]) == (1, None)
    failed = await farm.wait_status(task_id, TaskStatus.FAILED)
    assert failed.remark == "timed out after 1 s"
    log = await farm.api("GET", f"task/{task_id}/log")
    assert log.data["lines"][-1]["message"] == "failed: timed out after 1 s"


def _with(**changes: Any) -> dict[str, Any]:
    body = {**FOLLOW, **changes}
    return {key: value for key, value in body.items() if value is not ...}


@pytest.mark.parametrize(("body", "code", "message"), [
    pytest.param(_with(script_name=...), 40002, "script_name is required", id="missing"),
    pytest.param(_with(script_name=""), 40002, "script_name is required", id="empty"),
    pytest.param(_with(script_name="dance", serials=...), 40001,
                 "$.script_name: unknown script 'dance'", id="unknown"),
    pytest.param(_with(serials=...), 40001,
                 "$.serials: required unless groups or usernames is given", id="no-devices"),
    pytest.param(_with(usernames=["@x"]), 40001,
                 "give phones (serials, groups) or accounts (usernames), not both", id="both"),
    pytest.param(_with(serials=..., groups=["shelf"], usernames=["@x"]), 40001,
                 "give phones (serials, groups) or accounts (usernames), not both",
                 id="groups-and-accounts"),
    pytest.param(_with(groups=["nope"]), 40001, "$.groups[0]: no group named 'nope'",
                 id="no-such-group"),
    pytest.param(_with(groups=[" "]), 40001, "$.groups[0]: must not be empty",
                 id="blank-group"),
    pytest.param(_with(serials=[]), 40001, "the request makes no tasks", id="zero"),
    pytest.param(_with(serials=["s1", " "]), 40001, "$.serials[1]: must not be empty",
                 id="blank-serial"),
    pytest.param(_with(serials=..., usernames=["@alice", "bob"]), 40001,
                 "$.usernames[0]: account @alice not found", id="usernames"),
    pytest.param(_with(enable_multi_account=True), 40001,
                 "$.serials[0]: no enabled tiktok account is bound to device s1",
                 id="multi-account"),
    pytest.param(_with(min_interval=5, max_interval=2), 40001,
                 "$.min_interval: must not exceed max_interval (5 > 2)", id="min>max"),
    pytest.param(_with(min_interval=-1), 40001, "$.min_interval: must be at least 0",
                 id="negative"),
    pytest.param(_with(max_interval="5"), 40001,
                 "$.max_interval: expected an integer, got a string", id="interval-type"),
    pytest.param(_with(serials="s1"), 40001, "$.serials: expected an array, got a string",
                 id="serials-type"),
    pytest.param(_with(serials=["s1", 2]), 40001, "$.serials[1]: expected a string",
                 id="serial-type"),
    pytest.param(_with(enable_multi_account="yes"), 40001,
                 "$.enable_multi_account: expected a boolean", id="flag-type"),
    pytest.param(_with(timeout=0), 40001, "$.timeout: must be at least 1, got 0",
                 id="timeout-zero"),
    pytest.param(_with(timeout=700_000), 40001, "$.timeout: must be at most 604800",
                 id="timeout-long"),
    pytest.param(_with(timeout="60"), 40001, "$.timeout: expected an integer, got a string",
                 id="timeout-type"),
    pytest.param(_with(start_time="25:00"), 40001, "$.start_time: expected HH:MM",
                 id="start-time"),
    pytest.param(_with(script_config=...), 40001, "$.script_config: expected an object",
                 id="no-config"),
    pytest.param(_with(script_config={"target_users": ["a", 3]}), 40001,
                 "$.script_config.target_users[1]: expected a string", id="config-type"),
    pytest.param(_with(script_config={}), 40001, "$.script_config.target_users",
                 id="config-missing-target"),
])
async def test_invalid(farm: AppAndCore, body: dict[str, Any], code: int, message: str) -> None:
    """Each rule answers its code, a message naming the field, and writes nothing."""
    answer = await farm.api("POST", "task", body)
    assert (answer.status, answer.code, answer.data) == (code // 100, code, None)
    assert message in answer.message
    assert (await farm.store.task_stats()).total == 0


async def test_groups_name_phones_with_serials(api: Api) -> None:
    """`groups` and `serials` together: the union, each phone once, in the order given;
    group names whatever their case."""
    await api("POST", "groups", {"name": "Shelf", "serials": ["s2", "s3"]})
    await api("POST", "groups", {"name": "Desk", "serials": ["s3", "s4"]})
    answer = await api("POST", "task", {**FOLLOW, "serials": ["s1", "s3"],
                                        "groups": ["shelf", "DESK"]})
    assert answer.code == 0, answer
    tasks = [(await api("GET", f"task/{task_id}")).data["serial"]
             for task_id in answer.data["task_ids"]]
    assert tasks == ["s1", "s3", "s2", "s4"]
    alone = await api("POST", "task", _with(serials=..., groups=["Desk"]))
    assert alone.data["created_count"] == 2


async def test_script_not_api_enabled(farm: AppAndCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script that is only announced (none is, today) answers 40003 and writes nothing."""
    announced = {**SCRIPTS, "dance": ScriptSpec(name="dance")}
    monkeypatch.setattr(scripts._registry, "SCRIPTS", MappingProxyType(announced))
    answer = await farm.api("POST", "task", _with(script_name="dance"))
    assert (answer.status, answer.code) == (400, 40003)
    assert "script 'dance' is not available through the API" in answer.message
    assert (await farm.store.task_stats()).total == 0


async def test_unknown_top_level_keys_tolerated(api: Api) -> None:
    answer = await api("POST", "task", {**FOLLOW, "priority": "high"})
    assert answer.data["created_count"] == 1


async def test_all_five_scripts(api: Api) -> None:
    """Each API script takes a minimal config."""
    configs = {"post": {"captions": "hi {a|b}", "material_list": ["materials/v.mp4"]},
               "follow": {"target_user": "a"}, "unfollow": {"target_users": ["a", "b"]},
               "comment": {"target_post_url": "https://www.tiktok.com/@a/video/1",
                           "comment_content": "nice"},
               "account_warmup": {}}
    for name, config in configs.items():
        answer = await api("POST", "task", {"serials": ["s1"], "script_name": name,
                                            "script_config": config})
        assert answer.code == 0, answer
