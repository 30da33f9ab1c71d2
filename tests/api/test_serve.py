"""The app through the real hypercorn server on a free loopback port, as curl talks to it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import trio

from .conftest import DEADLINE, AppAndCore, answer_head


def _fetch(url: str, method: str, body: bytes | None,
           headers: dict[str, str]) -> tuple[int, str, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return response.status, response.headers["Content-Type"], json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], json.load(error)


@pytest.fixture
async def base_url(farm: AppAndCore) -> str:
    return f"{await farm.serve(farm.app())}/api/v1"


async def curl(url: str, method: str = "GET", body: bytes | None = None,
               **headers: str) -> tuple[int, str, dict[str, Any]]:
    """One request from a thread, like an outside client."""
    with trio.fail_after(DEADLINE):
        return await trio.to_thread.run_sync(_fetch, url, method, body, headers)


async def test_license_check(base_url: str) -> None:
    status, content_type, body = await curl(f"{base_url}/license/check")
    assert (status, content_type) == (200, "application/json")
    assert body["code"] == 0
    assert body["data"]["api_enabled"] is True


async def test_create_then_list(base_url: str) -> None:
    """The overview's create example (curl -X POST -H json -d ...), then its list example."""
    status, _, body = await curl(
        f"{base_url}/task", "POST",
        b'{"serials": ["device_serial_1", "device_serial_2"], "script_name": "follow",'
        b' "script_config": {"target_username": "@example_user"},'
        b' "enable_multi_account": false, "min_interval": 1, "max_interval": 5}',
        **{"Content-Type": "application/json"})
    assert (status, body["code"], body["data"]["created_count"]) == (200, 0, 2)
    _, _, listed = await curl(f"{base_url}/task?status=0&page=1&page_size=20")
    assert [t["id"] for t in listed["data"]["tasks"]] == body["data"]["task_ids"][::-1]


async def test_errors_are_envelopes(base_url: str) -> None:
    assert await curl(f"{base_url}/nope") == (
        404, "application/json",
        {"code": 40401, "message": "no such route: GET /api/v1/nope", "data": None})
    status, _, body = await curl(f"{base_url}/task", "POST", b"{oops")
    assert (status, body["code"]) == (400, 40001)
    status, _, body = await curl(f"{base_url}/task?page_size=500")
    assert (status, body["code"]) == (400, 40001)


async def test_an_unread_body_closes_the_connection(base_url: str) -> None:
    """An answer sent while its request's body is still on its way says `Connection:
    close`: hypercorn would not skip the rest, and the next request on the connection
    would wait for good (a PUT to no route, then any request on a kept-alive connection)."""
    head = await answer_head(base_url, b"PUT /api/v1/accounts/-1 HTTP/1.1\r\nHost: localhost\r\n"
                                       b"Content-Type: application/json\r\n"
                                       b"Content-Length: 1000\r\n\r\n{\"a\": ")
    assert head.startswith(b"HTTP/1.1 404")
    assert b"connection: close" in head.lower()

