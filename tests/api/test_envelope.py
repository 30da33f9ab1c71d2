"""The envelope on every answer: unknown routes, wrong methods, bad bodies, internal errors."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import pytest

import orchestrator.api
from actors import Inbox, WallClock, supervise
from actors.messages import SchedulerMsg
from orchestrator.api import create_app
from orchestrator.plans import default_plan
from orchestrator.store import open_sqlite_store

from ..actors.test_disk_full import BULKY_NOTE, fill_disk, free_disk
from .conftest import Api, Farm


@pytest.mark.parametrize("path", ["/", "/api/v1", "/api/v2/task", "/api/v1/tasks",
                                  "/api/v1/task/1/pause", "/favicon.ico"])
async def test_unknown_route(api: Api, path: str) -> None:
    answer = await api("GET", path)
    assert (answer.status, answer.code, answer.data) == (404, 40401, None)
    assert answer.message == f"no such route: GET {path}"


async def test_wrong_method_names_it(api: Api) -> None:
    answer = await api("PUT", "license/check")
    assert (answer.status, answer.code) == (404, 40401)
    assert answer.message == ("method PUT is not allowed on /api/v1/license/check "
                              "(allowed: GET, HEAD)")


async def test_options_is_an_envelope_too(api: Api) -> None:
    answer = await api("OPTIONS", "task")
    assert (answer.code, answer.message) == (
        40401, "method OPTIONS is not allowed on /api/v1/task (allowed: GET, HEAD, POST)")


def test_exports() -> None:
    """The package's curated surface is sorted and complete."""
    assert orchestrator.api.__all__ == [
        "API_PREFIX", "POSTGRES_VARIABLE", "TOKEN_VARIABLE", "Access", "ApiProcess",
        "create_app", "is_loopback", "is_origin", "run_api_process", "serve_api"]
    assert all(hasattr(orchestrator.api, name) for name in orchestrator.api.__all__)


async def test_trailing_slash(api: Api) -> None:
    """`/task/` is `/task`: no redirect."""
    assert (await api("GET", "task/")).code == 0


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"serials": [', "the body is not valid JSON"),
    (b"", "the body is not valid JSON"),
    (b"serials=a&script_name=follow", "the body is not valid JSON"),
    (b'["follow"]', "the body must be a JSON object"),
    (b'"follow"', "the body must be a JSON object"),
    (b"null", "the body must be a JSON object"),
])
@pytest.mark.parametrize(("method", "path"), [("POST", "task"), ("DELETE", "task/batch")])
async def test_bad_body(api: Api, method: str, path: str, raw: bytes, message: str) -> None:
    answer = await api(method, path, raw=raw)
    assert (answer.status, answer.code, answer.data) == (400, 40001, None)
    assert answer.message.startswith(message)


async def test_form_content_type_is_read_as_json(farm: Farm) -> None:
    """curl's `-d` without `-H` sends form data's Content-Type; the JSON is read anyway."""
    response = await farm.api.client.post(
        "/api/v1/task", data=b'{"serials":["s1"],"script_name":"follow",'
                              b'"script_config":{"target_user":"a"}}',
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (await response.get_json())["data"]["created_count"] == 1


async def _deaf(inbox: Inbox[SchedulerMsg]) -> None:
    """An actor that takes requests and never answers them."""
    async for _ in inbox:
        pass


async def test_stuck_scheduler_is_internal_error(farm: Farm) -> None:
    """A scheduler that does not answer gives 50001 after the reply timeout, not a hang."""
    deaf = await farm.nursery.start(partial(supervise, "scheduler", _deaf))
    app = create_app(scheduler=deaf, store=farm.store, plan=default_plan(), clock=farm.clock,
                     materials=farm.materials, reply_timeout=0.05)
    api = Api(client=app.test_client())
    for method, path in [("GET", "devices"), ("POST", "task/1/stop"), ("POST", "task/retry-all")]:
        answer = await api(method, path)
        assert (answer.status, answer.code, answer.data) == (500, 50001, None)
        assert "did not reply" in answer.message
    deaf.stop()


async def test_gone_scheduler_is_internal_error(farm: Farm) -> None:
    address = await farm.nursery.start(partial(supervise, "scheduler", _deaf))
    address.stop()
    app = create_app(scheduler=address, store=farm.store, plan=default_plan(),
                     clock=farm.clock, materials=farm.materials)
    answer = await Api(client=app.test_client())("GET", "devices")
    assert (answer.code, answer.message) == (50001, "internal error: actor 'scheduler' is closed")


async def test_unexpected_exception_is_logged(farm: Farm, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """An exception nobody expected (here: a closed store) is 50001, logged with traceback."""
    async with open_sqlite_store(tmp_path / "closed.db") as store:
        pass
    app = create_app(scheduler=farm.scheduler, store=store, plan=default_plan(),
                     clock=WallClock(), materials=farm.materials)
    with caplog.at_level(logging.ERROR, logger="orchestrator.api"):
        answer = await Api(client=app.test_client())("GET", "task/stats")
    assert (answer.status, answer.code, answer.data) == (500, 50001, None)
    assert answer.message == "internal error: ClosedResourceError"
    (record,) = caplog.records
    assert record.getMessage() == "GET /api/v1/task/stats failed"
    assert record.exc_info is not None


async def test_a_full_disk_is_said_as_it_is(farm: Farm, api: Api) -> None:
    """The database refusing a write (a full disk) is 50001 naming why, not only the
    exception's class; once space comes back the same request is taken."""
    body = {"serials": ["p1"], "script_name": "follow",
            "script_config": {"target_user": "ann", "note": BULKY_NOTE}}
    await fill_disk(farm.store)
    try:
        answer = await api("POST", "task", body)
    finally:
        await free_disk(farm.store)
    assert (answer.status, answer.code) == (500, 50001)
    assert answer.message == "internal error: the database refused it (database or disk is full)"
    assert (await api("POST", "task", body)).code == 0
