"""`GET /events` on the real server (a loopback port), read as a browser's EventSource
reads it: task, task_deleted and device events as they happen, filters, resuming with
`Last-Event-ID`, the heartbeat, and through an API process.

The stream is read over HTTP/1.0, its body the bytes as they come until the connection
closes: a stream never ends, and httpx's readers, left mid-body, are async generators
that trio reports as never closed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import trio

from actors.messages import DevicesListed
from orchestrator.api import _events as events_module
from orchestrator.api._hypercorn import serve_on

from .conftest import DEADLINE, AppAndCore
from .test_forward import serving_front


@attrs.frozen
class Sse:
    """One event as a browser sees it."""

    id: int
    event: str
    data: Any


@attrs.define
class Stream:
    """An open event stream."""

    connection: trio.SocketStream
    buffer: bytes = b""

    async def line(self) -> str:
        with trio.fail_after(DEADLINE):
            while b"\n" not in self.buffer:
                data = await self.connection.receive_some()
                if not data:
                    raise AssertionError("the stream ended")
                self.buffer += data
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()

    async def next(self) -> Sse:
        """The next event (comment lines passed over)."""
        fields: dict[str, str] = {}
        while True:
            line = await self.line()
            if line and not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
            elif not line and "event" in fields:
                return Sse(int(fields["id"]), fields["event"], json.loads(fields["data"]))

    async def until(self, wanted: Any) -> Sse:
        """The next event for which `wanted(event)` holds (others are passed over)."""
        while not wanted(event := await self.next()):
            pass
        return event


@asynccontextmanager
async def following(base: str, *, headers: dict[str, str] | None = None,
                    **query: str | int) -> AsyncIterator[Stream]:
    """The event stream of the server at `base`, open; closed on leaving."""
    host, _, port = base.removeprefix("http://").rpartition(":")
    target = str(httpx.URL("/api/v1/events", params=query))
    head = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    with trio.fail_after(DEADLINE):
        connection = await trio.open_tcp_stream(host, int(port))
    async with connection:
        await connection.send_all(
            f"GET {target} HTTP/1.0\r\nHost: {host}:{port}\r\n{head}\r\n".encode())
        stream = Stream(connection)
        status = await stream.line()
        assert status.split()[1] == "200", status
        answer_headers = {}
        while (line := (await stream.line()).rstrip("\r")):
            name, _, value = line.partition(":")
            answer_headers[name.lower()] = value.strip()
        assert answer_headers["content-type"].startswith("text/event-stream")
        assert answer_headers["cache-control"] == "no-store"
        yield stream


@pytest.fixture
async def base(farm: AppAndCore) -> str:
    """The real server on a loopback port."""
    return await farm.serve(farm.app())


async def create(base: str, serials: list[str], **config: Any) -> list[int]:
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as client:
        answer = (await client.post("/api/v1/task", json={
            "serials": serials, "script_name": "follow",
            "script_config": {"target_users": ["ann"], **config}})).json()
    assert answer["code"] == 0, answer
    ids: list[int] = answer["data"]["task_ids"]
    return ids


async def test_a_task_from_creation_to_its_end(farm: AppAndCore, base: str) -> None:
    await farm.plug("p1")
    async with following(base) as stream:
        [task_id] = await create(base, ["p1"])
        seen = [await stream.until(lambda e: e.event == "task") for _ in range(3)]
    assert [e.data["status_text"] for e in seen] == ["pending", "running", "completed"]
    assert {e.data["id"] for e in seen} == {task_id}
    assert seen[2].data["remark"] == "followed 1 user"
    assert seen[0].id < seen[1].id < seen[2].id


async def test_why_a_pending_task_waits(farm: AppAndCore, base: str) -> None:
    """A pending task's remark is news too: the task again, saying why it waits."""
    await farm.scheduler.send(DevicesListed())  # the watcher's word: no phone p9 here
    async with following(base) as stream:
        [task_id] = await create(base, ["p9"])
        waiting = await stream.until(lambda e: e.event == "task" and bool(e.data["remark"]))
    assert (waiting.data["id"], waiting.data["status_text"], waiting.data["remark"]) == (
        task_id, "pending", "waiting: phone p9 is not connected")


