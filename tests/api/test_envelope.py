"""The envelope on every answer: unknown routes, wrong methods, bad bodies, internal errors."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing

import actors
from actors import Inbox, Refused, TaskNotFound, WallClock, WrongTaskState, supervise
from actors.messages import (
    DeleteTasks,
    GetDevice,
    ListDevices,
    RetryTasks,
    SchedulerMsg,
    StopTask,
    SubmitTasks,
)
from orchestrator.api._facade import REFUSALS
from orchestrator.errors import InvalidParams, NotFound
from orchestrator.store import open_sqlite_store

from ..actors.test_disk_full import BULKY_NOTE, fill_disk, free_disk
from .conftest import Api, AppAndCore


@pytest.mark.parametrize("path", ["/nothing", "/api/v1", "/api/v2/task", "/api/v1/tasks",
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


async def test_form_content_type_is_read_as_json(farm: AppAndCore) -> None:
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


async def _behind(woken: trio.Event, took: list[SchedulerMsg],
                  inbox: Inbox[SchedulerMsg]) -> None:
    """A scheduler far behind: it takes nothing until `woken`, then notes what it takes."""
    await woken.wait()
    async for msg in inbox:
        took.append(msg)


async def test_a_scheduler_too_far_behind_is_50301_and_nothing_is_done(farm: AppAndCore) -> None:
    """A request the scheduler does not take within the queue timeout is answered 50301
    with `Retry-After`, and withdrawn: when the scheduler catches up, it finds nothing
    of it to do."""
    woken, took = trio.Event(), list[SchedulerMsg]()
    behind = await farm.nursery.start(partial(supervise, "scheduler",
                                              partial(_behind, woken, took)))
    app = farm.app(scheduler=behind, queue_timeout=0.05)
    api = Api(client=app.test_client())
    for method, path, body in SCHEDULER_ROUTES:
        answer = await api(method, path, body)
        assert (answer.status, answer.code, answer.data) == (503, 50301, None), path
        assert answer.headers["Retry-After"] == "1"
        assert "did nothing" in answer.message
    woken.set()
    await trio.testing.wait_all_tasks_blocked()
    assert took == []
    behind.stop()


async def _failing(error: Exception, inbox: Inbox[SchedulerMsg]) -> None:
    """A scheduler with a bug: it answers every request with `error`."""
    async for msg in inbox:
        match msg:
            case (StopTask(reply=reply) | RetryTasks(reply=reply) | DeleteTasks(reply=reply)
                  | SubmitTasks(reply=reply) | ListDevices(reply=reply)
                  | GetDevice(reply=reply)):
                reply.fail(error)


SCHEDULER_ROUTES = [("POST", "task/1/stop", None), ("POST", "task/1/retry", None),
                    ("POST", "task/retry-all", None), ("DELETE", "task/1", None),
                    ("DELETE", "task/batch", {"task_ids": [1, 2]}), ("GET", "devices", None),
                    ("GET", "devices/p1", None),
                    ("POST", "task", {"serials": ["p1"], "script_name": "follow",
                                      "script_config": {"target_user": "ann"}})]


@pytest.mark.parametrize("error", [
    KeyError(1), IndexError("list index out of range"), OverflowError("too large"),
    ValueError("task 1 is broken"), LookupError("task 1 not found"), Refused("unlisted")],
    ids=lambda error: type(error).__name__)
async def test_a_fault_in_the_scheduler_is_internal_error(
        farm: AppAndCore, error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    """Only a refusal `REFUSALS` lists is the client's fault: any other exception the
    scheduler answers with, a builtin `ValueError` or `LookupError` as much as a
    `KeyError` (or a refusal nobody mapped), is a bug, answered 50001 and logged with
    its traceback on every route that asks the scheduler, not 40001 or 40401."""
    failing = await farm.nursery.start(partial(supervise, "scheduler",
                                               partial(_failing, error)))
    app = farm.app(scheduler=failing)
    api = Api(client=app.test_client())
    for method, path, body in SCHEDULER_ROUTES:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="orchestrator.api"):
            answer = await api(method, path, body)
        assert (answer.status, answer.code, answer.data) == (500, 50001, None), path
        assert answer.message == f"internal error: {type(error).__name__}"
        (record,) = caplog.records
        assert record.getMessage() == f"{method} /api/v1/{path} failed"
        assert record.exc_info is not None
        assert record.exc_info[1] is error
    failing.stop()


def test_every_refusal_has_an_answer() -> None:
    """Each refusal `actors` exports is mapped to its API error in the one table."""
    refusals = {cls for name in actors.__all__
                if isinstance(cls := getattr(actors, name), type)
                and issubclass(cls, Refused) and cls is not Refused}
    assert refusals == set(REFUSALS)
    assert (REFUSALS[TaskNotFound], REFUSALS[WrongTaskState]) == (NotFound, InvalidParams)


async def test_gone_scheduler_is_internal_error(farm: AppAndCore) -> None:
    address = await farm.nursery.start(partial(supervise, "scheduler", _deaf))
    address.stop()
    app = farm.app(scheduler=address)
    answer = await Api(client=app.test_client())("GET", "devices")
    assert (answer.code, answer.message) == (50001, "internal error: actor 'scheduler' is closed")


async def test_unexpected_exception_is_logged(farm: AppAndCore, tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """An exception nobody expected (here: a closed store) is 50001, logged with traceback."""
    async with open_sqlite_store(tmp_path / "closed.db") as store:
        pass
    app = farm.app(store=store, clock=WallClock())
    with caplog.at_level(logging.ERROR, logger="orchestrator.api"):
        answer = await Api(client=app.test_client())("GET", "task/stats")
    assert (answer.status, answer.code, answer.data) == (500, 50001, None)
    assert answer.message == "internal error: ClosedResourceError"
    (record,) = caplog.records
    assert record.getMessage() == "GET /api/v1/task/stats failed"
    assert record.exc_info is not None


async def test_a_full_disk_is_said_as_it_is(farm: AppAndCore, api: Api) -> None:
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
