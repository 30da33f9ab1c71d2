"""Several hosts, one farm: real `orchestrator serve` processes sharing one PostgreSQL
database, each with simulated phones of its own (`--sim-prefix`), driven through their
APIs as a user would. Ports are the OS's; each test has a schema of its own."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from playwright.sync_api import expect, sync_playwright

from bench._harness import FarmHost

from ._phones import apk

T = TypeVar("T")

#: Each test starts real processes and may wait out a lease (15 s): more than the default.
pytestmark = pytest.mark.timeout(300)

#: Seconds a condition may take to come about before the test gives up: a guard against
#: a hang, not a budget (the lease alone is 15 s, and CI machines are loaded).
PATIENCE = 90.0
WARMUP = {"script_name": "account_warmup", "script_config": {"task_duration": 600}}
FOLLOW = {"script_name": "follow",
          "script_config": {"target_users": ["alice"], "access_method": "direct"}}


class Host(FarmHost):
    """A host of the farm, as the tests drive it."""

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = httpx.request(method, f"{self.api}{path}", timeout=PATIENCE, **kwargs).json()
        assert answer["code"] == 0, answer
        return answer["data"]

    def task(self, task_id: int) -> dict[str, Any]:
        task: dict[str, Any] = self.call("GET", f"/task/{task_id}")
        return task

    def starts(self, task_id: int) -> int:
        """How many times this host started `task_id`, as its log says."""
        return len(re.findall(rf"task {task_id} \(\w+\) started on ", self.log.read_text()))


class Farm:
    """Starts hosts on one database and stops them all at the end."""

    def __init__(self, dsn: str, folder: Path) -> None:
        self.dsn = dsn
        self.folder = folder
        self.hosts: list[Host] = []

    def start(self, name: str, *, phones: int = 3, prefix: str | None = None,
              token: str | None = None) -> Host:
        run = sum(host.name == name for host in self.hosts)
        host = Host(name, self.dsn, self.folder, phones=phones, prefix=prefix, run=run,
                    timeout=PATIENCE, token=token)
        self.hosts.append(host)
        return host


@pytest.fixture
def farm(postgres_dsn: str, tmp_path: Path) -> Iterator[Farm]:
    started = Farm(postgres_dsn, tmp_path)
    try:
        yield started
    finally:
        for host in started.hosts:
            host.stop(timeout=PATIENCE)
    for host in started.hosts:  # nothing the hosts did was a bug
        assert "Traceback" not in host.log.read_text(), host.log.read_text()


def _eventually(check: Callable[[], T | None], what: str) -> T:
    """What `check` returns once it returns something true (it is asked every 50 ms)."""
    deadline = time.monotonic() + PATIENCE
    while not (found := check()):
        assert time.monotonic() < deadline, f"no {what} in {PATIENCE} s"
        time.sleep(0.05)
    return found


def _status(host: Host, task_id: int, status: int) -> dict[str, Any]:
    return _eventually(lambda: (t := host.task(task_id))["status"] == status and t,
                       f"task {task_id} in status {status}")


def test_three_hosts_are_one_farm(farm: Farm) -> None:
    """Tasks made through one host run on the hosts their phones are on; any host lists
    them, stops a task another runs, and deletes one; the counts agree everywhere. A
    schedule made through one host and changed through another runs once for the farm."""
    a, b, c = (farm.start(name) for name in ("a", "b", "c"))
    slot = time.strftime("%H:%M", time.localtime(time.time() + 60))
    schedule = b.call("POST", "/schedules", json={
        "name": "every shelf", "times": ["00:00"], "serials": ["a-0003", "b-0003"], **FOLLOW})
    c.call("PUT", f"/schedules/{schedule['id']}", json={"times": [slot]})
    listed = _eventually(lambda: len(d := c.call("GET", "/devices")["devices"]) == 9 and d,
                         "every host's phones")
    assert [(d["serial"], d["host"], d["state"]) for d in listed] == [
        (f"{host}-000{i}", host, "device") for host in "abc" for i in (1, 2, 3)]
    with httpx.stream("GET", f"{a.api}/events", params={"serial": "b-0003"},
                      timeout=PATIENCE) as stream:  # on a, of a task that b runs
        [seen] = c.call("POST", "/task", json={  # long enough to be seen running
            "serials": ["b-0003"], "script_name": "account_warmup",
            "script_config": {"task_duration": 3}})["task_ids"]
        statuses = []
        for name, task in _events(stream):
            if name != "task" or task["id"] != seen:  # the schedule's: its slot may come
                continue
            statuses.append(task["status_text"])
            if task["status_text"] == "completed":
                break
    assert statuses[-2:] == ["running", "completed"], statuses
    far = a.call("GET", "/devices/c-0002")  # another host's: c answers, through a
    assert (far["host"], far["state"]) == ("c", "device")
    assert far["android_version"] == c.call("GET", "/devices/c-0002")["android_version"] \
        is not None
    screen = httpx.get(f"{a.api}/devices/b-0001/screenshot", timeout=PATIENCE)
    assert (screen.status_code, screen.content[:8]) == (200, b"\x89PNG\r\n\x1a\n")
    assert a.call("POST", "/devices/c-0001/input", json={"action": "key", "key": "home"})[
        "sent"] == ["c-0001"]  # (a has no way to it: c did it)
    made = a.call("POST", "/task", json={"serials": ["a-0001", "b-0001", "c-0002"], **FOLLOW})
    ids = made["task_ids"]
    for host, task_id in zip((a, b, c), ids, strict=True):
        assert _status(c, task_id, 2)["remark"] == "followed @alice"
        assert host.starts(task_id) == 1
        assert sum(other.starts(task_id) for other in (a, b, c)) == 1
    long_b, long_c = a.call("POST", "/task", json={"serials": ["b-0002", "c-0003"],
                                                    **WARMUP})["task_ids"]
    _status(a, long_b, 1)
    _status(a, long_c, 1)
    stopped = a.call("POST", f"/task/{long_c}/stop")  # runs on c
    assert (stopped["status"], stopped["remark"]) == (3, "stopped by user")
    assert "failed on c-0003: stopped by user" in c.log.read_text()
    assert c.call("DELETE", f"/task/{long_b}") == {"deleted_count": 1,
                                                   "task_ids": [long_b]}  # runs on b
    _eventually(lambda: "failed on b-0002: stopped: task deleted" in b.log.read_text(),
                "the delete reaching b")
    fired = _eventually(lambda: (s := a.call("GET", f"/schedules/{schedule['id']}"))[
        "last_run_at"] and s, "the schedule's slot")
    assert fired["last_outcome"] == "created 2 task(s)"
    made = a.call("GET", "/task?source=schedule")["tasks"]
    assert sorted(t["serial"] for t in made) == ["a-0003", "b-0003"]
    for task in made:
        _status(a, task["id"], 2)
    counts = {"total": 7, "pending": 0, "running": 0, "completed": 6, "failed": 1}
    for host in (a, b, c):  # each host's counts, once it has heard of the others' last ends
        _eventually(lambda host=host: host.call("GET", "/task/stats") == counts,
                    f"{host.name}'s counts")


def test_a_host_killed_mid_task(farm: Farm) -> None:
    """kill -9 of a host running a task: the others fail it within the lease, naming the
    host, and show its phones offline; the task is retried when its phone is back (the
    host restarted); it never runs on two hosts, and the host recovers only its own."""
    a, b = farm.start("a"), farm.start("b")
    [on_b] = a.call("POST", "/task", json={
        "serials": ["b-0001"], "script_name": "account_warmup",
        "script_config": {"task_duration": 5}})["task_ids"]
    [on_a] = a.call("POST", "/task", json={"serials": ["a-0001"], **WARMUP})["task_ids"]
    _status(a, on_b, 1)
    _status(a, on_a, 1)
    with httpx.stream("GET", f"{a.api}/events", params={"serial": "b-0001"},
                      timeout=PATIENCE) as stream:
        b.process.send_signal(signal.SIGKILL)
        b.process.wait()
        phone = next(event for name, event in _events(stream) if name == "device")
    assert (phone["host"], phone["state"]) == ("b", "offline")  # its host taken for dead
    # failed, then (a write of its own) pending again: its retry waits for its phone
    failed = _eventually(lambda: (t := a.task(on_b))["status"] == 0
                         and "interrupted: host b" in t["remark"] and t,
                         "the dead host noticed, its task retried")
    assert re.match(r"retry 1 of 3 at \d\d:\d\d:\d\d after: interrupted: host b stopped "
                    r"answering while this task ran$", failed["remark"]), failed["remark"]
    assert a.task(on_a)["status"] == 1  # a's own task runs on
    again = farm.start("b")
    done = _status(a, on_b, 2)
    assert done["retry_count"] == 1
    assert (b.starts(on_b), again.starts(on_b), a.starts(on_b)) == (1, 1, 0)
    assert (a.task(on_a)["status"], a.starts(on_a)) == (1, 1)


def test_a_host_taken_for_dead_while_alive_comes_back(farm: Farm) -> None:
    """A host the others take for dead though it lives (its beat set back, as if cut off
    from the database): its phones show offline, and once it takes its name back, ready
    again, and it listens where it did."""
    a, b = farm.start("a", phones=1), farm.start("b", phones=1)

    def b_phone() -> str:
        return str(a.call("GET", "/devices/b-0001")["state"])

    _eventually(lambda: b_phone() == "device", "b's phone")
    with psycopg.connect(farm.dsn, autocommit=True) as conn:
        conn.execute("UPDATE hosts SET beat_at = 0 WHERE host_id = 'b'")
    _eventually(lambda: b_phone() == "offline", "b taken for dead")
    _eventually(lambda: b_phone() == "device", "b back")
    assert "it takes its name back" in b.log.read_text()
    assert a.call("GET", "/devices/b-0001")["android_version"] is not None  # b answered


def test_a_phone_moved_from_one_host_to_another(farm: Farm) -> None:
    """A phone unplugged from host a and plugged into host b: the tasks made for it
    meanwhile (through a) wait, and run on b once it is there."""
    a = farm.start("a", phones=1, prefix="m-")
    first = a.call("POST", "/task", json={"serials": ["m-0001"], **FOLLOW})["task_ids"][0]
    _status(a, first, 2)
    assert a.stop(timeout=PATIENCE) == 0
    c = farm.start("c", phones=1)
    [waiting] = c.call("POST", "/task", json={"serials": ["m-0001"], **FOLLOW})["task_ids"]
    assert c.task(waiting)["status"] == 0
    with httpx.stream("GET", f"{c.api}/events", params={"serial": "m-0001"},
                      timeout=PATIENCE) as stream:  # on c, of the phone b comes to see
        b = farm.start("b", phones=1, prefix="m-")
        phone = next(event for name, event in _events(stream)  # its model learned
                     if name == "device" and event["model"])
    assert (phone["host"], phone["state"], phone["model"]) == ("b", "device", "Pixel 7")
    assert _status(c, waiting, 2)["remark"] == "followed @alice"
    assert (b.starts(waiting), c.starts(waiting), a.starts(waiting)) == (1, 0, 0)


def test_operations_on_many_phones_reach_every_host(farm: Farm) -> None:
    """A shell line, an APK and an input for phones of several hosts, asked of one: each
    host does its own phones' part, and every phone's result comes back in one answer,
    in the order asked; a phone no host has is said so."""
    a, b = farm.start("a", phones=2), farm.start("b", phones=2)
    _eventually(lambda: len(a.call("GET", "/devices")["devices"]) == 4, "b's phones")
    serials = ["b-0002", "a-0001", "b-0001", "zz-9"]
    installed = a.call("POST", "/devices/install", files={"apk": ("tool.apk", apk("com.x"))},
                       data={"serials": ",".join(serials)})["results"]
    assert [(r["serial"], r["installed"], r["error"]) for r in installed] == [
        ("b-0002", True, None), ("a-0001", True, None), ("b-0001", True, None),
        ("zz-9", False, "phone zz-9 is not connected")]
    said = a.call("POST", "/devices/shell", json={
        "serials": serials[:3], "command": "pm list packages com.x; getprop ro.serialno"})
    assert [(r["serial"], r["exit_code"], r["output"].split()) for r in said["results"]] == [
        (serial, 0, ["package:com.x", serial]) for serial in serials[:3]]
    sent = b.call("POST", "/devices/input", json={"serials": ["a-0002", "b-0002"],
                                                  "action": "key", "key": "home"})
    assert sent == {"sent": ["a-0002", "b-0002"], "failed": []}
    assert "install tool.apk (" in b.log.read_text()  # b did its phones' part


def test_a_host_that_does_not_answer_is_said_so(farm: Farm) -> None:
    """Another host not answering where it said it listens: a request about its phone is
    50301 naming it, and in a many-phone operation, its phones' results say so (this
    host's own go on). What another host passed on is answered where it lands, never
    passed on again, even if the database says it is not this host's."""
    a, b = farm.start("a", phones=1), farm.start("b", phones=1)
    _eventually(lambda: len(a.call("GET", "/devices")["devices"]) == 2, "b's phone")
    with psycopg.connect(farm.dsn, autocommit=True) as conn:
        conn.execute("UPDATE hosts SET api_url = 'http://127.0.0.1:1' WHERE host_id = 'b'")
        answer = httpx.get(f"{a.api}/devices/b-0001/screenshot", timeout=PATIENCE).json()
        assert answer["code"] == 50301
        assert answer["message"].startswith("host b, which phone b-0001 is on, did not answer")
        done = a.call("POST", "/devices/shell", json={"serials": ["b-0001", "a-0001"],
                                                      "command": "echo hi"})["results"]
        assert done[0]["error"].startswith("host b, which the phone is on, did not answer")
        assert (done[1]["exit_code"], done[1]["output"]) == (0, "hi\n")
        conn.execute("UPDATE hosts SET api_url = %s WHERE host_id = 'b'",
                     [a.api.removesuffix("/api/v1")])  # a, said to be b
        assert a.call("GET", "/devices/b-0001")["host"] == "b"  # a's own answer, once
    assert b.call("GET", "/devices/b-0001")["state"] == "device"


