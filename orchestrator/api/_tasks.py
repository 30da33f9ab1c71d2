"""The `/task` routes. `/task/batch`, `/task/stats` and `/task/retry-all` win over
`/task/{id}` (a literal segment beats a converter); an `{id}` that is not a
non-negative integer matches no route (40401)."""

from __future__ import annotations

import enum

import attrs
from quart import Blueprint, Response

from actors import Task, TaskFilter, TaskReads, TaskSource, TaskStats, TaskStatus
from actors.messages import DeleteTasks, RetryTasks, StopTask, SubmitTasks

from ..errors import (
    InvalidParams,
    NotFound,
    ScriptNameMissing,
    ScriptNotApiEnabled,
    Unavailable,
)
from ._create import CreateTasks, plan_request
from ._facade import Facade
from ._idempotency import Idempotency
from ._openapi import Doc, script_config, script_name
from ._render import Created, Deleted, Retried, TaskPage, TaskView
from ._wire import Paging, envelope, read_body, read_query

__all__ = ["task_commands", "task_reads"]


class Order(enum.StrEnum):
    NEWEST = "desc"
    OLDEST = "asc"


@attrs.frozen(kw_only=True)
class ListQuery(Paging):
    """The query of `GET /task`; `order=asc` lists oldest first."""

    status: TaskStatus | None = None
    serial: str | None = None
    script_name: str | None = None
    source: TaskSource | None = None
    order: Order = Order.NEWEST


@attrs.frozen(kw_only=True)
class TaskIds:
    """The body of `DELETE /task/batch`."""

    task_ids: list[int]


def _task_view(task: Task | None, task_id: int) -> Response:
    """The task's view, or 40401 when there is no such task."""
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return envelope(TaskView.from_task(task))


def task_reads(store: TaskReads) -> Blueprint:
    """The task reads: they need only the store, so an API process answers them too."""
    routes = Blueprint("task_reads", __name__)

    @routes.get("/task")
    @Doc(summary="List tasks (filtered, paged), newest first", query=ListQuery,
         answer=TaskPage)
    async def list_tasks() -> Response:
        query = read_query(ListQuery)
        where = TaskFilter(status=query.status, serial=query.serial,
                           script_name=query.script_name, source=query.source)
        tasks, total = await store.list_tasks(
            where, offset=query.offset, limit=query.page_size,
            newest_first=query.order is Order.NEWEST)
        return envelope(TaskPage(tasks=[TaskView.from_task(t) for t in tasks], total=total,
                                 page=query.page, page_size=query.page_size))

    @routes.get("/task/stats")
    @Doc(summary="Task counts by status", answer=TaskStats)
    async def stats() -> Response:
        return envelope(await store.task_stats())

    @routes.get("/task/<id(task):task_id>")
    @Doc(summary="One task", answer=TaskView)
    async def get_task(task_id: int) -> Response:
        return _task_view(await store.get_task(task_id), task_id)

    return routes


def task_commands(facade: Facade, idempotent: Idempotency) -> Blueprint:
    """The task commands, each a request to the scheduler through `facade`; creating
    tasks takes an `Idempotency-Key`."""
    routes = Blueprint("task_commands", __name__)

    @routes.post("/task")
    @Doc(summary="Create tasks: devices (or accounts) x targets", body=CreateTasks,
         fields={"script_name": script_name(), "script_config": script_config(),
                 "start_at": str | float | None},
         answer=Created, errors=(ScriptNameMissing, ScriptNotApiEnabled, Unavailable))
    @idempotent
    async def create() -> Response:
        request = await read_body(CreateTasks)
        new = await plan_request(request, now=facade.clock.now(), store=facade.store,
                                 host_files=facade.host_files)
        stored: list[Task] = await facade.ask(lambda reply: SubmitTasks(tasks=new, reply=reply))
        return envelope(Created.of(stored))

    @routes.delete("/task/batch")
    @Doc(summary="Delete tasks (running ones are stopped first)", body=TaskIds,
         answer=Deleted, errors=(Unavailable,))
    async def delete_batch() -> Response:
        ids = (await read_body(TaskIds)).task_ids
        if not ids:
            raise InvalidParams("$.task_ids: must not be empty")
        deleted: list[int] = await facade.ask(
            lambda reply: DeleteTasks(task_ids=ids, reply=reply))
        return envelope(Deleted.of(deleted))

    @routes.post("/task/retry-all")
    @Doc(summary="Every failed task back to pending", answer=Retried,
         errors=(Unavailable,))
    async def retry_all() -> Response:
        again: list[Task] = await facade.ask(lambda reply: RetryTasks(task_ids=None, reply=reply))
        return envelope(Retried(retried_count=len(again)))

    @routes.delete("/task/<id(task):task_id>")
    @Doc(summary="Delete a task (a running one is stopped first)", answer=Deleted,
         errors=(Unavailable,))
    async def delete_task(task_id: int) -> Response:
        deleted: list[int] = await facade.ask(
            lambda reply: DeleteTasks(task_ids=[task_id], reply=reply))
        if not deleted:
            raise NotFound(f"task {task_id} not found")
        return envelope(Deleted.of(deleted))

    @routes.post("/task/<id(task):task_id>/stop")
    @Doc(summary="Stop a running or pending task (another: 40001)", answer=TaskView,
         errors=(InvalidParams, Unavailable))
    async def stop_task(task_id: int) -> Response:
        task: Task = await facade.ask(lambda reply: StopTask(task_id=task_id, reply=reply))
        return _task_view(task, task_id)

    @routes.post("/task/<id(task):task_id>/retry")
    @Doc(summary="A failed task back to pending (not failed: 40001)", answer=TaskView,
         errors=(InvalidParams, Unavailable))
    async def retry_task(task_id: int) -> Response:
        again: list[Task] = await facade.ask(
            lambda reply: RetryTasks(task_ids=[task_id], reply=reply))
        return envelope(TaskView.from_task(again[0]))

    return routes
