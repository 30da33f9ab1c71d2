"""The `/task` routes besides creation: read, list, stats, delete, stop, retry."""

from __future__ import annotations

import pytest

from actors import TaskStatus
from orchestrator.api import API_PREFIX
from orchestrator.api._render import local_time

from .conftest import Api, AppAndCore

TASK_FIELDS = {"id", "serial", "username", "script_name", "script_config", "status",
               "status_text", "source", "start_time", "end_time", "remark", "retry_count",
               "created_at"}


class TestGet:
    async def test_pending(self, farm: AppAndCore) -> None:
        """Every field of the task object, times local `YYYY-MM-DD HH:MM:SS`."""
        (task_id,) = await farm.api.create(["s1"], ["alice"])
        answer = await farm.api("GET", f"task/{task_id}")
        stored = await farm.store.get_task(task_id)
        assert stored is not None
        assert TASK_FIELDS <= set(answer.data)
        assert {key: answer.data[key] for key in TASK_FIELDS - {"script_config"}} == {
            "id": task_id, "serial": "s1", "username": None, "script_name": "follow",
            "status": 0, "status_text": "pending", "source": "api",
            "start_time": local_time(stored.due_at), "end_time": None, "remark": "",
            "retry_count": 0, "created_at": local_time(stored.created_at)}
        assert answer.data["script_config"]["target_user"] == "alice"

    async def test_completed(self, farm: AppAndCore) -> None:
        """A finished task: real start, end time, remark and result."""
        await farm.plug("s1")
        (task_id,) = await farm.api.create(["s1"], ["alice"])
        done = await farm.wait_status(task_id, TaskStatus.COMPLETED)
        data = (await farm.api("GET", f"task/{task_id}")).data
        assert done.started_at is not None
        assert done.finished_at is not None
        assert (data["status"], data["status_text"], data["remark"]) == (
            2, "completed", "followed 1 user")
        assert data["start_time"] == local_time(done.started_at)
        assert data["end_time"] == local_time(done.finished_at)
        assert data["result"] == {"followed": 1}

    @pytest.mark.parametrize("path", ["task/999", "task/abc", "task/-1", "task/1.5"])
    async def test_missing_or_not_an_id(self, api: Api, path: str) -> None:
        answer = await api("GET", path)
        assert (answer.status, answer.code) == (404, 40401)


class TestList:
    async def test_newest_first_and_pages(self, farm: AppAndCore) -> None:
        ids = await farm.api.create(["s1"], [f"u{i}" for i in range(5)])
        page = (await farm.api("GET", "task", query={"page_size": 2})).data
        assert [t["id"] for t in page["tasks"]] == ids[::-1][:2]
        assert (page["total"], page["page"], page["page_size"]) == (5, 1, 2)
        page3 = (await farm.api("GET", "task", query={"page": 3, "page_size": 2})).data
        assert [t["id"] for t in page3["tasks"]] == ids[:1]
        beyond = (await farm.api("GET", "task", query={"page": 9})).data
        assert (beyond["tasks"], beyond["total"]) == ([], 5)
        oldest = (await farm.api("GET", "task", query={"order": "asc"})).data
        assert [t["id"] for t in oldest["tasks"]] == ids

    async def test_defaults(self, api: Api) -> None:
        answer = await api("GET", "task")
        assert answer.data == {"tasks": [], "total": 0, "page": 1, "page_size": 20}

    async def test_filters(self, farm: AppAndCore) -> None:
        await farm.plug("s2")
        pending = await farm.api.create(["s1"], ["a", "b"])
        (failed,) = await farm.api.create(["s2"], ["c"], config={"outcome": "fail"})
        await farm.wait_status(failed, TaskStatus.FAILED)

        async def ids(**query: str | int) -> list[int]:
            answer = await farm.api("GET", "task", query=query)
            return sorted(t["id"] for t in answer.data["tasks"])

        assert await ids(status=0) == pending
        assert await ids(status=3) == [failed]
        assert await ids(status=2) == []
        assert await ids(serial="s2") == [failed]
        assert await ids(script_name="follow", source="api") == [*pending, failed]
        assert await ids(script_name="post") == []
        assert await ids(source="ui") == []
        assert await ids(status="", serial="") == [*pending, failed]  # empty: absent

    @pytest.mark.parametrize(("query", "message"), [
        ({"status": 7}, "$.status: must be one of 0, 1, 2, 3, got '7'"),
        ({"status": "done"}, "$.status: must be one of 0, 1, 2, 3, got 'done'"),
        ({"source": "web"}, "$.source: must be one of 'api', 'ui', 'schedule', got 'web'"),
        ({"page": 0}, "$.page: must be at least 1, got 0"),
        ({"page": "x"}, "$.page: expected an integer, got 'x'"),
        ({"page_size": 101}, "$.page_size: must be at most 100, got 101"),
        ({"page_size": 0}, "$.page_size: must be at least 1, got 0"),
        ({"order": "up"}, "$.order: must be one of 'desc', 'asc', got 'up'"),
    ])
    async def test_bad_query(self, api: Api, query: dict[str, str | int], message: str) -> None:
        answer = await api("GET", "task", query=query)
        assert (answer.status, answer.code, answer.message) == (400, 40001, message)

    async def test_page_size_100_allowed(self, api: Api) -> None:
        assert (await api("GET", "task", query={"page_size": 100})).code == 0


