"""What a host does with the other hosts' news (`relay_news`), and where it sends a
request about another host's phone (`Facade.api_of`), in this process: the real scheduler
on a PostgreSQL store, two stores of two host names standing for two hosts, and the news
handed to the relay as the listener would hand it, or lost on the way."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import psycopg
import pytest
import trio
import trio.testing

from actors import (
    Address,
    EventLog,
    SchedulerSettings,
    Task,
    TaskEnd,
    TaskStatus,
    WallClock,
    serve_scheduler,
)
from actors.messages import DeviceSnapshot, GetDevice, SchedulerMsg, StopTask
from orchestrator.api._facade import Facade
from orchestrator.farm import CAUGHT_UP, listen_to_hosts, relay_news
from orchestrator.plans import plan_named
from orchestrator.store import News, NewsKind, Store, open_postgres_store
from scripts import NO_HOST_FILES

from .store.test_store import NOW, create, new

#: Seconds a condition may take before the test gives up: a guard against a hang.
PATIENCE = 60.0


class Here:
    """This host's scheduler and relay (host `h`), and the other host's store (`t`)."""

    def __init__(self, store: Store, there: Store, scheduler: Address[SchedulerMsg],
                 events: EventLog, news: trio.MemorySendChannel[str]) -> None:
        self.store, self.there, self.scheduler = store, there, scheduler
        self.events, self.news = events, news

    async def hear(self, kind: NewsKind, *items: Any) -> None:
        """What the other host tells, handed to the relay."""
        for payload in News(kind, "t", items).payloads():
            await self.news.send(payload)

    async def phone(self, serial: str) -> DeviceSnapshot | None:
        def ask(reply: Any) -> SchedulerMsg:
            return GetDevice(serial=serial, reply=reply)

        found: DeviceSnapshot | None = await self.scheduler.request(ask, timeout=PATIENCE)
        return found

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        with trio.fail_after(PATIENCE):
            while not await check():  # noqa: ASYNC110 (the store's and the actors' state)
                await trio.sleep(0.02)


@pytest.fixture
async def here(postgres_dsn: str) -> AsyncIterator[Here]:
    async with open_postgres_store(postgres_dsn, host_id="h") as store, \
            open_postgres_store(postgres_dsn, host_id="t") as there, \
            trio.open_nursery() as nursery:
        for held in (store, there):
            await held.hosts.take_name(lease=15)
        events = EventLog()
        scheduler = await nursery.start(functools.partial(
            serve_scheduler, store=store, clock=WallClock(), settings=SchedulerSettings(),
            events=events))
        send, receive = trio.open_memory_channel[str](100)
        nursery.start_soon(functools.partial(relay_news, receive, store=store,
                                             scheduler=scheduler, events=events))
        here = Here(store, there, scheduler, events, send)
        await here.phone("none")  # answered once it has read the farm as it is at start
        yield here
        nursery.cancel_scope.cancel()


async def test_what_was_lost_with_the_news_is_caught_up(here: Here) -> None:
    """News lost while the listener was away: once it is back (`CAUGHT_UP`), the host
    holds the tasks made meanwhile for its phones, and a stop that waited for another
    host's end, which came meanwhile, is answered."""
    [far] = await create(here.there, new("t-1"))
    await here.there.phones.place({"t-1": "device"}, {})
    await here.there.mark_running({far.id: NOW})
    answers: list[Task] = []

    async def stop() -> None:
        answers.append(await here.scheduler.request(
            lambda reply: StopTask(task_id=far.id, reply=reply), timeout=PATIENCE))

    with trio.fail_after(PATIENCE):  # (the stop's answer, at the nursery's end, too)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(stop)
            await trio.testing.wait_all_tasks_blocked()
            assert await here.phone("h-1") is None  # (asked after the stop: it is taken)
            assert not answers  # it waits for t's end
            await create(here.there, new("h-1"))  # for a phone of no host: here's too
            assert await here.there.finish_tasks({far.id: TaskEnd(
                status=TaskStatus.FAILED, remark="stopped by user", finished_at=NOW + 2)},
                retries={})
            await here.news.send(CAUGHT_UP)  # neither the task made nor the end was heard
            await here.until(lambda: _pending(here, "h-1", 1), "the task made meanwhile held")
    [answer] = answers
    assert (answer.id, answer.status, answer.remark) == (far.id, TaskStatus.FAILED,
                                                         "stopped by user")


