"""Running a farm, through the whole orchestrator on simulated phones (in its process
and behind an API process): a Prometheus scrape, webhooks to a real receiver, device
operations, and proxy rotation against a real endpoint."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import attrs
import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families
from quart import Response, request
from quart_trio import QuartTrio

from orchestrator.api import Webhooks, serve_api
from orchestrator.service import run_orchestrator
from orchestrator.settings import Settings
from orchestrator.simulator import open_simulator

from ._phones import apk
from .api.test_webhooks import Receiver
from .test_end_to_end import API_PLACES, DEADLINE, ServiceAndPhones, ended, open_farm


@API_PLACES
async def farm(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ServiceAndPhones]:
    async with open_simulator(3) as sim, open_farm(sim, tmp_path,
                                                   api_processes=request.param) as farm:
        yield farm


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_a_scrape_of_a_farm_at_work(farm: ServiceAndPhones) -> None:
    """After two follows that work and one of a user who is gone: tasks by status, phones by state,
    the runs' durations and start lateness per script, adb calls by their first word,
    and the API's requests by route (its rule, not the path)."""
    farm.tiktok("sim-0001").world.remove_user("ghost_user")
    with trio.fail_after(DEADLINE):
        ids = await farm.follow("sim-0001", "alice", "bob", "ghost_user")
        for task_id in ids:
            await farm.wait_for(task_id, ended)
        answer = await farm.api.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=")
    got = _samples(answer.text)

    def value(name: str, **labels: str) -> float:
        return got[(name, frozenset(labels.items()))]

    assert (value("orchestrator_tasks", status="completed"),
            value("orchestrator_tasks", status="failed"),
            value("orchestrator_tasks", status="pending")) == (2, 1, 0)
    assert (value("orchestrator_devices", state="device"),
            value("orchestrator_devices", state="offline")) == (3, 0)
    assert value("orchestrator_task_duration_seconds_count", script="follow") == 3
    assert value("orchestrator_task_start_lateness_seconds_count", script="follow") == 3
    assert value("orchestrator_adb_call_seconds_count", call="am") >= 3  # a URL opened each
    assert value("orchestrator_api_requests_total", method="POST", route="/api/v1/task",
                 status="200") == 1
    assert not any(name == "orchestrator_api_requests_total" and ("route", "/api/v1/task/1")
                   in labels for name, labels in got)
    assert value("process_resident_memory_bytes") > 0


