"""The task domain: what the store keeps and the actors move between states.

Times are POSIX timestamps (float seconds, UTC): exact, cheap to compare, and free of
time zones until the facade renders them as the API's local `YYYY-MM-DD HH:MM:SS`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["NewTask", "Task", "TaskFilter", "TaskSource", "TaskStats", "TaskStatus"]


class TaskStatus(enum.IntEnum):
    PENDING = 0
    RUNNING = 1
    COMPLETED = 2
    FAILED = 3

    @property
    def text(self) -> str:
        """The API's `status_text`."""
        return self.name.lower()


class TaskSource(enum.StrEnum):
    API = "api"
    UI = "ui"
    SCHEDULE = "schedule"  # made by a schedule at one of its slots


@attrs.frozen(kw_only=True)
class NewTask:
    """One task after fan-out, before the store gives it an id.

    `request_id` and `position` tie the tasks of one `POST /task` together, so that the
    scheduler can keep `min_interval`..`max_interval` minutes between consecutive ones
    on the same device, in the order they were created.
    """

    serial: str
    username: str | None = None
    script_name: str
    script_config: Mapping[str, Any]
    source: TaskSource = TaskSource.API
    due_at: float
    request_id: str
    position: int = 0
    min_interval: int = 0
    max_interval: int = 0
    #: Seconds the whole run may take (None: no bound); past them it fails, timed out.
    timeout: int | None = None
    schedule_id: int | None = None  # the schedule that made it, if one did
    rotate_proxy: bool = False  # its phone's proxy is rotated before it runs


@attrs.frozen(kw_only=True)
class Task:
    """A stored task, as the API reports it (plus the scheduling fields)."""

    id: int
    serial: str
    username: str | None
    script_name: str
    script_config: Mapping[str, Any]
    status: TaskStatus
    source: TaskSource
    due_at: float
    started_at: float | None
    finished_at: float | None
    remark: str
    retry_count: int
    created_at: float
    request_id: str
    position: int
    min_interval: int
    max_interval: int
    result: Mapping[str, Any] | None = None
    timeout: int | None = None
    schedule_id: int | None = None
    rotate_proxy: bool = False


@attrs.frozen(kw_only=True)
class TaskFilter:
    """The list filters of `GET /task`; None means any."""

    status: TaskStatus | None = None
    serial: str | None = None
    script_name: str | None = None
    source: TaskSource | None = None


@attrs.frozen(kw_only=True)
class TaskStats:
    total: int
    pending: int
    running: int
    completed: int
    failed: int
