"""What the API answers with: attrs views of the domain, unstructured to JSON by the
converter. Times are rendered local, `YYYY-MM-DD HH:MM:SS`."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from actors import Task
from actors.messages import DeviceSnapshot
from scripts import public_config

from ..plans import Plan

__all__ = [
    "Created",
    "Deleted",
    "DeviceView",
    "Devices",
    "License",
    "Retried",
    "TaskPage",
    "TaskView",
    "local_time",
]


def local_time(timestamp: float) -> str:
    """A POSIX timestamp as local `YYYY-MM-DD HH:MM:SS`."""
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


@attrs.frozen(kw_only=True)
class TaskView:
    """The API's task object; `request_id`, `position`, the intervals, `result`,
    `timeout`, `schedule_id` and `rotate_proxy` are ours.
    `script_config` is shown with its secrets masked (`scripts.public_config`)."""

    id: int
    serial: str
    username: str | None
    script_name: str
    script_config: Mapping[str, Any]
    status: int
    status_text: str
    source: str
    start_time: str
    end_time: str | None
    remark: str
    retry_count: int
    created_at: str
    request_id: str
    position: int
    min_interval: int
    max_interval: int
    result: Mapping[str, Any] | None
    timeout: int | None
    schedule_id: int | None
    rotate_proxy: bool

    @classmethod
    def from_task(cls, task: Task) -> TaskView:
        """`start_time` is when the task is due, or once it ran, the moment it started at
        (a task that never ran, stopped before its moment, shows when it was due)."""
        started = task.started_at if task.started_at is not None else task.due_at
        return cls(
            id=task.id, serial=task.serial, username=task.username,
            script_name=task.script_name,
            script_config=public_config(task.script_name, task.script_config),
            status=int(task.status), status_text=task.status.text, source=str(task.source),
            start_time=local_time(started),
            end_time=None if task.finished_at is None else local_time(task.finished_at),
            remark=task.remark, retry_count=task.retry_count,
            created_at=local_time(task.created_at), request_id=task.request_id,
            position=task.position, min_interval=task.min_interval,
            max_interval=task.max_interval, result=task.result, timeout=task.timeout,
            schedule_id=task.schedule_id, rotate_proxy=task.rotate_proxy,
        )


@attrs.frozen(kw_only=True)
class TaskPage:
    tasks: Sequence[TaskView]
    total: int
    page: int
    page_size: int


@attrs.frozen(kw_only=True)
class Created:
    task_ids: Sequence[int]
    created_count: int

    @classmethod
    def of(cls, tasks: Sequence[Task]) -> Created:
        return cls(task_ids=[task.id for task in tasks], created_count=len(tasks))


@attrs.frozen(kw_only=True)
class Deleted:
    deleted_count: int
    task_ids: Sequence[int]

    @classmethod
    def of(cls, task_ids: Sequence[int]) -> Deleted:
        return cls(deleted_count=len(task_ids), task_ids=task_ids)


@attrs.frozen(kw_only=True)
class Retried:
    retried_count: int


@attrs.frozen(kw_only=True)
class License:
    plan_name: str
    api_enabled: bool
    device_limit: int
    message: str

    @classmethod
    def of(cls, plan: Plan) -> License:
        return cls(plan_name=plan.name, api_enabled=plan.api_enabled,
                   device_limit=plan.device_limit, message=plan.message)


@attrs.frozen(kw_only=True)
class DeviceView:
    """The API's device object: the scheduler's row, the host it is plugged into, and
    the groups that hold it."""

    serial: str
    state: str
    model: str
    host: str
    groups: Sequence[str]
    current_task_id: int | None
    pending_count: int

    @classmethod
    def of(cls, device: DeviceSnapshot, *, host: str, groups: Sequence[str]) -> DeviceView:
        return cls(serial=device.serial, state=device.state, model=device.model, host=host,
                   groups=groups, current_task_id=device.current_task_id,
                   pending_count=device.pending_count)


@attrs.frozen(kw_only=True)
class Devices:
    devices: Sequence[DeviceView]
    total: int