async def test_webhooks_of_a_farm_at_work(tmp_path: Path) -> None:
    """`--webhook` and `--webhook-secret` on the real service: each end, signed."""
    receiver = Receiver(status=200)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(functools.partial(serve_api, receiver.app(),
                                                     host="127.0.0.1", port=0))
        hooks = Webhooks(urls=(f"http://127.0.0.1:{port}/hook",), secret="k")
        async with open_simulator(2) as sim, open_farm(sim, tmp_path, webhooks=hooks) as farm:
            farm.tiktok("sim-0002").world.remove_user("ghost_user")
            with trio.fail_after(DEADLINE):
                ids = await farm.follow("sim-0002", "alice", "ghost_user")
                for task_id in ids:
                    await farm.wait_for(task_id, ended)
                while len(receiver.taken()) < 2:  # noqa: ASYNC110 (a server's state)
                    await trio.sleep(0.02)
        nursery.cancel_scope.cancel()
    sent = {}
    for headers, body in receiver.taken():
        assert headers["x-orchestrator-signature"] == (
            "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest())
        end = json.loads(body)
        sent[end["task"]["id"]] = (end["event"], end["task"]["serial"])
    assert sent == {ids[0]: ("task.completed", "sim-0002"), ids[1]: ("task.failed", "sim-0002")}


async def test_shell_on_phones_and_groups(farm: ServiceAndPhones) -> None:
    """Each phone named by serial or group, once, gets its result: exit code and output,
    a phone that is away says so; output past the bound is cut, a slow one times out."""
    with trio.fail_after(DEADLINE):
        await farm.call("POST", "/groups", json={"name": "shelf",
                                                 "serials": ["sim-0002", "sim-0404"]})
        done = await farm.call("POST", "/devices/shell", json={
            "serials": ["sim-0001", "sim-0002"], "groups": ["shelf"],
            "command": "getprop ro.product.model; dumpsys battery | grep level; false"})
        assert done["results"] == [
            {"serial": serial, "exit_code": 1, "output": "Pixel 7\n  level: 87\n",
             "truncated": False, "error": None} for serial in ("sim-0001", "sim-0002")] + [
            {"serial": "sim-0404", "exit_code": None, "output": "", "truncated": False,
             "error": "phone sim-0404 is not connected"}]
        farm.phone("sim-0003").fs.write("/sdcard/big.txt", b"x" * 100_000)
        big = (await farm.call("POST", "/devices/shell", json={
            "serials": ["sim-0003"], "command": "cat /sdcard/big.txt"}))["results"][0]
        assert (big["exit_code"], big["truncated"], len(big["output"])) == (None, True, 65_536)
        slow = (await farm.call("POST", "/devices/shell", json={
            "serials": ["sim-0003"], "command": "sleep 30", "timeout": 1}))["results"][0]
        assert (slow["exit_code"], slow["error"]) == (None,
                                                      "`the command` got no answer in 1 s")
        quiet = (await farm.call("POST", "/devices/shell", timeout=30, json={
            "serials": ["sim-0003"], "command": "sleep 11; echo done", "timeout": 30}))
        # silent for longer than a call's 10 s: its own timeout is what bounds it
        assert quiet["results"][0]["output"] == "done\n"
        for body, message in [({"command": "id"}, "$.serials: name at least one phone"),
                              ({"serials": ["sim-0001"], "command": " "}, "$.command"),
                              ({"serials": ["sim-0001"], "command": "id", "timeout": 0},
                               "$.timeout: must be at least 1")]:
            answer = (await farm.api.post("/api/v1/devices/shell", json=body)).json()
            assert (answer["code"], answer["message"].startswith(message)) == (40001, True)


async def test_install_an_apk_on_many_phones(farm: ServiceAndPhones) -> None:
    with trio.fail_after(DEADLINE):
        done = await farm.call("POST", "/devices/install",
                               files={"apk": ("tool.apk", apk("com.example.tool"))},
                               data={"serials": "sim-0001, sim-0003"})
        assert done["results"] == [
            {"serial": serial, "installed": True, "output": "Success", "error": None}
            for serial in ("sim-0001", "sim-0003")]
        for serial in ("sim-0001", "sim-0003"):
            assert "com.example.tool" in farm.phone(serial).installed
            assert farm.phone(serial).fs.listdir("/data/local/tmp") == []  # cleaned up
        assert "com.example.tool" not in farm.phone("sim-0002").installed
        answer = (await farm.api.post("/api/v1/devices/install",
                                      files={"apk": ("notes.txt", b"hello")},
                                      data={"serials": "sim-0001"})).json()
        assert (answer["code"], answer["message"]) == (
            40001, "$.apk: not an APK (an APK is a zip file)")


async def test_reboot_and_what_a_phone_says_of_itself(farm: ServiceAndPhones) -> None:
    """A phone's page: its groups, host, connection, Android version and battery; a
    reboot takes it offline, and it comes back by itself."""
    phone_itself = farm.phone("sim-0002")
    phone_itself.boot_seconds = 3600  # until the test ends the boot
    with trio.fail_after(DEADLINE):
        await farm.call("POST", "/groups", json={"name": "shelf", "serials": ["sim-0002"]})
        phone = await farm.call("GET", "/devices/sim-0002")
        assert {key: phone[key] for key in ("groups", "connection", "android_version", "sdk",
                                            "battery_level", "charging")} == {
            "groups": ["shelf"], "connection": "usb", "android_version": "13", "sdk": 33,
            "battery_level": 87, "charging": True}
        assert phone["host"] == socket.gethostname()
        assert (await farm.call("POST", "/devices/sim-0002/reboot")) == {
            "serial": "sim-0002", "rebooting": True}
        offline = await _shown(farm, "sim-0002", "offline")
        assert offline["battery_level"] is None
        phone_itself.booted_at = trio.current_time()
        assert phone_itself.state == "device"  # read: the boot ends
        await _shown(farm, "sim-0002", "device")


async def _shown(farm: ServiceAndPhones, serial: str, state: str) -> dict[str, object]:
    """`GET /devices/{serial}` once it shows `state`. On the way it may be no phone
    (40401): adbutils reports a phone whose state changes as gone, then back."""
    while True:
        shown = (await farm.api.get(f"/api/v1/devices/{serial}")).json()
        if shown["code"] == 0 and shown["data"]["state"] == state:
            return dict(shown["data"])
        assert shown["code"] in (0, 40401), shown
        await trio.sleep(0.02)


async def test_the_same_input_to_a_group(farm: ServiceAndPhones) -> None:
    with trio.fail_after(DEADLINE):
        await farm.call("POST", "/groups", json={"name": "pair",
                                                 "serials": ["sim-0001", "sim-0003"]})
        sent = await farm.call("POST", "/devices/input", json={
            "groups": ["pair"], "serials": ["sim-0003"], "action": "text", "text": "hi"})
    assert sent == {"sent": ["sim-0003", "sim-0001"], "failed": []}
    assert [farm.phone(s).typed_text_log for s in ("sim-0001", "sim-0002", "sim-0003")] == [
        ["hi"], [], ["hi"]]


@attrs.define
class ProxyProvider:
    """A proxy provider's rotation endpoint: `/rotate` answers at once, `/slow` after
    `slow` seconds; each request is kept."""

    slow: float = 5.0
    calls: list[tuple[str, str, dict[str, str], bytes]] = attrs.Factory(list)

    def app(self) -> QuartTrio:
        app = QuartTrio(__name__)

        @app.route("/<kind>", methods=["GET", "POST"])
        async def rotate(kind: str) -> Response:
            self.calls.append((request.method, request.full_path, dict(request.headers),
                               await request.get_data()))
            if kind == "slow":
                await trio.sleep(self.slow)
            return Response('{"ip": "10.0.0.7"}', content_type="application/json")

        return app


async def test_proxy_rotation_before_each_task(farm: ServiceAndPhones) -> None:
    """Set on the phone (its key never answered), called before each task that asks for
    it, what happened in the task's log; a phone without one is refused at creation, a
    provider that does not answer in time fails the task with the reason."""
    provider = ProxyProvider()
    async with trio.open_nursery() as nursery:
        port = await nursery.start(functools.partial(serve_api, provider.app(),
                                                     host="127.0.0.1", port=0))
        base = f"http://127.0.0.1:{port}"
        with trio.fail_after(DEADLINE):
            shown = await farm.call("PUT", "/devices/sim-0001/proxy", json={
                "rotation_url": f"{base}/rotate?key=K3Y", "method": "post",
                "headers": {"Authorization": "Bearer K3Y"}, "body": '{"port": 7001}',
                "timeout_ms": 3000})
            assert shown == {"serial": "sim-0001", "rotation_url": base,
                             "method": "POST", "headers": {"Authorization": "***"},
                             "body": "***", "timeout_ms": 3000}
            assert await farm.call("GET", "/devices/sim-0001/proxy") == shown
            pasted = (await farm.api.put("/api/v1/devices/sim-0002/proxy", json={
                "rotation_url": f"{base}/rotate", "headers": {"X-Key": "K3Y\u00a0"}})).json()
            assert (pasted["code"], pasted["message"].startswith("$.headers.X-Key: ")) == (
                40001, True)
            assert "K3Y" not in pasted["message"]
            body = {"serials": ["sim-0001", "sim-0002"], "script_name": "follow",
                    "script_config": {"target_users": ["alice"]}, "rotate_proxy": True}
            refused = (await farm.api.post("/api/v1/task", json=body)).json()
            assert (refused["code"], refused["message"]) == (
                40001, "$.rotate_proxy: no proxy rotation is set for 1 phone(s): sim-0002 "
                       "(PUT /api/v1/devices/{serial}/proxy)")

            [done] = (await farm.call("POST", "/task", json={
                **body, "serials": ["sim-0001"]}))["task_ids"]
            task = await farm.wait_for(done, ended)
            assert (task["status_text"], task["rotate_proxy"]) == ("completed", True)
            assert [(m, path, h.get("Authorization"), data) for m, path, h, data
                    in provider.calls] == [("POST", "/rotate?key=K3Y", "Bearer K3Y",
                                            b'{"port": 7001}')]
            lines = [line["message"] for line in
                     (await farm.call("GET", f"/task/{done}/log"))["lines"]]
            assert lines[1].startswith(f"rotated the proxy: {base} answered HTTP 200 in ")
            assert not any("K3Y" in line for line in lines)

            await farm.call("PUT", "/devices/sim-0001/proxy", json={
                "rotation_url": f"{base}/slow", "timeout_ms": 300})
            [late] = (await farm.call("POST", "/task", json={
                **body, "serials": ["sim-0001"]}))["task_ids"]
            failed = await farm.wait_for(late, ended)
            assert (failed["status_text"], failed["remark"]) == (
                "failed", f"proxy rotation failed: {base} did not answer in 300 ms")
            shown = await farm.call("GET", "/devices/sim-0001/proxy")
            assert (shown["method"], shown["headers"]) == ("POST", {"Authorization": "***"})
            await farm.call("DELETE", "/devices/sim-0001/proxy")
            gone = (await farm.api.get("/api/v1/devices/sim-0001/proxy")).json()
            assert (gone["code"], gone["message"]) == (
                40401, "phone sim-0001 has no proxy rotation set")
        nursery.cancel_scope.cancel()


async def test_a_day_of_operations_on_postgresql(tmp_path: Path, postgres_dsn: str) -> None:
    """Behind an API process, on PostgreSQL: groups, a schedule with its next slot, a
    proxy rotation, a task that rotates it first, a shell command and a scrape."""
    async with open_simulator(2) as sim, open_farm(sim, tmp_path, api_processes=1,
                                                   postgres=postgres_dsn) as farm:
        with trio.fail_after(DEADLINE):
            await farm.call("POST", "/groups", json={"name": "shelf", "serials": ["sim-0002"]})
            schedule = await farm.call("POST", "/schedules", json={
                "name": "nightly", "times": ["03:00"], "groups": ["shelf"],
                "script_name": "follow", "script_config": {"target_users": ["alice"]}})
            assert schedule["next_run_at"].endswith(" 03:00:00")
            changed = await farm.call("PUT", f"/schedules/{schedule['id']}",
                                      json={"enabled": False})
            assert (changed["next_run_at"], changed["name"]) == (None, "nightly")
            await farm.call("PUT", "/devices/sim-0002/proxy", json={
                "rotation_url": f"http://127.0.0.1:{farm.running.api_port}/health"})
            [task_id] = (await farm.call("POST", "/task", json={
                "groups": ["shelf"], "script_name": "follow", "rotate_proxy": True,
                "script_config": {"target_users": ["bob"]}}))["task_ids"]
            done = await farm.wait_for(task_id, ended)
            assert (done["status_text"], done["rotate_proxy"]) == ("completed", True)
            ran = await farm.call("POST", "/devices/shell", json={
                "groups": ["shelf"], "command": "echo ok"})
            assert ran["results"] == [{"serial": "sim-0002", "exit_code": 0, "output": "ok\n",
                                       "truncated": False, "error": None}]
            scraped = _samples((await farm.api.get("/metrics")).text)
            assert scraped[("orchestrator_tasks", frozenset({("status", "completed")}))] == 1


async def test_a_host_named_with_its_own_simulated_phones(tmp_path: Path) -> None:
    """`--host-id` names the host in device objects; `--sim-prefix` its phones (known
    once the service says it has started)."""
    settings = Settings(port=0, data_dir=tmp_path, simulate=2, sim_prefix="rack2-",
                        host_id="rack-2")
    async with trio.open_nursery() as nursery:
        running = await nursery.start(functools.partial(run_orchestrator, settings))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}") as api:
            listed = (await api.get("/api/v1/devices")).json()["data"]
        nursery.cancel_scope.cancel()
    assert [(d["serial"], d["host"]) for d in listed["devices"]] == [
        ("rack2-0001", "rack-2"), ("rack2-0002", "rack-2")]


