"""The whole orchestrator as a user runs it: HTTP API in, simulated phones out.

The simulator runs beside the orchestrator (not inside it), so that the tests can read
the phones' app state back and pull phones out mid-task.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio
from PIL import Image

from actors import NewTask, SchedulerSettings, TaskStatus
from orchestrator.api import Webhooks
from orchestrator.service import Running, run_orchestrator
from orchestrator.settings import Settings
from orchestrator.simulator import Phone, Simulator, open_simulator
from orchestrator.simulator.apps import TIKTOK, SocialApp
from orchestrator.store import open_sqlite_store

DEADLINE = 60


@attrs.frozen
class ServiceAndPhones:
    """The orchestrator's service on `sim`'s phones, and a client of its API."""

    sim: Simulator
    api: httpx.AsyncClient
    running: Running

    def phone(self, serial: str) -> Phone:
        phone = self.sim.farm.get(serial)
        assert phone is not None
        return phone

    def tiktok(self, serial: str) -> SocialApp:
        app = self.phone(serial).apps[TIKTOK]
        assert isinstance(app, SocialApp)
        return app

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = await self.api.request(method, f"/api/v1{path}", **kwargs)
        body = answer.json()
        assert body["code"] == 0, body
        return body["data"]

    async def follow(self, serial: str, *targets: str) -> list[int]:
        """Create a follow task on `serial` for each of `targets`; their ids."""
        created = await self.call("POST", "/task", json={
            "serials": [serial], "script_name": "follow",
            "script_config": {"target_users": list(targets)}})
        ids: list[int] = created["task_ids"]
        return ids

    async def wait_for(self, task_id: int, done: Callable[[dict[str, Any]], bool]
                       ) -> dict[str, Any]:
        """Poll one task until `done(task)`; bounded by the test's deadline."""
        while True:
            task = await self.call("GET", f"/task/{task_id}")
            if done(task):
                return dict(task)
            await trio.sleep(0.02)


def ended(task: dict[str, Any]) -> bool:
    return task["status"] in (TaskStatus.COMPLETED, TaskStatus.FAILED)


@asynccontextmanager
async def open_farm(sim: Simulator, data_dir: Path, *,
                    scheduling: SchedulerSettings | None = None,
                    api_processes: int = 0, token: str | None = None,
                    webhooks: Webhooks | None = None, postgres: str | None = None,
                    ) -> AsyncIterator[ServiceAndPhones]:
    """The orchestrator on `sim`'s ADB server, once its watcher reports every phone."""
    async with trio.open_nursery() as nursery:
        settings = Settings(port=0, data_dir=data_dir, adb_host=sim.host, adb_port=sim.port,
                            scheduling=scheduling or SchedulerSettings(auto_retry=False),
                            api_processes=api_processes, token=token,
                            webhooks=webhooks or Webhooks(), postgres=postgres)
        running = await nursery.start(functools.partial(run_orchestrator, settings))
        headers = {"authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}",
                                     headers=headers) as api:
            farm = ServiceAndPhones(sim, api, running)
            with trio.fail_after(DEADLINE):
                while True:
                    if (await farm.call("GET", "/devices"))["total"] == len(sim.farm):
                        break
                    await trio.sleep(0.02)
            yield farm
        nursery.cancel_scope.cancel()


#: `api_processes` of the farms: the API in the orchestrator's process, or in one of its
#: own, which answers task reads itself and forwards the rest to the core.
API_PLACES = pytest.fixture(params=[0, 1], ids=["api-here", "api-process"])


@API_PLACES
async def farm(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ServiceAndPhones]:
    async with open_simulator(3) as sim, open_farm(sim, tmp_path,
                                                   api_processes=request.param) as farm:
        yield farm


