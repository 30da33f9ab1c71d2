"""`GET /events`: the farm's changes as Server-Sent Events, from the scheduler's log.

Each event is `id: N`, `event: task` (the task object, when it is created or changes
status), `task_deleted` (`{"id"}`) or `device` (the device object, when a phone appears,
goes or changes state), and `data:` its JSON. A client that reconnects with
`Last-Event-ID` gets what it missed, as far as the log still keeps it (`EventLog`); a
comment line at least every `HEARTBEAT` seconds keeps proxies from closing a quiet
stream and tells the client it is alive. While a stream is open, the tasks the other
hosts of the farm change come too, and their phones (`orchestrator.farm.relay_news`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

import attrs
import trio
from quart import Blueprint, Response, request

from actors import Event, EventLog, Task
from actors.messages import DeviceSnapshot

from ..errors import InvalidParams
from ._facade import Facade
from ._groups import GroupsOfPhones
from ._openapi import Doc
from ._render import DeviceView, TaskView
from ._wire import json_data, read_query

__all__ = ["HEARTBEAT", "event_routes"]

#: Seconds a stream may be quiet before a comment line says it is alive.
HEARTBEAT = 15.0
#: Seconds a browser waits before it reconnects (the stream's `retry:`).
RECONNECT_MS = 2000


@attrs.frozen(kw_only=True)
class EventsQuery:
    """Only the events about one phone (a deleted task's passes: its phone is not
    kept), or one task."""

    serial: str | None = None
    task_id: int | None = None

    def wants(self, event: Event) -> bool:
        return ((self.serial is None or event.serial in (None, self.serial))
                and (self.task_id is None or event.task_id == self.task_id))


def event_routes(events: EventLog, facade: Facade, held: GroupsOfPhones) -> Blueprint:
    routes = Blueprint("events", __name__)

    @routes.get("/events")
    @Doc(summary="The farm's changes, as they happen (Server-Sent Events)",
         query=EventsQuery, raw=("text/event-stream",))
    async def stream() -> Response:
        """`event: task` with the task object whenever a task is created or changes
        status; `event: task_deleted` with `{"id"}`; `event: device` with the device
        object when a phone appears, goes or changes state. Ids increase; send the last
        one seen as `Last-Event-ID` to resume from it. A comment line comes at least
        every 15 s."""
        query = read_query(EventsQuery)
        seen = _last_seen(request.headers.getlist("Last-Event-ID"), events.last_id)
        response = Response(_watched(events, _frames(events, seen, query, facade.host_id,
                                                     held)),
                            mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
        response.timeout = None  # a stream has no end
        return response

    return routes


def _last_seen(given: Sequence[str], last: int) -> int:
    """The id after which the stream starts: `Last-Event-ID`, else now."""
    if not given:
        return last
    if len(given) > 1 or not given[0].isascii() or not given[0].isdigit() \
            or len(given[0]) > 19:
        raise InvalidParams("Last-Event-ID must be one event id (digits)")
    return min(int(given[0]), last)


async def _watched(events: EventLog, frames: AsyncGenerator[bytes, None]
                   ) -> AsyncIterator[bytes]:
    """`frames`, while the log counts this stream as watching it (the other hosts'
    changes are added to it only then)."""
    with events.watching():
        async with contextlib.aclosing(frames):
            async for frame in frames:
                yield frame


async def _frames(events: EventLog, seen: int, query: EventsQuery, host: str,
                  held: GroupsOfPhones) -> AsyncGenerator[bytes, None]:
    yield f"retry: {RECONNECT_MS}\n\n".encode()
    while True:
        news = events.since(seen)
        if news:
            seen = news[-1].id
            wanted = [event for event in news if query.wants(event)]
            groups = (await held.of() if any(isinstance(e.subject, DeviceSnapshot)
                                             for e in wanted) else {})
            frames = [_frame(event, host, groups) for event in wanted]
            if frames:
                yield b"".join(frames)
            continue
        with trio.move_on_after(HEARTBEAT) as quiet:
            await events.wait_after(seen)
        if quiet.cancelled_caught:
            yield b": alive\n\n"


def _frame(event: Event, host: str, groups: dict[str, list[str]]) -> bytes:
    """One event's frame; a phone's as its device object (in `groups`, on the event's
    host, else `host`: this one)."""
    match event.subject:
        case Task() as task:
            name, data = "task", json_data(TaskView.from_task(task))
        case int(task_id):
            name, data = "task_deleted", json.dumps({"id": task_id})
        case DeviceSnapshot() as device:
            name, data = "device", json_data(DeviceView.of(
                device, host=event.host or host, groups=groups.get(device.serial, [])))
    return f"id: {event.id}\nevent: {name}\ndata: {data}\n\n".encode()
