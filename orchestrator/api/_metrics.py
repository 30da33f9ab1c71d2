"""`GET /metrics` (API.md "Self-description and health"): the farm in Prometheus's text
format, made by prometheus-client from a registry of this process's own.

What is counted as it happens: task durations and start lateness per script (followed
from the event log, as the event stream is), adb calls (each driver tells `adb_call`),
API requests (`CountRequests`, by route, never by path). What is read at each scrape:
tasks by status (the store's kept counts) and phones by state (the scheduler counts).

With `--api-processes`, `/metrics` is answered by the core: the task reads the API
processes answer themselves are not among its requests.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, ASGISendEvent, Scope
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from quart import Blueprint, Response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RoutingException

from actors import Event, EventLog, Task, TaskStatus
from actors.messages import CountDevices

from ..errors import Unavailable
from ._facade import Facade
from ._hot import ASGIApp
from ._openapi import Doc

__all__ = ["CountRequests", "Metrics", "metrics_routes"]

_STATES = ("device", "offline", "unauthorized", "absent")
#: The methods counted by name; any other (a stranger's made-up one) as OTHER, so that
#: requests cannot grow the series without bound.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_ENDED = (TaskStatus.COMPLETED, TaskStatus.FAILED)


class Metrics:
    """The registry `GET /metrics` answers with, and what feeds it."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        self._tasks = Gauge("orchestrator_tasks", "Tasks by status", ["status"],
                            registry=registry)
        self._devices = Gauge("orchestrator_devices", "Phones GET /devices lists, by state",
                              ["state"], registry=registry)
        self._duration = Histogram(
            "orchestrator_task_duration_seconds",
            "How long a task's run took, from its start to its end, per script",
            ["script"], registry=registry,
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, float("inf")))
        self._lateness = Histogram(
            "orchestrator_task_start_lateness_seconds",
            "How long after its due moment a task was started, per script", ["script"],
            registry=registry, buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5, 1, 2.5, 5, 10, 30, 60, float("inf")))
        self._adb_seconds = Histogram(
            "orchestrator_adb_call_seconds", "adb calls, by their first word", ["call"],
            registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                        10, 20, 60, float("inf")))
        self._adb_errors = Counter(
            "orchestrator_adb_call_errors", "adb calls that failed, by call and error",
            ["call", "error"], registry=registry)
        self._requests = Counter(
            "orchestrator_api_requests", "API requests answered, by route and status",
            ["method", "route", "status"], registry=registry)
        self._request_seconds = Histogram(
            "orchestrator_api_request_seconds", "How long API requests took, by route",
            ["method", "route"], registry=registry)

    def adb_call(self, call: str, seconds: float, error: str | None) -> None:
        """A driver's `CallObserver`."""
        self._adb_seconds.labels(call).observe(seconds)
        if error is not None:
            self._adb_errors.labels(call, error).inc()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests.labels(method, route, str(status)).inc()
        self._request_seconds.labels(method, route).observe(seconds)

    def task_changed(self, task: Task) -> None:
        """A task as an event shows it: its start's lateness when it starts running, its
        run's duration when it ends."""
        if task.started_at is None:
            return
        if task.status == TaskStatus.RUNNING:
            self._lateness.labels(task.script_name).observe(max(0.0, task.started_at
                                                                - task.due_at))
        elif task.status in _ENDED and task.finished_at is not None:
            self._duration.labels(task.script_name).observe(task.finished_at
                                                            - task.started_at)

    async def follow(self, events: EventLog) -> None:
        """Feed `task_changed` from `events`, from now on, until cancelled."""
        await events.follow(self._changed)

    def _changed(self, news: Sequence[Event], missed: int) -> None:
        for event in news:
            if isinstance(event.subject, Task) and event.host is None:  # not another's
                self.task_changed(event.subject)

    def page(self, tasks: dict[str, int], devices: dict[str, int]) -> bytes:
        """The text format, with the counts read at this scrape."""
        for status, count in tasks.items():
            self._tasks.labels(status).set(count)
        for state in {*_STATES, *devices}:
            self._devices.labels(state).set(devices.get(state, 0))
        return generate_latest(self.registry)


def metrics_routes(facade: Facade, metrics: Metrics) -> Blueprint:
    """`GET /metrics`: `metrics`, with the counts of `facade`'s store and scheduler."""
    routes = Blueprint("metrics", __name__)

    @routes.get("/metrics")
    @Doc(summary="Prometheus metrics (the text format)", raw=(CONTENT_TYPE_LATEST,),
         errors=(Unavailable,))
    async def scrape() -> Response:
        stats = await facade.store.task_stats()
        devices: dict[str, int] = await facade.ask(lambda reply: CountDevices(reply=reply))
        tasks = {status.text: getattr(stats, status.text) for status in TaskStatus}
        return Response(metrics.page(tasks, devices), content_type=CONTENT_TYPE_LATEST)

    return routes


class CountRequests:
    """ASGI middleware: each HTTP request, by method, route (the URL rule it matches in
    `url_map`, never its path: ids would make a series each) and status, and its time.
    It counts requests the token check refuses too, so every label is of a bounded set."""

    def __init__(self, app: ASGIApp, metrics: Metrics, url_map: Map) -> None:
        self._app = app
        self._metrics = metrics
        self._routes = url_map.bind("localhost")
        # a dashboard polls the same few paths: matching them once each is enough
        self._route = functools.lru_cache(maxsize=4096)(self._match)

    def _match(self, method: str, path: str) -> str:
        try:
            rule, _ = self._routes.match(path, method, return_rule=True)
        except (HTTPException, RoutingException):
            return "unknown"
        return str(rule.rule)

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def noting(message: ASGISendEvent) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        try:
            await self._app(scope, receive, noting)
        finally:
            self._metrics.request(method, self._route(scope["method"], scope["path"]),
                                  status, time.perf_counter() - started)