async def test_follow_really_follows(farm: ServiceAndPhones) -> None:
    """2 phones x 2 users: four tasks, and each phone's account follows both users."""
    with trio.fail_after(DEADLINE):
        created = await farm.call("POST", "/task", json={
            "serials": ["sim-0001", "sim-0002"], "script_name": "follow",
            "script_config": {"target_users": ["@alice", "bob"]}})
        assert created["created_count"] == 4
        for task_id in created["task_ids"]:
            task = await farm.wait_for(task_id, ended)
            assert task["status_text"] == "completed", task["remark"]
    for serial in ("sim-0001", "sim-0002"):
        account = farm.tiktok(serial).current
        assert account is not None
        assert account.follows("alice")
        assert account.follows("bob")
    assert farm.tiktok("sim-0003").current.following == set()  # type: ignore[union-attr]


async def test_a_keyed_repeat_creates_nothing(farm: ServiceAndPhones) -> None:
    """`POST /task` twice with one `Idempotency-Key`, also through an API process (which
    forwards it to the core): the same answer, byte for byte, and the tasks made once."""
    body = {"serials": ["sim-0001"], "script_name": "follow",
            "script_config": {"target_users": ["alice"]}}
    with trio.fail_after(DEADLINE):
        first, again = [await farm.api.post("/api/v1/task", json=body,
                                            headers={"Idempotency-Key": "e2e-1"})
                        for _ in range(2)]
        stats = await farm.call("GET", "/task/stats")
    assert first.json()["code"] == 0
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert stats["total"] == 1


async def test_stop_frees_a_hung_phone_within_a_second(farm: ServiceAndPhones) -> None:
    """A running script on a phone that hangs is stopped within 1 s; the phone then
    runs its next task."""
    phone = farm.phone("sim-0001")
    phone.faults.hang = "uiautomator"
    with trio.fail_after(DEADLINE):
        first, second = await farm.follow("sim-0001", "carol", "dave")
        await farm.wait_for(first, lambda t: t["status_text"] == "running")
        await trio.sleep(0.3)  # well inside the hung dump
        phone.faults.hang = None
        start = trio.current_time()
        stopped = await farm.call("POST", f"/task/{first}/stop")
        assert trio.current_time() - start < 1.0
        assert (stopped["status_text"], stopped["remark"]) == ("failed", "stopped by user")
        task = await farm.wait_for(second, ended)
        assert task["status_text"] == "completed", task["remark"]
    assert farm.tiktok("sim-0001").current.follows("dave")  # type: ignore[union-attr]


async def test_a_phone_pulled_mid_task(farm: ServiceAndPhones) -> None:
    """The running task fails saying the device disconnected; the next one waits for
    the phone and runs when it is back."""
    phone = farm.phone("sim-0002")
    phone.faults.hang = "uiautomator"
    with trio.fail_after(DEADLINE):
        first, second = await farm.follow("sim-0002", "erin", "frank")
        await farm.wait_for(first, lambda t: t["status_text"] == "running")
        farm.sim.farm.unplug("sim-0002")
        failed = await farm.wait_for(first, ended)
        assert failed["status_text"] == "failed"
        assert "disconnected" in failed["remark"]
        await trio.sleep(0.5)
        assert (await farm.call("GET", f"/task/{second}"))["status_text"] == "pending"
        phone.faults.hang = None
        farm.sim.farm.plug(phone)
        task = await farm.wait_for(second, ended)
        assert task["status_text"] == "completed", task["remark"]


