"""API processes: which requests they answer themselves, and what they answer when the
core does not (the whole flow through them runs in the end-to-end tests)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import trio
from trio.testing import wait_all_tasks_blocked

from orchestrator.api._app import create_reads_app
from orchestrator.api._forward import answered_here
from orchestrator.api._hypercorn import serve_on, tcp_bind
from orchestrator.api._serve import serve_api
from orchestrator.plans import default_plan

from .conftest import DEADLINE, AppAndCore


@pytest.mark.parametrize(("method", "path", "here"), [
    ("GET", "/api/v1/task", True),
    ("GET", "/api/v1/task/stats", True),
    ("GET", "/api/v1/task/42", True),
    ("POST", "/api/v1/task", False),
    ("DELETE", "/api/v1/task/42", False),
    ("POST", "/api/v1/task/42/stop", False),
    ("GET", "/api/v1/task/42/stop", False),
    ("GET", "/api/v1/task/x", False),
    ("GET", "/api/v1/task/\u0664\u0662", False),  # Arabic-Indic digits: no id
    ("GET", "/api/v1/task/", True),  # `/task/` is `/task`
    ("HEAD", "/api/v1/task/stats", True),
    ("GET", "/api/v1/task/99999999999999999999", False),  # no such id: the core says so
    ("GET", "/api/v1/nope", False),
    ("GET", "/api/v1/devices", False),  # the scheduler knows the phones
    ("GET", "/api/v1/accounts", False),  # whether each account's phone is online
    ("GET", "/api/v1/materials", False),
    ("GET", "/api/v1/license/check", False),
])
async def test_answered_here(farm: AppAndCore, method: str, path: str, here: bool) -> None:
    """An API process answers what its app routes (the task reads, by the app's own
    routing); everything else goes to the core."""
    async with httpx.AsyncClient() as core:
        app = create_reads_app(store=farm.store, plan=default_plan(), core=core)
    assert answered_here(app.url_map)(method, path) is here


@asynccontextmanager
async def serving_front(farm: AppAndCore, core_socket: Path) -> AsyncIterator[str]:
    """An API process's app, in this process, forwarding to `core_socket`; its URL."""
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(core_socket)),
                                 base_url="http://core") as core:
        app = create_reads_app(store=farm.store, plan=default_plan(), core=core)
        [bound] = await farm.nursery.start(serve_on, app, [tcp_bind("127.0.0.1", 0)])
        yield bound


async def test_core_gone(farm: AppAndCore, tmp_path: Path) -> None:
    """A request for the core while the core does not answer gets 50001 (HTTP 500);
    the reads an API process answers itself still work."""
    async with (serving_front(farm, tmp_path / "nobody.sock") as front,
                httpx.AsyncClient(base_url=front, timeout=DEADLINE) as client):
        created = await client.post("/api/v1/task", json={
            "serials": ["p1"], "script_name": "follow",
            "script_config": {"target_users": ["a"]}})
        stats = await client.get("/api/v1/task/stats")
    body = created.json()
    assert (created.status_code, body["code"]) == (500, 50001)
    assert body["message"].startswith("internal error: the core did not answer")
    assert (stats.status_code, stats.json()["data"]["total"]) == (200, 0)


async def test_processes_need_to_know_what_to_open(farm: AppAndCore) -> None:
    app = farm.app()
    with pytest.raises(ValueError, match="API processes need `process`"):
        await serve_api(app, host="127.0.0.1", port=0, processes=1)


@pytest.fixture
async def front(farm: AppAndCore, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an API process's app, in this process: the middleware forwards to the
    core's app on a Unix socket."""
    await farm.nursery.start(serve_on, farm.app(), [f"unix:{tmp_path / 'core.sock'}"])
    async with serving_front(farm, tmp_path / "core.sock") as bound:
        yield bound


async def test_forwarded_as_sent(front: str) -> None:
    """A body sent in chunks (no length) and a query string arrive whole, and the answer
    comes back as the core gave it, with the headers of one server."""
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"serials": ["p1", "p2"], "script_name": "follow", '
        yield b'"script_config": {"target_users": ["a"]}}'

    async with httpx.AsyncClient(base_url=front, timeout=DEADLINE) as client:
        created = await client.post("/api/v1/task", content=chunks(),
                                    headers={"content-type": "application/json"})
        page = await client.get("/api/v1/accounts", params={"page": 2, "page_size": 5})
        missing = await client.post("/api/v1/task/999/stop")
    assert created.json()["data"]["created_count"] == 2
    assert page.json()["data"]["page"] == 2
    assert (missing.status_code, missing.json()["code"]) == (404, 40401)
    for answer in (created, page, missing):
        assert [k for k, _ in answer.headers.multi_items()].count("date") == 1


async def test_a_client_gone_mid_upload_is_no_error(front: str,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A client that announces a body and leaves half-way: nothing to answer, no error
    logged, and the next request is served.

    The servers run in this process: once every task waits, the half body has gone as far
    as it goes, and then the client's leaving has been handled (not after a sleep: that
    is too short on a busy machine and wasted time on an idle one)."""
    host, port = front.removeprefix("http://").rsplit(":", 1)
    stream = await trio.open_tcp_stream(host, int(port))
    # the server's own host: another is refused (403) before the body is even read
    await stream.send_all(f"POST /api/v1/task HTTP/1.1\r\nhost: {host}:{port}\r\n".encode()
                          + b"content-type: application/json\r\ncontent-length: 100000\r\n\r\n"
                          + b"{" * 1000)
    await wait_all_tasks_blocked()
    await stream.aclose()
    await wait_all_tasks_blocked()
    async with httpx.AsyncClient(base_url=front, timeout=DEADLINE) as client:
        assert (await client.get("/api/v1/devices")).json()["code"] == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_kept_alive_after_unread_bodies(front: str) -> None:
    """Through an API process to the core, many times over one kept-alive connection:
    every request is answered (it hung now and then before: the core's connection in the
    pool had an unread body)."""
    async with httpx.AsyncClient(base_url=front, timeout=DEADLINE) as client:
        for number in range(1, 41):
            refused = await client.put(f"/api/v1/accounts/-{number}", content=b"\x00")
            assert refused.json()["code"] == 40401
            assert (await client.get("/api/v1/devices")).json()["code"] == 0