def test_hosts_with_different_tokens_say_so(farm: Farm) -> None:
    """A farm whose hosts do not share one token: what a's caller may ask, b refuses;
    that is said as the farm's fault, not as the caller's missing token (which would make
    the console ask for one again)."""
    a = farm.start("a", phones=1, token="token-of-a")
    farm.start("b", phones=1, token="token-of-b")
    mine = {"Authorization": "Bearer token-of-a"}
    _eventually(lambda: len(httpx.get(f"{a.api}/devices", headers=mine, timeout=PATIENCE
                                      ).json()["data"]["devices"]) == 2, "b's phone")
    answer = httpx.get(f"{a.api}/devices/b-0001/screenshot", headers=mine,
                       timeout=PATIENCE).json()
    assert (answer["code"], answer["message"]) == (50001, (
        "internal error: host b, which phone b-0001 is on, refused this host's credentials:"
        " give the hosts of a farm one token"))
    done = httpx.post(f"{a.api}/devices/shell", headers=mine, timeout=PATIENCE, json={
        "serials": ["b-0001"], "command": "id"}).json()["data"]["results"]
    assert done[0]["error"].startswith("host b refused it: this server needs a token")


def test_the_console_of_one_host_shows_and_drives_the_others_phones(farm: Farm,
                                                                      chromium: str) -> None:
    """The console of host a, in a browser: b's phones on the wall, with their screens and
    their host, and one of them opened and driven from a."""
    a, b = farm.start("a", phones=1), farm.start("b", phones=1)
    _eventually(lambda: len(a.call("GET", "/devices")["devices"]) == 2, "b's phone")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(PATIENCE * 1000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(a.api.removesuffix("/api/v1") + "/")
            tile = page.locator('article.tile[data-serial="b-0001"]')
            expect(tile.locator(".tile-line")).to_contain_text("Pixel 7 · on b")
            page.wait_for_function(  # b's screen, shown through a
                "() => document.querySelector('article.tile[data-serial=\"b-0001\"] img')"
                "?.naturalWidth > 0")
            tile.locator("a.tile-screen").click()
            expect(page.locator(".phone-view aside p.muted")).to_contain_text("on b")
            page.get_by_role("button", name="home").click()
            expect(page.locator(".outcome")).to_have_text("Sent to 1 phone.")
            assert errors == []
        finally:
            browser.close()
    assert "key home on b-0001" in b.log.read_text()  # b did it


def _events(stream: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, data) of each event of an open event stream."""
    name = ""
    for line in stream.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))