async def test_a_phone_that_dies_but_stays_listed(tmp_path: Path) -> None:
    """adb 29 lists a network phone that died for some 30 s more: the task that lost it
    waits for it (no retry spent), the phone shows offline at once and gets no work,
    and both tasks run once it answers again."""
    async with open_simulator(1) as sim, open_farm(sim, tmp_path, scheduling=(
            SchedulerSettings(auto_retry=True))) as farm:
        phone = farm.phone("sim-0001")
        phone.faults.hang = "uiautomator"
        with trio.fail_after(DEADLINE):
            first, second = await farm.follow("sim-0001", "erin", "frank")
            await farm.wait_for(first, lambda t: t["status_text"] == "running")
            phone.faults.unreachable = True
            phone.cut_streams()
            waiting = await farm.wait_for(first, lambda t: t["status_text"] == "pending")
            assert waiting["retry_count"] == 0
            assert waiting["remark"].startswith(  # during whichever command it ran
                "waiting: phone sim-0001 is offline; its last run stopped: lost phone "
                "sim-0001: the connection broke during `"), waiting["remark"]
            [device] = (await farm.call("GET", "/devices"))["devices"]
            assert (device["state"], device["pending_count"]) == ("offline", 2)
            assert (await farm.call("GET", f"/task/{second}"))["remark"] == \
                "waiting: phone sim-0001 is offline"
            phone.faults.unreachable, phone.faults.hang = False, None
            for task_id in (first, second):
                task = await farm.wait_for(task_id, ended)
                assert (task["status_text"], task["retry_count"]) == ("completed", 0), task
        assert farm.tiktok("sim-0001").current.follows("frank")  # type: ignore[union-attr]


async def test_only_a_failure_that_may_pass_is_retried(tmp_path: Path) -> None:
    """A profile that does not exist fails once for good; a screen that did not come is
    retried, and the pending task says when and why."""
    async with open_simulator(1) as sim, open_farm(sim, tmp_path, scheduling=(
            SchedulerSettings(auto_retry=True, retry_delay=(60, 60)))) as farm:
        farm.tiktok("sim-0001").world.remove_user("ghost_user")
        with trio.fail_after(DEADLINE):
            [gone] = await farm.follow("sim-0001", "ghost_user")
            failed = await farm.wait_for(gone, ended)
            assert (failed["status_text"], failed["retry_count"], failed["remark"]) == (
                "failed", 0, "profile @ghost_user not found")
            farm.phone("sim-0001").faults.dump_fails = True
            [slow] = await farm.follow("sim-0001", "erin")
            await farm.wait_for(slow, lambda t: t["status_text"] == "running")
            again = await farm.wait_for(slow, lambda t: t["status_text"] == "pending")
        assert again["retry_count"] == 1
        said = re.fullmatch(r"retry 1 of 3 at (\d\d:\d\d:\d\d) after: profile @erin did not "
                            r"open in \d+ s", again["remark"])
        assert said is not None, again["remark"]
        assert again["start_time"].endswith(said[1])  # the moment it is due again