async def test_a_stop_of_a_task_another_host_took_unheard_goes_to_it(
        here: Here, postgres_dsn: str) -> None:
    """A task this host holds as pending (for a phone no host had), started by another
    host whose news is not heard yet: a stop asks that host, and its end answers it."""
    [task] = await create(here.there, new("t-5"))
    await here.news.send(CAUGHT_UP)
    await here.until(lambda: _pending(here, "t-5", 1), "the task held")
    await here.there.phones.place({"t-5": "device"}, {})
    await here.there.mark_running({task.id: NOW})  # neither heard
    answers: list[Task] = []

    async def stop() -> None:
        answers.append(await here.scheduler.request(
            lambda reply: StopTask(task_id=task.id, reply=reply), timeout=PATIENCE))

    with trio.fail_after(PATIENCE):
        async with listen_to_hosts(postgres_dsn) as told, trio.open_nursery() as nursery:
            nursery.start_soon(stop)
            while News.parse(asked := await told.receive()).kind is not NewsKind.STOP:
                pass
            assert News.parse(asked).items == [[task.id, "t", "stopped by user"]]
            assert await here.there.finish_tasks({task.id: TaskEnd(
                status=TaskStatus.FAILED, remark="stopped by user", finished_at=NOW + 2)},
                retries={})
            await here.hear(NewsKind.ENDED, task.id)
    [answer] = answers
    assert (answer.id, answer.status, answer.remark) == (task.id, TaskStatus.FAILED,
                                                         "stopped by user")


async def test_the_other_hosts_phones_come_in_the_event_stream(here: Here) -> None:
    """While the log is watched, a phone another host placed is added to it once, as
    that host's, as the store has it; a change while nobody watched is not taken for
    shown."""
    events = here.events
    await here.store.phones.place({"h-2": "device"}, {})  # (a phone here, for a marker)

    async def placed(serial: str, state: str) -> list[tuple[str | None, DeviceSnapshot]]:
        """`serial` placed by t and heard; the phones so added to the log."""
        seen = events.last_id
        await here.there.phones.place({serial: state}, {serial: "Pixel 7"})
        await here.hear(NewsKind.PLACED, [serial, "t", state])
        if not events.watched:  # heard once a task made after it for h-2 is held here
            [task] = await create(here.there, new("h-2"))
            await here.hear(NewsKind.PENDING, task.id)
            await here.until(lambda: _pending(here, "h-2", 1), "the news heard")
            return []

        async def shown() -> bool:
            return events.last_id > seen

        await here.until(shown, f"{serial} shown")
        return [(event.host, event.subject) for event in events.since(seen)
                if isinstance(event.subject, DeviceSnapshot)]

    with events.watching():
        [(host, phone)] = await placed("t-1", "device")
        assert (host, phone.serial, phone.state, phone.model) == ("t", "t-1", "device",
                                                                  "Pixel 7")
        await here.hear(NewsKind.PLACED, ["t-1", "t", "device"])  # no change: not again
        assert [phone.serial for _, phone in await placed("t-2", "device")] == ["t-2"]
    assert await placed("t-1", "offline") == []  # nobody watches
    with events.watching():
        [(_, phone)] = await placed("t-1", "device")  # not taken for shown already
        assert phone.state == "device"


async def _pending(here: Here, serial: str, count: int) -> bool:
    found = await here.phone(serial)
    return found is not None and found.pending_count == count


async def test_another_host_s_phone_is_reached_at_its_api(here: Here,
                                                          postgres_dsn: str) -> None:
    """A request about a phone another host sees goes to that host's API, once it
    listens; on a loopback address only from its own machine (another machine's
    loopback is not that host: the request is answered here)."""
    facade = Facade(scheduler=here.scheduler, store=here.store, plan=plan_named("Unlimited"),
                    clock=WallClock(), queue_timeout=PATIENCE, host_files=NO_HOST_FILES)
    await here.there.phones.place({"t-1": "device"}, {})
    assert await facade.api_of("t-1") is None  # t does not listen yet
    for url in ("http://10.1.2.3:50809", "http://127.0.0.1:50809"):  # (t: this machine)
        await here.there.hosts.listens(url)
        assert await facade.api_of("t-1") == ("t", url)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("UPDATE hosts SET instance = 'far-away:1:ab' WHERE host_id = 't'")
    assert await facade.api_of("t-1") is None
    assert await facade.api_of("h-0") is None  # no host sees it
