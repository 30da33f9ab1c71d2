"""Webhooks: each task's end, posted to the URLs given with `--webhook`.

They follow the event log as the event stream does (`EventLog`: appending never waits),
so a webhook that is slow or down costs the scheduler nothing. Each URL has a bounded
queue of its own and a few senders; while it fails (an error, no answer, 408, 429 or
5xx) its senders wait longer and longer (`Backoff`) and try the same delivery again, so
nothing is lost to an outage shorter than `MAX_AGE`; a delivery it refuses (another
4xx) is dropped, as is one older than `MAX_AGE`, or one that finds the queue full. Each
is logged, the URL without its credentials, the secret never.

A delivery is a POST of `{"event": "task.completed" | "task.failed", "task": {...}}`
(the API's task object), with `X-Orchestrator-Signature: sha256=<hex HMAC-SHA256 of the
body>` when a secret is set, and `X-Orchestrator-Delivery`, an id that is the same on
every attempt (a receiver may see one twice, if an answer is lost).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Sequence
from typing import Literal

import attrs
import httpx
import trio

from actors import Backoff, Event, EventLog, Task, TaskStatus, origin_of

from ._render import TaskView
from ._wire import json_data

__all__ = ["SIGNATURE_HEADER", "WEBHOOK_SECRET_VARIABLE", "Webhooks", "deliver_webhooks"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Orchestrator-Signature"
#: Where `serve` reads the secret from when `--webhook-secret` is not given.
WEBHOOK_SECRET_VARIABLE = "ORCHESTRATOR_WEBHOOK_SECRET"
DELIVERY_HEADER = "X-Orchestrator-Delivery"
#: Deliveries waiting for one URL, at most; past it new ones are dropped (and counted).
QUEUE = 10_000
SENDERS = 4  # deliveries in flight to one URL at once
#: Seconds a delivery is tried for, from its task's end; past them it is dropped.
MAX_AGE = 3600.0
_RETRIED = frozenset({408, 429})
EndName = Literal["task.completed", "task.failed"]
_ENDS: dict[TaskStatus, EndName] = {TaskStatus.COMPLETED: "task.completed",
                                    TaskStatus.FAILED: "task.failed"}


@attrs.frozen(kw_only=True)
class Webhooks:
    """Where task ends go (`urls`) and what signs them (`secret`; None: unsigned)."""

    urls: tuple[str, ...] = ()
    secret: str | None = attrs.field(default=None, repr=False)
    #: Seconds a receiver may take to answer; then the delivery is tried again later.
    timeout: float = 10.0
    #: Seconds between tries while a URL fails (`Backoff`: doubled up to the second).
    backoff: tuple[float, float] = (1.0, 60.0)

    def sign(self, body: bytes) -> dict[str, str]:
        """The signature header of `body` (none without a secret)."""
        if self.secret is None:
            return {}
        digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return {SIGNATURE_HEADER: f"sha256={digest}"}


@attrs.frozen
class _Delivery:
    body: bytes
    event: str
    id: str
    made_at: float  # trio time


@attrs.frozen
class WebhookEnd:
    """What a delivery carries: which end, and the task as `GET /task/{id}` shows it."""

    event: EndName
    task: TaskView


async def deliver_webhooks(events: EventLog, hooks: Webhooks, http: httpx.AsyncClient, *,
                           task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                           ) -> None:
    """Post every task end `events` logs from now on (`nursery.start`: from when it has
    started) to each of `hooks.urls`, until cancelled."""
    if not hooks.urls:
        task_status.started()
        return
    log.info("each task's end is posted to %s, %s", ", ".join(map(origin_of, hooks.urls)),
             "signed" if hooks.secret is not None else "unsigned (no --webhook-secret)")
    async with trio.open_nursery() as nursery:
        queues = []
        for url in hooks.urls:
            send, receive = trio.open_memory_channel[_Delivery](QUEUE)
            failing = _Failing(Backoff(*hooks.backoff))
            for _ in range(SENDERS):
                nursery.start_soon(_post_each, url, receive.clone(), hooks, http, failing)
            queues.append(_Queue(url, send))
        await nursery.start(_follow, events, queues)
        task_status.started()


@attrs.define
class _Queue:
    url: str
    send: trio.MemorySendChannel[_Delivery]
    dropped: int = 0

    def put(self, delivery: _Delivery) -> None:
        try:
            self.send.send_nowait(delivery)
        except trio.WouldBlock:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("webhook %s is behind: its queue of %d is full, %d task end(s) "
                            "dropped so far", origin_of(self.url), QUEUE, self.dropped)


@attrs.define
class _Failing:
    """Whether a URL fails now, shared by its senders: after a failure each waits as
    `backoff` says; the failures of tries that were under way together count once."""

    backoff: Backoff
    until: float = 0.0  # trio time before which no sender tries
    at: float = -1.0  # trio time of the last failure counted
    since: int = 0  # failures counted in a row

    def failed(self, tried_at: float) -> None:
        """A try begun at `tried_at` failed."""
        if tried_at > self.at:
            self.since += 1
            self.at = trio.current_time()
            self.until = self.at + self.backoff.failed()

    def succeeded(self) -> int:
        """Failures counted in a row before this success."""
        was, self.since = self.since, 0
        self.backoff.succeeded()
        return was


async def _follow(events: EventLog, queues: Sequence[_Queue], *,
                  task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Queue a delivery of each task end `events` logs from now on, for every URL."""

    def queue_ends(news: Sequence[Event], missed: int) -> None:
        if missed:
            log.warning("webhooks fell %d event(s) behind the event log; task ends among "
                        "them are not posted", missed)
        for event in news:
            task = event.subject
            if not isinstance(task, Task) or task.status not in _ENDS or event.host is not None:
                continue  # another host's end is that host's to post
            name = _ENDS[task.status]
            body = json_data(WebhookEnd(event=name, task=TaskView.from_task(task))).encode()
            delivery = _Delivery(body, name, uuid.uuid4().hex, trio.current_time())
            for queue in queues:
                queue.put(delivery)

    task_status.started()
    await events.follow(queue_ends)