async def test_what_a_task_did_and_the_screen_it_failed_on(farm: ServiceAndPhones) -> None:
    """A task's log is the steps its script took on the phone, in words, the start and
    the end; a failure keeps the screen it left, drawn as the phone showed it."""
    farm.tiktok("sim-0001").world.remove_user("ghost_user")
    with trio.fail_after(DEADLINE):
        [done, gone] = await farm.follow("sim-0001", "alice", "ghost_user")
        for task_id in (done, gone):
            await farm.wait_for(task_id, ended)
        lines = (await farm.call("GET", f"/task/{done}/log"))["lines"]
        said = [line["message"] for line in lines]
        assert said[0] == "started follow on sim-0001"
        assert "opened https://www.tiktok.com/@alice in com.zhiliaoapp.musically" in said
        assert any(message.startswith("tapped “Follow” at ") for message in said)
        assert said[-1] == "completed: followed @alice"
        assert {line["level"] for line in lines} == {"INFO"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", lines[0]["at"])
        no_shot = (await farm.api.get(f"/api/v1/task/{done}/screenshot")).json()
        assert no_shot["code"] == 40401

        failed = (await farm.call("GET", f"/task/{gone}/log"))["lines"]
        assert failed[-1] == {"at": failed[-1]["at"], "level": "ERROR",
                              "message": "failed: profile @ghost_user not found"}
        shot = await farm.api.get(f"/api/v1/task/{gone}/screenshot")
        assert shot.headers["content-type"] == "image/png"
        phone = farm.phone("sim-0001")
        assert Image.open(io.BytesIO(shot.content)).size == (phone.width, phone.height)
        # nothing touched the phone since: its screen now is the one kept
        now = await farm.api.get("/api/v1/devices/sim-0001/screenshot")
        assert shot.content == now.content
        missing = (await farm.api.get("/api/v1/task/999999/log")).json()
        assert (missing["code"], missing["message"]) == (40401, "task 999999 not found")


async def test_a_running_tasks_steps_so_far(farm: ServiceAndPhones) -> None:
    """While a task runs, its log shows the steps it took so far; once it ends, each
    step once, with the end."""
    phone = farm.phone("sim-0001")
    phone.faults.hang = "uiautomator"  # it opens the profile, then waits on the screen
    with trio.fail_after(DEADLINE):
        [task_id] = await farm.follow("sim-0001", "alice")
        while True:
            said = [line["message"]
                    for line in (await farm.call("GET", f"/task/{task_id}/log"))["lines"]]
            if "read the screen" in said:
                break
            await trio.sleep(0.02)
        assert said[:2] == ["started follow on sim-0001",
                            "opened https://www.tiktok.com/@alice in com.zhiliaoapp.musically"]
        assert (await farm.call("GET", f"/task/{task_id}"))["status_text"] == "running"
        phone.faults.hang = None
        await farm.wait_for(task_id, ended)
        lines = (await farm.call("GET", f"/task/{task_id}/log"))["lines"]
    said = [line["message"] for line in lines]
    assert said.count("started follow on sim-0001") == 1
    assert said[-1] == "completed: followed @alice"


async def test_healthy(farm: ServiceAndPhones) -> None:
    """Store, scheduler and ADB server answer: HTTP 200, each part "ok"."""
    answer = await farm.api.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"code": 0, "message": "success",
                             "data": {"store": "ok", "scheduler": "ok", "adb": "ok"}}


async def test_a_task_running_at_shutdown_is_failed_then_retried(tmp_path: Path) -> None:
    """A task left running by a dead process fails with 'interrupted' on start-up, and
    auto-retry runs it again."""
    async with open_sqlite_store(tmp_path / "orchestrator.db") as store:
        [task] = await store.create_tasks([NewTask(
            serial="sim-0001", script_name="follow", request_id="r",
            script_config={"target_users": ["gina"], "target_user": "gina"}, due_at=0)],
            created_at=0)
        await store.mark_running({task.id: 1})
    async with open_simulator(1) as sim, open_farm(
            sim, tmp_path, scheduling=SchedulerSettings(retry_delay=(0.0, 0.0))) as farm:
        with trio.fail_after(DEADLINE):
            done = await farm.wait_for(task.id, lambda t: t["status_text"] == "completed")
    assert done["retry_count"] == 1
    assert farm.tiktok("sim-0001").current.follows("gina")  # type: ignore[union-attr]


async def test_start_up_stays_frozen_while_it_runs(tmp_path: Path) -> None:
    """What start-up made is out of the collector's passes for the whole run
    (`orchestrator.runtime`), and back in once the orchestrator has stopped."""
    async with open_simulator(1) as sim:
        async with open_farm(sim, tmp_path):
            assert gc.get_freeze_count() > 50_000
            await trio.sleep(0.1)
            assert gc.get_freeze_count() > 50_000
        assert gc.get_freeze_count() == 0


async def test_the_phones_there_at_start_are_known_once_started(tmp_path: Path) -> None:
    """When the orchestrator reports started, the phones plugged in already have their
    actors (and so are frozen with the rest of start-up, `orchestrator.runtime`)."""
    async with open_simulator(3) as sim, trio.open_nursery() as nursery:
        settings = Settings(port=0, data_dir=tmp_path, adb_host=sim.host, adb_port=sim.port)
        running = await nursery.start(functools.partial(run_orchestrator, settings))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}") as api:
            devices = (await api.get("/api/v1/devices")).json()["data"]
        assert devices["total"] == 3
        nursery.cancel_scope.cancel()


