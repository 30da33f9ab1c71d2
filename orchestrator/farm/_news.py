"""Hearing the other hosts: a connection of its own that LISTENs on the database, on a
thread of its own, and the relay that turns what it hears into the scheduler's messages.

A host hears of work for its phones, of stops and of deletes as soon as the transaction
that made them commits; nothing polls. If the connection drops, it is opened again, and
the host then catches up on what it may have missed (`TasksPending` of every pending
task it should hold, as at start).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import psycopg
import trio

from actors import Address, Backoff, EventLog, TaskStatus
from actors.messages import (
    PhonesPlaced,
    ScheduleChanged,
    SchedulerMsg,
    StopAsked,
    TasksPending,
    TasksTaken,
)

from ..store import CHANNEL, DATABASE_ERRORS, News, NewsKind, Store

__all__ = ["CAUGHT_UP", "listen_to_hosts", "relay_news"]

log = logging.getLogger(__name__)

#: What the listener says after it has opened its connection again: news may be lost.
CAUGHT_UP = ""
#: Notifications held for the relay, at most; past that they are dropped, and caught up.
BUFFER = 10_000
_WAIT = 0.25  # seconds the listening thread waits for news before it looks at its stop flag
_PING = 10.0  # seconds of quiet after which it asks the database whether it is there


@asynccontextmanager
async def listen_to_hosts(dsn: str) -> AsyncIterator[trio.MemoryReceiveChannel[str]]:
    """The payloads of the other hosts' news, from a LISTEN begun before this returns
    (so that nothing said after it is missed); `CAUGHT_UP` after a reconnection."""
    send, receive = trio.open_memory_channel[str](BUFFER)
    stop = threading.Event()
    conn = await trio.to_thread.run_sync(_connect, dsn)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(functools.partial(
            trio.to_thread.run_sync, _listen, conn, dsn, _deliver(send), stop))
        try:
            yield receive
        finally:
            stop.set()


def _connect(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
    # TCP keepalives and a timeout: a database cut off is noticed, not waited on forever
    conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10, keepalives=1,
                           keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
    try:
        conn.execute(f"LISTEN {CHANNEL}")
    except BaseException:
        conn.close()
        raise
    return conn


def _deliver(send: trio.MemorySendChannel[str]) -> Callable[[str], None]:
    """What the listening thread calls with each payload: handed to the relay without
    waiting; if the relay is `BUFFER` behind, dropped, and `CAUGHT_UP` said instead."""
    token = trio.lowlevel.current_trio_token()
    lost = False

    def deliver(payload: str) -> None:
        nonlocal lost
        try:
            trio.from_thread.run_sync(send.send_nowait, CAUGHT_UP if lost else payload,
                                      trio_token=token)
            lost = False
        except trio.WouldBlock:
            lost = True
        except (trio.RunFinishedError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # the relay is gone: this host is stopping

    return deliver


def _listen(conn: psycopg.Connection[tuple[object, ...]], dsn: str,
            deliver: Callable[[str], None], stop: threading.Event) -> None:
    """Hand every notification to `deliver` until `stop`; a connection lost is opened
    again (with a backoff), and `CAUGHT_UP` said."""
    backoff = Backoff(0.5, 30.0)
    asked_at = time.monotonic()
    try:
        while not stop.is_set():
            try:
                for notification in conn.notifies(timeout=_WAIT):
                    deliver(notification.payload)
                if time.monotonic() - asked_at > _PING:  # a quiet line may be a dead one
                    conn.execute("SELECT 1")
                    asked_at = time.monotonic()
                continue
            except psycopg.Error as exc:
                log.warning("lost the database's news of the other hosts (%s); listening "
                            "again", exc)
                conn.close()
            while not stop.wait(backoff.failed()):
                try:
                    conn = _connect(dsn)
                except psycopg.Error:
                    continue
                backoff.succeeded()
                log.info("hearing the other hosts again")
                deliver(CAUGHT_UP)
                break
    finally:
        conn.close()


async def relay_news(news: trio.MemoryReceiveChannel[str], *, store: Store,
                     scheduler: Address[SchedulerMsg], events: EventLog) -> None:
    """Tell the scheduler what the other hosts did that concerns this one, in the order
    they said it: work for its phones, tasks they took or ended, where their phones are,
    and stops of tasks running here; while someone watches `events`, the tasks they
    changed are added to it too (as the other host's). After `CAUGHT_UP`, or news the
    store could not read: where the other hosts' phones are, and every pending task it
    should hold, as at start."""
    backoff = Backoff(0.5, 30.0)
    shown = _Shown()
    async for payload in news:
        while True:
            try:
                if payload == CAUGHT_UP:
                    store.heard_of_changes()
                    elsewhere = await store.phones.elsewhere()
                    await scheduler.send(PhonesPlaced(placements=[
                        (serial, host, "device") for serial, host in elsewhere.items()]))
                    await scheduler.send(TasksPending(tasks=await store.pending_tasks()))
                else:
                    await _relay(News.parse(payload), store, scheduler, events, shown)
                backoff.succeeded()
                break
            except ValueError as exc:  # not news of ours, said on our channel
                log.warning("%s", exc)
                break
            except DATABASE_ERRORS as exc:
                log.warning("could not read what another host said (%s); catching up", exc)
                payload = CAUGHT_UP
                await trio.sleep(backoff.failed())


async def _relay(heard: News, store: Store, scheduler: Address[SchedulerMsg],
                 events: EventLog, shown: _Shown) -> None:
    me = store.host_id
    try:
        match heard.kind:
            case NewsKind.PENDING | NewsKind.RUNNING | NewsKind.ENDED if heard.host != me:
                store.heard_of_changes()
                ids = [int(task_id) for task_id in heard.items]
                if heard.kind is not NewsKind.PENDING:
                    await scheduler.send(TasksTaken(task_ids=ids,
                                                    ended=heard.kind is NewsKind.ENDED))
                elif tasks := await store.pending_here_among(ids):
                    await scheduler.send(TasksPending(tasks=tasks))
                if events.watched:
                    await shown.show(events, store, ids, heard.host)
            case NewsKind.PLACED:
                placed = [(str(serial), str(host), str(state))
                          for serial, host, state in heard.items if host != me]
                if placed:
                    await scheduler.send(PhonesPlaced(placements=placed))
            case NewsKind.SCHEDULE if heard.host != me:
                for schedule_id in heard.items:
                    await scheduler.send(ScheduleChanged(schedule_id=int(schedule_id)))
            case NewsKind.STOP:
                for task_id, host, remark in heard.items:
                    if host == me:
                        await scheduler.send(StopAsked(task_id=int(task_id),
                                                       remark=str(remark)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"news of host {heard.host} not understood: {exc}") from exc


class _Shown:
    """The other hosts' task changes added to the event log, each once: a task is read as
    it is when its news is heard, which may be after a later change (its end, read for
    its start); the status last shown of the most recent tasks is kept to tell."""

    KEPT = 10_000

    def __init__(self) -> None:
        self._status: OrderedDict[int, TaskStatus | None] = OrderedDict()

    async def show(self, events: EventLog, store: Store, task_ids: list[int],
                   host: str) -> None:
        """Add the tasks `host` changed to `events`, as they are now (gone: deleted); a
        read the store refuses is left out (the scheduler has had its part already)."""
        try:
            found = {task.id: task for task in await store.tasks_among(task_ids)}
        except DATABASE_ERRORS as exc:
            log.debug("another host's changes could not be read for the event log: %s", exc)
            return
        fresh = [task_id for task_id in task_ids
                 if self._status.get(task_id, -1) != (
                     found[task_id].status if task_id in found else None)]
        for task_id in fresh:
            self._status[task_id] = found[task_id].status if task_id in found else None
            self._status.move_to_end(task_id)
        while len(self._status) > self.KEPT:
            self._status.popitem(last=False)
        events.tasks_changed([found[task_id] for task_id in fresh if task_id in found],
                             host=host)
        events.tasks_deleted([task_id for task_id in fresh if task_id not in found],
                             host=host)