async def test_stats(farm: AppAndCore) -> None:
    await farm.plug("s1")
    await farm.plug("s2")
    (held,) = await farm.api.create(["s1"], ["a"], config={"outcome": "hold"})
    (done,) = await farm.api.create(["s2"], ["b"])
    await farm.wait_status(held, TaskStatus.RUNNING)
    await farm.wait_status(done, TaskStatus.COMPLETED)
    await farm.api.create(["s1"], ["c", "d"])
    answer = await farm.api("GET", "task/stats")
    assert answer.data == {"total": 4, "pending": 2, "running": 1, "completed": 1, "failed": 0}


async def test_stats_ahead_of_quart_answers_as_quart_does(farm: AppAndCore) -> None:
    """`GET /task/stats` is answered ahead of Quart (`_hot`); `/task/stats/` still goes
    through Quart: the same bytes, status and content type either way."""
    await farm.api.create(["s1"], ["a", "b"])
    hot = await farm.api.client.get(f"{API_PREFIX}/task/stats")
    through_quart = await farm.api.client.get(f"{API_PREFIX}/task/stats/")
    assert await hot.get_data() == await through_quart.get_data()
    assert (hot.status_code, hot.content_type) == (200, "application/json")
    assert (through_quart.status_code, through_quart.content_type) == (200, "application/json")
    assert hot.content_length == through_quart.content_length
    assert (await hot.get_json())["data"]["pending"] == 2


class TestDelete:
    async def test_one(self, farm: AppAndCore) -> None:
        ids = await farm.api.create(["s1"], ["a", "b"])
        answer = await farm.api("DELETE", f"task/{ids[0]}")
        assert answer.data == {"deleted_count": 1, "task_ids": [ids[0]]}
        assert await farm.store.get_task(ids[0]) is None
        assert (await farm.api("DELETE", f"task/{ids[0]}")).code == 40401

    async def test_running_is_stopped_first(self, farm: AppAndCore) -> None:
        await farm.plug("s1")
        (task_id,) = await farm.api.create(["s1"], ["a"], config={"outcome": "hold"})
        await farm.wait_status(task_id, TaskStatus.RUNNING)
        answer = await farm.api("DELETE", f"task/{task_id}")
        assert answer.data == {"deleted_count": 1, "task_ids": [task_id]}
        (snapshot,) = (await farm.api("GET", "devices")).data["devices"]
        assert snapshot["current_task_id"] is None  # the phone is free again

    async def test_batch(self, farm: AppAndCore) -> None:
        await farm.plug("s1")
        ids = await farm.api.create(["s1"], ["a", "b", "c"], config={"outcome": "hold"})
        await farm.wait_status(ids[0], TaskStatus.RUNNING)
        answer = await farm.api("DELETE", "task/batch", {"task_ids": [ids[0], ids[2], 999]})
        assert answer.data == {"deleted_count": 2, "task_ids": [ids[0], ids[2]]}
        assert (await farm.store.task_stats()).total == 1

    @pytest.mark.parametrize(("body", "message"), [
        ({"task_ids": []}, "$.task_ids: must not be empty"),
        ({}, "$.task_ids: required field missing"),
        ({"task_ids": [1, "2"]}, "$.task_ids[1]: expected an integer, got a string"),
        ({"task_ids": 1}, "$.task_ids: expected an array, got an integer"),
    ])
    async def test_batch_invalid(self, api: Api, body: object, message: str) -> None:
        answer = await api("DELETE", "task/batch", body)
        assert (answer.code, answer.message) == (40001, message)