async def test_phones_and_deletes(farm: AppAndCore, base: str) -> None:
    """A phone's event is its device object (its host and groups too, as they are now)."""
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as client:
        await client.post("/api/v1/groups", json={"name": "shelf", "serials": ["p2"]})
    async with following(base) as stream:
        await farm.plug("p2", model="Pixel 9")
        device = await stream.until(lambda e: e.event == "device")
        assert device.data == {"serial": "p2", "state": "device", "model": "Pixel 9",
                               "host": socket.gethostname(), "groups": ["shelf"],
                               "current_task_id": None, "pending_count": 0}
        [task_id] = await create(base, ["p2"], outcome="hold")
        await stream.until(lambda e: e.event == "task" and e.data["status_text"] == "running")
        async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as client:
            assert (await client.delete(f"/api/v1/task/{task_id}")).json()["code"] == 0
        deleted = await stream.until(lambda e: e.event == "task_deleted")
    assert deleted.data == {"id": task_id}


async def test_filters(farm: AppAndCore, base: str) -> None:
    await farm.plug("p1")
    await farm.plug("p2")
    async with following(base, serial="p2") as stream:
        await create(base, ["p1"])
        [theirs] = await create(base, ["p2"])
        event = await stream.next()
    assert (event.event, event.data["id"], event.data["serial"]) == ("task", theirs, "p2")
    _, wanted = await create(base, ["x1", "x2"])
    async with following(base, task_id=wanted, headers={"Last-Event-ID": "0"}) as stream:
        event = await stream.next()  # from the start of the log: none of the others
    assert (event.event, event.data["id"]) == ("task", wanted)


async def test_resuming_with_the_last_id_seen(farm: AppAndCore, base: str) -> None:
    """A client that reconnects gets what happened while it was away, in order."""
    async with following(base) as stream:
        [first] = await create(base, ["nobody"])
        seen = await stream.next()
    assert seen.data["id"] == first
    missed = [*await create(base, ["nobody"]), *await create(base, ["nobody"])]
    async with following(base, headers={"Last-Event-ID": str(seen.id)}) as stream:
        again = [await stream.next() for _ in missed]
    assert [e.data["id"] for e in again] == missed
    assert [e.id for e in again] == [seen.id + 1, seen.id + 2]


@pytest.mark.parametrize(("query", "headers", "named"), [
    ({"task_id": "x"}, {}, "task_id"),
    ({}, {"Last-Event-ID": "-1"}, "Last-Event-ID"),
    ({}, {"Last-Event-ID": "1" * 30}, "Last-Event-ID"),
])
async def test_a_callers_mistake_is_40001(base: str, query: dict[str, str],
                                          headers: dict[str, str], named: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=DEADLINE) as client:
        answer = await client.get("/api/v1/events", params=query, headers=headers)
    body = answer.json()
    assert (answer.status_code, body["code"]) == (400, 40001)
    assert named in body["message"]


async def test_a_quiet_stream_says_it_is_alive(base: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_module, "HEARTBEAT", 0.05)
    async with following(base) as stream:
        while await stream.line() != ": alive":
            pass


async def test_through_an_api_process_and_gone_with_its_client(
        farm: AppAndCore, tmp_path: Path) -> None:
    """An API process forwards the stream as it comes; when the client goes, so does the
    core's stream (nobody is left waiting on the log)."""
    await farm.nursery.start(serve_on, farm.app(), [f"unix:{tmp_path / 'core.sock'}"])
    await farm.plug("p1")
    async with serving_front(farm, tmp_path / "core.sock") as front:
        async with following(front) as stream:
            [task_id] = await create(front, ["p1"])
            event = await stream.until(lambda e: e.data.get("status_text") == "completed")
            assert event.data["id"] == task_id
            assert farm.events.followers == 1
        with trio.fail_after(DEADLINE):
            while True:  # the core's stream ends a moment after the client's
                if not farm.events.followers:
                    break
                await trio.sleep(0.01)
