"""Webhooks through real HTTP on loopback: a receiver that is down and then back gets
every task end, signed, once it is back; one that never answers, or refuses, holds up
no task; each attempt at one end carries the same delivery id."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import attrs
import httpx
import pytest
import trio
from quart import Response, request
from quart_trio import QuartTrio

from actors import TaskStatus
from orchestrator.api import SIGNATURE_HEADER, Webhooks, deliver_webhooks

from .conftest import DEADLINE, AppAndCore

SECRET = "s3cr3t-hook"
FAST = (0.05, 0.2)  # backoff seconds: retried quickly in a test


@attrs.define
class Receiver:
    """A webhook receiver: answers `status` to every post, and keeps them all."""

    status: int = 503
    posts: list[tuple[dict[str, str], bytes]] = attrs.Factory(list)
    url: str = ""

    def taken(self) -> list[tuple[dict[str, str], bytes]]:
        """The posts answered with success."""
        return [post for post in self.posts if post[0]["answered"] == "200"]

    def app(self) -> QuartTrio:
        app = QuartTrio(__name__)

        @app.post("/hook")
        async def hook() -> Response:
            headers = {key.lower(): value for key, value in request.headers.items()}
            self.posts.append(({**headers, "answered": str(self.status)},
                               await request.get_data()))
            return Response("", status=self.status)

        return app


@asynccontextmanager
async def hooked(farm: AppAndCore, *urls: str) -> AsyncIterator[None]:
    """Webhooks to `urls` from `farm`'s events, until the block ends (the senders first,
    then their client)."""
    async with httpx.AsyncClient() as http, trio.open_nursery() as nursery:
        await nursery.start(deliver_webhooks, farm.events, Webhooks(
            urls=urls, secret=SECRET, backoff=FAST, timeout=0.5), http)
        yield
        nursery.cancel_scope.cancel()


async def _receiver(farm: AppAndCore, status: int = 503) -> Receiver:
    receiver = Receiver(status=status)
    receiver.url = f"{await farm.serve(receiver.app())}/hook"
    return receiver


async def eventually(check: Callable[[], bool], what: str) -> None:
    with trio.move_on_after(DEADLINE):
        while not check():  # noqa: ASYNC110 (a state seen from outside: the log, a server)
            await trio.sleep(0.02)
        return
    pytest.fail(f"not within {DEADLINE} s: {what}")


async def test_down_then_back_gets_every_end_signed(farm: AppAndCore) -> None:
    receiver = await _receiver(farm, status=503)
    async with hooked(farm, receiver.url):
        await farm.plug("s1")
        done = await farm.api.create(["s1"], ["a", "b"])
        (failed,) = await farm.api.create(["s1"], ["c"], config={"outcome": "fail"})
        for task_id in done:  # the tasks end while the receiver is down: nothing waits
            await farm.wait_status(task_id, TaskStatus.COMPLETED)
        await farm.wait_status(failed, TaskStatus.FAILED)
        await eventually(lambda: len(receiver.posts) >= 3, "tries while down")
        assert receiver.taken() == []
        receiver.status = 200
        await eventually(lambda: len(receiver.taken()) == 3, "every end, once back")
    ends = {}
    for headers, body in receiver.taken():
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers[SIGNATURE_HEADER.lower()] == f"sha256={digest}"
        assert headers["content-type"] == "application/json"
        sent = json.loads(body)
        assert headers["x-orchestrator-event"] == sent["event"]
        ends[sent["task"]["id"]] = (sent["event"], sent["task"]["status_text"],
                                    headers["x-orchestrator-delivery"])
    assert {task_id: end[:2] for task_id, end in ends.items()} == {
        done[0]: ("task.completed", "completed"), done[1]: ("task.completed", "completed"),
        failed: ("task.failed", "failed")}
    # each attempt at one end carried that end's delivery id, and no other end's
    for headers, body in receiver.posts:
        assert headers["x-orchestrator-delivery"] == ends[json.loads(body)["task"]["id"]][2]


async def test_a_receiver_that_never_answers_or_refuses_holds_up_nothing(
        farm: AppAndCore, caplog: pytest.LogCaptureFixture) -> None:
    """A URL where nothing listens, and one that refuses (400): every task ends as
    usual, and the log says which webhook fails (without its credentials)."""
    caplog.set_level(logging.INFO, "orchestrator.api")
    with trio.socket.socket() as sock:  # a port nothing listens on once it is closed
        await sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refusing = await _receiver(farm, status=400)
    async with hooked(farm, f"http://user:hunter2@127.0.0.1:{port}/hook", refusing.url):
        await farm.plug("s1")
        ids = await farm.api.create(["s1"], [f"u{k}" for k in range(5)])
        for task_id in ids:
            await farm.wait_status(task_id, TaskStatus.COMPLETED)
        await eventually(lambda: len(refusing.posts) == 5, "each end, refused once")
        await eventually(lambda: "fails (ConnectError" in caplog.text, "the failure said")
    assert f"webhook http://127.0.0.1:{port} fails" in caplog.text  # its origin only
    assert "refused a task.completed delivery (HTTP 400); dropped" in caplog.text
    assert "hunter2" not in caplog.text
