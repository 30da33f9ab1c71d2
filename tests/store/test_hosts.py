"""Several hosts on one database, as the store sees them: names held with a lease, where
the phones are, who runs a task, and taking over from a host found dead. Two stores of
two host names on one database stand for two hosts; on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actors import TaskEnd, TaskStatus, host_lost_remark
from orchestrator.store import HostNameLost, HostNameTaken, Store, machine_name
from orchestrator.store._phones import HostApi
from orchestrator.store._sql import SQLITE

from .conftest import Backend
from .test_store import NOW, create, new


def _hosts(backend: Backend) -> list[tuple[str, float]]:
    """(host, last beat) of each host the hosts table holds, as a look at the database."""
    with backend.transaction() as cur:
        cur.execute("SELECT host_id, beat_at FROM hosts ORDER BY host_id")
        return [(host, float(beat)) for host, beat in cur.fetchall()]


@pytest.fixture
async def other(backend: Backend) -> AsyncIterator[Store]:
    """The store of a second host, `x`, on the database of `store` (whose host is the
    machine's)."""
    async with backend.open_store(host_id="x") as store:
        await store.hosts.take_name(lease=15)
        yield store


async def test_a_name_is_held_while_its_holder_lives(backend: Backend, other: Store) -> None:
    """Another process that renews the name keeps it; one that is gone (its pid) gives it
    up at once; and a clean stop lets it go for the others to take over."""
    async with backend.open_store(host_id="x") as again:
        with pytest.raises(HostNameTaken, match=r"'x' is held by .*: give each host its own"):
            await again.hosts.take_name(lease=15, alive=True)
        await again.hosts.take_name(lease=15, alive=False)  # a restart after a crash
        assert not await other.hosts.beat()  # the old holder learns it lost the name
        assert await again.hosts.beat()
        await again.hosts.leave()
    assert _hosts(backend) == [("x", 0)]


async def test_a_dead_host_s_running_tasks_fail_naming_it(backend: Backend, store: Store,
                                                          other: Store) -> None:
    """Once its lease is over, the first host that looks fails the dead host's running
    tasks (those not started yet pending again), shows its phones offline and frees its
    name; the dead host's late ends change nothing; a host alive is left alone."""
    await store.hosts.take_name(lease=15)
    await other.phones.place({"x-1": "device", "x-2": "device"}, {"x-1": "Pixel 7"})
    ran, ahead, mine = await create(store, new("x-1"), new("x-2"), new("here-1"))
    assert [t.id for t in await other.mark_running({ran.id: NOW, ahead.id: NOW + 3600})] == [
        ran.id, ahead.id]
    await store.mark_running({mine.id: NOW})
    assert await store.fail_dead_hosts(lease=15, remark=host_lost_remark,
                                       finished_at=NOW + 1) == []  # x is alive
    await other.hosts.leave()
    failed, unstarted = await store.fail_dead_hosts(lease=15, remark=host_lost_remark,
                                                    finished_at=NOW + 1)
    assert (failed.id, failed.status, failed.remark) == (
        ran.id, TaskStatus.FAILED, "interrupted: host x stopped answering while this task ran")
    assert (unstarted.id, unstarted.status, unstarted.started_at) == (
        ahead.id, TaskStatus.PENDING, None)
    assert (await store.get_task(mine.id)).status == TaskStatus.RUNNING  # type: ignore[union-attr]
    assert [host for host, _ in _hosts(backend)] == [store.host_id]
    assert [(h, d.serial, d.state, d.model) for h, d in await store.phones.others()] == [
        ("x", "x-1", "offline", "Pixel 7"), ("x", "x-2", "offline", "")]
    late = TaskEnd(status=TaskStatus.COMPLETED, remark="done late", finished_at=NOW + 2)
    assert await other.finish_tasks({ran.id: late}, retries={}) == []
    with pytest.raises(HostNameLost, match=r"took this host \(x\) for dead"):
        await other.mark_running({ahead.id: NOW + 2})  # it starts nothing until it is back
    assert await store.fail_dead_hosts(lease=15, remark=host_lost_remark,
                                       finished_at=NOW + 3) == []  # taken over once


async def test_the_host_a_phone_is_on_runs_its_tasks(store: Store, other: Store) -> None:
    """A phone that comes to a host brings it its pending tasks; the others see it there
    (and no longer hold its tasks); a task another host runs is not this host's to end,
    and it is asked to stop it instead."""
    waiting, later = await create(store, new("p-1"), new("p-1"))
    assert await store.phones.elsewhere() == {}
    came = await other.phones.place({"p-1": "device"}, {})
    assert sorted(t.id for t in came) == [waiting.id, later.id]
    assert await other.phones.place({"p-1": "offline"}, {}) == []  # here already
    assert await store.phones.elsewhere() == {"p-1": "x"}
    assert [t.id for t in await other.pending_here_among([waiting.id, later.id, 999])] == [
        waiting.id, later.id]
    assert await store.pending_here_among([waiting.id]) == []
    [running] = await other.mark_running({waiting.id: NOW})
    assert [(h, d.current_task_id, d.pending_count) for h, d in await store.phones.others()] \
        == [("x", running.id, 1)]
    assert [d.serial for _, d in await store.phones.others("p-1")] == ["p-1"]
    assert await store.phones.others("p-2") == []
    stop = TaskEnd(status=TaskStatus.FAILED, remark="stopped by user", finished_at=NOW,
                   started=False)
    assert await store.finish_tasks({running.id: stop}, retries={}) == []
    assert await store.ask_stop([running.id, later.id], remark="stopped by user") == {
        running.id: "x"}
    await other.phones.place({"p-1": "device"}, {})
    await store.phones.place({"p-1": "offline"}, {})  # here too, but not ready: x's still
    assert await store.phones.elsewhere() == {"p-1": "x"}
    await other.phones.place({"p-1": "absent"}, {})
    assert await store.phones.elsewhere() == {}
    assert await store.phones.others() == []
    assert [(h, d.serial, d.state) for h, d in await store.phones.others_among(
        ["p-1", "p-2"])] == [("x", "p-1", "absent")]  # as the event stream shows it
    assert await other.phones.others_among(["p-1"]) == []  # its own


async def test_phones_a_host_no_longer_sees_at_its_start_are_gone(store: Store,
                                                                 other: Store) -> None:
    """What a host lists at its start is every phone it has: the rest it saw before is
    gone from it (its rows would say otherwise until the phones came back)."""
    await other.phones.place({"x-1": "device", "x-2": "device"}, {})
    await other.phones.place({"x-2": "device"}, {}, every=True)
    assert await store.phones.elsewhere() == {"x-2": "x"}


async def test_a_host_s_phones_are_reached_at_its_api(backend: Backend, store: Store,
                                                     other: Store) -> None:
    """Where another host's phone is reached: the API its host listens at, while that
    host sees it; and where the database sees this host connect from."""
    await other.phones.place({"x-1": "device", "x-2": "device"}, {})
    assert await store.phones.apis_of(["x-1"]) == {}  # x does not listen yet
    await other.hosts.listens("http://10.1.2.3:50809")
    api = HostApi(host="x", url="http://10.1.2.3:50809", machine=machine_name())
    assert await store.phones.apis_of(["x-1", "x-2", "y-1"]) == {"x-1": api, "x-2": api}
    assert await other.phones.apis_of(["x-1"]) == {}  # its own
    await other.phones.place({"x-1": "absent"}, {})
    assert await store.phones.apis_of(["x-1", "x-2"]) == {"x-2": api}
    await other.hosts.leave()  # taken for dead: its row is gone
    await store.fail_dead_hosts(lease=15, remark=host_lost_remark, finished_at=NOW)
    assert await store.phones.apis_of(["x-2"]) == {}
    await other.hosts.take_name(lease=15)  # back: where it listens comes back too
    await other.phones.place({"x-2": "device"}, {})
    assert await store.phones.apis_of(["x-2"]) == {"x-2": api}
    assert await store.hosts.seen_from() == (
        None if backend.dialect is SQLITE else "127.0.0.1")  # SQLite: not over a network