async def test_a_phone_seen_and_touched_by_hand(farm: ServiceAndPhones,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """One phone's row, its screen (whole, and as a thumbnail), and input: a tap on the
    launcher's TikTok icon opens the app, home closes it, and the same tap goes to every
    phone named at once (sync control). Each input is logged, text without its text."""
    caplog.set_level(logging.INFO, logger="orchestrator.api")
    phone = farm.phone("sim-0001")
    with trio.fail_after(DEADLINE):
        device = await farm.call("GET", "/devices/sim-0001")
        assert (device["serial"], device["state"]) == ("sim-0001", "device")
        assert {"model", "current_task_id", "pending_count"} <= set(device)
        missing = (await farm.api.get("/api/v1/devices/nobody")).json()
        assert (missing["code"], missing["message"]) == (40401, "no phone nobody")

        whole = await farm.api.get("/api/v1/devices/sim-0001/screenshot")
        assert whole.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(whole.content)).size == (phone.width, phone.height)
        thumb = await farm.api.get("/api/v1/devices/sim-0001/screenshot",
                                   params={"format": "jpeg", "max_width": 120})
        assert thumb.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(thumb.content)).width == 120

        icon = next(node for node in phone.screen().walk()
                    if node.action == f"launch:{TIKTOK}")
        x, y = icon.bounds.center
        sent = await farm.call("POST", "/devices/sim-0001/input",
                               json={"action": "tap", "x": x, "y": y})
        assert sent == {"sent": ["sim-0001"], "failed": []}
        assert phone.foreground is not None
        assert phone.foreground.package == TIKTOK
        await farm.call("POST", "/devices/sim-0001/input", json={"action": "key", "key": "home"})
        assert phone.foreground is None
        await farm.call("POST", "/devices/sim-0001/input",
                        json={"action": "text", "text": "s3cret"})
        assert phone.typed_text_log[-1] == "s3cret"
        assert f"tap at {x},{y} on sim-0001 (asked from 127.0.0.1)" in caplog.text
        assert "text of 6 character(s) on sim-0001" in caplog.text
        assert "s3cret" not in caplog.text

        both = await farm.call("POST", "/devices/input", json={
            "serials": ["sim-0001", "sim-0002"], "action": "tap", "x": x, "y": y})
        assert sorted(both["sent"]) == ["sim-0001", "sim-0002"]
        for serial in ("sim-0001", "sim-0002"):
            front = farm.phone(serial).foreground
            assert front is not None
            assert front.package == TIKTOK

        wrong = (await farm.api.post("/api/v1/devices/sim-0001/input",
                                     json={"action": "swipe", "x1": 1})).json()
        assert (wrong["code"], wrong["message"]) == (40001, "action swipe needs y1, x2, y2")
        long = (await farm.api.post("/api/v1/devices/sim-0001/input",
                                    json={"action": "text", "text": "a" * 10_001})).json()
        assert (long["code"], long["message"]) == (
            40001, "text: at most 10000 characters, got 10001")
        nobody = (await farm.api.post("/api/v1/devices/input", json={
            "serials": [], "action": "key", "key": "home"})).json()
        assert (nobody["code"], nobody["message"]) == (
            40001, "serials: name at least one phone (serials or groups)")
        farm.phone("sim-0003").state = "offline"
        while True:  # until the watcher has heard of it
            seen = (await farm.api.get("/api/v1/devices/sim-0003")).json()["data"] or {}
            if seen.get("state") == "offline":
                break
            await trio.sleep(0.02)
        offline = (await farm.api.get("/api/v1/devices/sim-0003/screenshot")).json()
        assert (offline["code"], offline["message"]) == (40001, "phone sim-0003 is offline")
