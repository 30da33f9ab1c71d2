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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TypeVar

import psycopg
import trio

from actors import ActorError, Address, Backoff, EventLog, Reply, read_farm
from actors.messages import (
    DeviceSnapshot,
    ListDevices,
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
_ASK_WITHIN = 10.0  # seconds the scheduler has to take a question

K = TypeVar("K", int, str)
T = TypeVar("T")


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
    changed and their phones are added to it too (as the other host's). After
    `CAUGHT_UP`, or news the store could not read: where the other hosts' phones are,
    and every pending task it should hold, as at start."""
    backoff = Backoff(0.5, 30.0)
    shown = _Shown()
    async for payload in news:
        if not events.watched:
            shown.forget()
        while True:
            try:
                if payload == CAUGHT_UP:
                    store.heard_of_changes()
                    await scheduler.send(await read_farm(store))
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
                    await shown.tasks(events, store, ids, heard.host)
            case NewsKind.PLACED:
                placed = [(str(serial), str(host), str(state))
                          for serial, host, state in heard.items if host != me]
                if placed:
                    await scheduler.send(PhonesPlaced(placements=placed))
                if placed and events.watched:
                    await shown.phones(events, store, scheduler,
                                       [serial for serial, *_ in placed])
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
    """The other hosts' changes added to the event log, each once: a task or a phone is
    read as it is when its news is heard, which may be after a later change (a task's
    end, read for its start); what was last shown of the most recent ones is kept to
    tell. Forgotten while nobody watches: what changed meanwhile was not shown."""

    KEPT = 10_000

    def __init__(self) -> None:
        self._last: OrderedDict[int | str, object] = OrderedDict()

    def forget(self) -> None:
        self._last.clear()

    async def tasks(self, events: EventLog, store: Store, task_ids: list[int],
                    host: str) -> None:
        """Add the tasks `host` changed to `events`, as they are now (gone: deleted)."""
        read = await _read(store.tasks_among(task_ids))
        if read is None:
            return
        found = {task.id: task for task in read}
        fresh = self._fresh({task_id: found[task_id].status if task_id in found else None
                             for task_id in task_ids})
        events.tasks_changed([found[task_id] for task_id in fresh if task_id in found],
                             host=host)
        events.tasks_deleted([task_id for task_id in fresh if task_id not in found],
                             host=host)

    async def phones(self, events: EventLog, store: Store, scheduler: Address[SchedulerMsg],
                     serials: list[str]) -> None:
        """Add the phones the other hosts placed to `events`, as they are now (those
        another host holds, and not this one's `scheduler`: one that came to this host is
        its own event here, even before the store says so)."""
        found = {device.serial: (host, device)
                 for host, device in await _read(store.phones.others_among(serials)) or ()}
        if found:
            for serial in await _ready_here(scheduler):
                found.pop(serial, None)
        for serial in self._fresh({serial: (host, device.state, device.model)
                                   for serial, (host, device) in found.items()}):
            host, device = found[serial]
            events.device_changed(device, host=host)

    def _fresh(self, now: Mapping[K, object]) -> list[K]:
        """Those of `now` (subject -> what it is) not shown so, now taken as shown."""
        fresh = [key for key, value in now.items() if self._last.get(key, self) != value]
        for key in fresh:
            self._last[key] = now[key]
            self._last.move_to_end(key)
        while len(self._last) > self.KEPT:
            self._last.popitem(last=False)
        return fresh


async def _ready_here(scheduler: Address[SchedulerMsg]) -> set[str]:
    """The phones ready for work on this host, as its scheduler says (none if it cannot
    say now: busy, or stopping; the store's word stands)."""
    def ask(reply: Reply[list[DeviceSnapshot]]) -> SchedulerMsg:
        return ListDevices(reply=reply)

    try:
        here = await scheduler.request(ask, timeout=_ASK_WITHIN)
    except ActorError:
        return set()
    return {device.serial for device in here if device.state == "device"}


async def _read(reading: Awaitable[list[T]]) -> list[T] | None:
    """What `reading` reads; None if the store refuses (the scheduler has had its part
    already: only the event log goes without)."""
    try:
        return await reading
    except DATABASE_ERRORS as exc:
        log.debug("another host's changes could not be read for the event log: %s", exc)
        return None