async def test_phones_of_several_adb_servers_are_one_host(tmp_path: Path) -> None:
    """`--adb` given twice: a watcher each; the host lists both servers' phones, runs
    their tasks, and shows and touches each phone through its own server."""
    async with open_simulator(2, prefix="left-") as left, \
            open_simulator(2, prefix="right-") as right, trio.open_nursery() as nursery:
        settings = Settings(port=0, data_dir=tmp_path, adb_host=left.host,
                            adb_port=left.port, more_adb=((right.host, right.port),))
        running = await nursery.start(functools.partial(run_orchestrator, settings))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.api_port}") as api:
            on_left, on_right = ServiceAndPhones(left, api, running), ServiceAndPhones(
                right, api, running)
            with trio.fail_after(DEADLINE):
                while True:
                    if (await on_left.call("GET", "/devices"))["total"] == 4:
                        break
                    await trio.sleep(0.02)
                made = await on_left.call("POST", "/task", json={
                    "serials": ["left-0002", "right-0001"], "script_name": "follow",
                    "script_config": {"target_users": ["alice"]}})
                for task_id in made["task_ids"]:
                    done = await on_left.wait_for(task_id, ended)
                    assert done["remark"] == "followed @alice"
                screen = await api.get("/api/v1/devices/right-0002/screenshot")
                sent = await on_left.call("POST", "/devices/right-0002/input",
                                          json={"action": "key", "key": "home"})
                healthy = await api.get("/health")  # both servers answer
        nursery.cancel_scope.cancel()
    assert screen.headers["content-type"] == "image/png"
    assert sent == {"sent": ["right-0002"], "failed": []}
    assert (healthy.status_code, healthy.json()["data"]["adb"]) == (200, "ok")
    for farm, serial in ((on_left, "left-0002"), (on_right, "right-0001")):
        account = farm.tiktok(serial).current
        assert account is not None
        assert account.follows("alice")