class TestStop:
    async def test_pending(self, farm: AppAndCore) -> None:
        (task_id,) = await farm.api.create(["s1"], ["a"])
        answer = await farm.api("POST", f"task/{task_id}/stop")
        assert (answer.data["status"], answer.data["status_text"]) == (3, "failed")
        assert "stopped" in answer.data["remark"]
        assert answer.data["end_time"] is not None

    async def test_running(self, farm: AppAndCore) -> None:
        await farm.plug("s1")
        (task_id,) = await farm.api.create(["s1"], ["a"], config={"outcome": "hold"})
        await farm.wait_status(task_id, TaskStatus.RUNNING)
        answer = await farm.api("POST", f"task/{task_id}/stop")
        assert (answer.code, answer.data["id"], answer.data["status"]) == (0, task_id, 3)
        assert "stopped" in answer.data["remark"]

    async def test_finished_is_invalid(self, farm: AppAndCore) -> None:
        (task_id,) = await farm.api.create(["s1"], ["a"])
        await farm.api("POST", f"task/{task_id}/stop")
        answer = await farm.api("POST", f"task/{task_id}/stop")
        assert (answer.code, answer.message) == (
            40001, f"task {task_id} is failed, not running or pending")

    async def test_missing(self, api: Api) -> None:
        answer = await api("POST", "task/42/stop")
        assert (answer.status, answer.code, answer.message) == (404, 40401, "task 42 not found")


class TestRetry:
    async def test_failed_back_to_pending(self, farm: AppAndCore) -> None:
        (task_id,) = await farm.api.create(["s1"], ["a"])
        await farm.api("POST", f"task/{task_id}/stop")
        answer = await farm.api("POST", f"task/{task_id}/retry")
        assert (answer.data["status"], answer.data["retry_count"]) == (0, 1)

    async def test_not_failed(self, farm: AppAndCore) -> None:
        (task_id,) = await farm.api.create(["s1"], ["a"])
        answer = await farm.api("POST", f"task/{task_id}/retry")
        assert (answer.code, answer.message) == (40001, f"task {task_id} is pending, not failed")

    async def test_missing(self, api: Api) -> None:
        assert (await api("POST", "task/42/retry")).code == 40401

    async def test_all(self, farm: AppAndCore) -> None:
        ids = await farm.api.create(["s1"], ["a", "b", "c"])
        for task_id in ids[:2]:
            await farm.api("POST", f"task/{task_id}/stop")
        assert (await farm.api("POST", "task/retry-all")).data == {"retried_count": 2}
        assert (await farm.api("POST", "task/retry-all")).data == {"retried_count": 0}
        assert (await farm.store.task_stats()).pending == 3


class TestRoutePrecedence:
    """The literal routes win over `/task/{id}`; their other methods are wrong methods."""

    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "task/stats"), ("POST", "task/retry-all")])
    async def test_literal_wins(self, api: Api, method: str, path: str) -> None:
        assert (await api(method, path)).code == 0

    async def test_batch_wins(self, api: Api) -> None:
        answer = await api("DELETE", "task/batch", {"task_ids": [5]})
        assert answer.data == {"deleted_count": 0, "task_ids": []}

    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "task/batch"), ("DELETE", "task/stats"), ("GET", "task/retry-all"),
        ("POST", "task/stats"), ("GET", "task/1/stop"), ("PATCH", "task/1")])
    async def test_wrong_method(self, api: Api, method: str, path: str) -> None:
        answer = await api(method, path)
        assert (answer.status, answer.code) == (404, 40401)
        assert answer.message.startswith(f"method {method} is not allowed on /api/v1/{path}")
