"""What a task's runs left behind: `GET /task/{id}/log`, the steps its script took (and
is taking), and `GET /task/{id}/screenshot`, the screen its last failure left
(`scripts.StepLog`).

Both are read from the store the core writes; an API process forwards them there.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from quart import Blueprint, Response

from scripts import RunningSteps

from ..errors import NotFound
from ..store import Store
from ._openapi import Doc
from ._render import local_time
from ._wire import envelope

__all__ = ["task_records"]


@attrs.frozen(kw_only=True)
class LogLine:
    """One step: when (local time), how it went ("INFO", "WARNING", "ERROR"), and what."""

    at: str
    level: str
    message: str


@attrs.frozen(kw_only=True)
class TaskLog:
    """The steps of every run of the task, oldest first."""

    lines: Sequence[LogLine]


def task_records(store: Store, running: RunningSteps) -> Blueprint:
    """`GET /task/{id}/log` and `GET /task/{id}/screenshot`, read from `store`, and the
    steps of a run going on from `running`."""
    routes = Blueprint("task_records", __name__)

    @routes.get("/task/<id(task):task_id>/log")
    @Doc(summary="The steps the task's script took, every run", answer=TaskLog)
    async def log(task_id: int) -> Response:
        stored = await store.task_log(task_id)
        if stored is None:
            raise NotFound(f"task {task_id} not found")
        # read after the store: a run leaves `running` before its steps are stored, so
        # none is shown twice (at worst, for a moment, not at all)
        steps = [*stored, *running.of(task_id)]
        return envelope(TaskLog(lines=[
            LogLine(at=local_time(step.at), level=step.level, message=step.message)
            for step in steps]))

    @routes.get("/task/<id(task):task_id>/screenshot")
    @Doc(summary="The screen the task's last failure left (PNG)", raw=("image/png",))
    async def screenshot(task_id: int) -> Response:
        png = await store.failure_screenshot(task_id)
        if png is None:
            raise NotFound(f"no screenshot of a failure of task {task_id}")
        return Response(png, mimetype="image/png", headers={"cache-control": "no-store"})

    return routes