async def _post_each(url: str, deliveries: trio.MemoryReceiveChannel[_Delivery],
                     hooks: Webhooks, http: httpx.AsyncClient, failing: _Failing) -> None:
    async with deliveries:
        async for delivery in deliveries:
            try:
                await _deliver(url, delivery, hooks, http, failing)
            except Exception as exc:  # a fault of ours: this delivery is lost, no other
                log.error("webhook %s: a %s delivery was dropped: %s", origin_of(url),
                          delivery.event, type(exc).__name__)


async def _deliver(url: str, delivery: _Delivery, hooks: Webhooks, http: httpx.AsyncClient,
                   failing: _Failing) -> None:
    """Post `delivery` to `url` until it is taken, refused, or too old."""
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery.id,
               "X-Orchestrator-Event": delivery.event, **hooks.sign(delivery.body)}
    while True:
        await trio.sleep_until(failing.until)
        if trio.current_time() - delivery.made_at > MAX_AGE:
            log.warning("webhook %s: a %s delivery was dropped, %d s old", origin_of(url),
                        delivery.event, MAX_AGE)
            return
        tried_at = trio.current_time()
        try:
            answer = await http.post(url, content=delivery.body, headers=headers,
                                     timeout=hooks.timeout)
        except httpx.HTTPError as exc:
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        else:
            if answer.is_success:
                if (before := failing.succeeded()):
                    log.info("webhook %s takes deliveries again, after %d failure(s)",
                             origin_of(url), before)
                return
            if answer.status_code < 500 and answer.status_code not in _RETRIED:
                log.warning("webhook %s refused a %s delivery (HTTP %d); dropped",
                            origin_of(url), delivery.event, answer.status_code)
                return
            why = f"HTTP {answer.status_code}"
        if failing.since == 0:
            log.warning("webhook %s fails (%s): deliveries wait and are tried again",
                        origin_of(url), why)
        failing.failed(tried_at)
