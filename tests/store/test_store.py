"""The task store, on both backends: every method, all-or-nothing, restart, migration."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import attrs
import psycopg
import pytest
import trio
import trio.testing

from actors import (
    NewTask,
    Requeue,
    Task,
    TaskEnd,
    TaskFilter,
    TaskReads,
    TaskSource,
    TaskStats,
    TaskStatus,
    TaskStore,
    Waiting,
)
from orchestrator.store import DATABASE_ERRORS, SchemaTooNew, Store, open_sqlite_store
from orchestrator.store._schema import MIGRATIONS, _filter_counts, migrate
from orchestrator.store._sql import (
    SQLITE,
    Cursor,
    created_counts,
    filter_terms,
    insert_row,
    moved_counts,
    task_from_new,
)
from orchestrator.store._store import SqlTaskStore
from scripts import Step

from .conftest import Backend, OpenStore

NOW = 1_700_000_000.0


def new(serial: str = "phone-1", script_name: str = "follow", **changes: Any) -> NewTask:
    fields: dict[str, Any] = {
        "serial": serial, "script_name": script_name, "due_at": NOW,
        "script_config": {"target_users": ["alice"], "note": "ünïcode ✓"},
        "request_id": "req-1",
    }
    return NewTask(**(fields | changes))


async def finish(store: TaskStore, task_id: int, status: TaskStatus, *, remark: str,
                 finished_at: float, result: dict[str, Any] | None = None,
                 started: bool = True) -> Task | None:
    """One task's end (`finish_tasks`, no retry): the task as stored, or None."""
    changed = await store.finish_tasks({task_id: TaskEnd(
        status=status, remark=remark, finished_at=finished_at, result=result,
        started=started)}, retries={})
    return changed[0] if changed else None


async def create(store: TaskStore, *tasks: NewTask) -> list[Task]:
    return await store.create_tasks(tasks or [new()], created_at=NOW + 1)


FILTERS = ("status", "serial", "script_name", "source")


async def assert_counts(store: TaskReads, **expected: int) -> None:
    """The kept counts (stats, status totals) agree with `expected` and with the rows, and
    so do the totals of other filters (`assert_filter_totals`)."""
    want = {status.text: expected.get(status.text, 0) for status in TaskStatus}
    assert await store.task_stats() == TaskStats(total=sum(want.values()), **want)
    for status in TaskStatus:
        _, total = await store.list_tasks(TaskFilter(status=status), offset=0, limit=1)
        assert total == want[status.text]
    tasks, _ = await store.list_tasks(TaskFilter(), offset=0, limit=1_000_000)
    assert Counter(t.status.text for t in tasks) == {k: n for k, n in want.items() if n}
    await assert_filter_totals(store, tasks)


async def assert_filter_totals(store: TaskReads, tasks: Sequence[Task]) -> None:
    """The total of every combination of filters on the first and the last task's values
    (and of some that match none) is how many of `tasks` (all of them) match; and the kept
    counts per filter are, row for row, the tasks' own count(*)."""
    wheres = {TaskFilter(serial="nobody"), TaskFilter(script_name="post", source=TaskSource.UI,
                                                      status=TaskStatus.RUNNING)}
    for task, k in itertools.product(tasks[:1] + tasks[-1:], range(len(FILTERS) + 1)):
        wheres.update(TaskFilter(**{name: getattr(task, name) for name in names})
                      for names in itertools.combinations(FILTERS, k))
    for where in wheres:
        _, total = await store.list_tasks(where, offset=0, limit=0)
        assert total == sum(all(getattr(t, name) == getattr(where, name) for name in FILTERS
                                if getattr(where, name) is not None) for t in tasks), where

    def kept_and_counted(cur: Cursor) -> tuple[list[Any], list[Any]]:
        cur.execute("SELECT serial, script_name, source, status, n FROM task_filter_counts"
                    " WHERE n <> 0 ORDER BY serial, script_name, source, status")
        kept = cur.fetchall()
        cur.execute("SELECT serial, script_name, source, status, count(*) FROM tasks"
                    " GROUP BY serial, script_name, source, status"
                    " ORDER BY serial, script_name, source, status")
        return kept, cur.fetchall()

    kept, counted = await cast(SqlTaskStore[Any, Any], store)._read(kept_and_counted)
    assert kept == counted


async def queued_behind_a_held_lane(
        store: TaskStore, errors: type[Exception],
        writes: dict[str, Callable[[], Awaitable[object]]]) -> dict[str, object]:
    """Queue `writes`, in order, behind a write that holds the write lane, then let the
    lane go (they run as one group): what each returned, or the `errors` it raised."""
    lanes = cast(SqlTaskStore[Any, Any], store)
    entered, release = threading.Event(), threading.Event()

    def hold(cur: Cursor) -> None:
        entered.set()
        assert release.wait(10)

    results: dict[str, object] = {}

    async def run(name: str, write: Callable[[], Awaitable[object]]) -> None:
        try:
            results[name] = await write()
        except errors as exc:
            results[name] = exc

    async with trio.open_nursery() as nursery:
        nursery.start_soon(lanes._write, hold)
        assert await trio.to_thread.run_sync(entered.wait, 10)
        for name, write in writes.items():
            nursery.start_soon(run, name, write)
            await trio.testing.wait_all_tasks_blocked()  # queued, in this order
        release.set()
    return results


class TestCreate:
    async def test_ids_increase_in_order_and_tasks_round_trip(self, store: TaskStore) -> None:
        """Created tasks come back as stored, pending, with consecutive ids in request order."""
        batch = [new(f"phone-{i}", position=i, username=f"user{i}", min_interval=1,
                     max_interval=3, source=TaskSource.UI) for i in range(5)]
        tasks = await create(store, *batch)
        assert [t.id for t in tasks] == list(range(tasks[0].id, tasks[0].id + 5))
        assert [t.serial for t in tasks] == [f"phone-{i}" for i in range(5)]
        for task in tasks:
            assert task.status is TaskStatus.PENDING
            assert (task.remark, task.retry_count, task.started_at) == ("", 0, None)
            assert task.created_at == NOW + 1
            assert await store.get_task(task.id) == task
        await assert_counts(store, pending=5)

    async def test_empty_batch(self, store: TaskStore) -> None:
        """Nothing to create is not an error, and writes nothing."""
        assert await store.create_tasks([], created_at=NOW) == []
        await assert_counts(store)

    async def test_failure_half_way_writes_nothing(self, store: TaskStore) -> None:
        """A row the database rejects after others went in: none of the batch stays."""
        broken = attrs.evolve(new(), serial=None)  # type: ignore[arg-type]  # NOT NULL
        with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
            await create(store, new(), new(), broken, new())
        await assert_counts(store)
        assert await store.list_tasks(TaskFilter(), offset=0, limit=10) == ([], 0)
        assert len(await create(store, new(), new())) == 2
        await assert_counts(store, pending=2)

    async def test_unstorable_config_writes_nothing(self, store: TaskStore) -> None:
        """A config that is not JSON fails the whole batch before it is written."""
        with pytest.raises(TypeError):
            await create(store, new(), new(script_config={"when": object()}))
        await assert_counts(store)

    async def test_ids_are_never_reused(self, store: TaskStore) -> None:
        """Deleting the newest task does not hand its id out again."""
        first, second = await create(store, new(), new())
        assert await store.delete_tasks([second.id]) == [second.id]
        (third,) = await create(store)
        assert third.id > second.id > first.id


class TestRead:
    async def test_get_missing(self, store: TaskStore) -> None:
        """An unknown id is None, not an error."""
        assert await store.get_task(12345) is None

    async def test_filters_pages_and_totals(self, store: TaskStore) -> None:
        """Each filter, alone and combined, gives newest first and the full total."""
        specs = [("a", "follow", TaskSource.API), ("b", "post", TaskSource.UI),
                 ("a", "post", TaskSource.API), ("b", "follow", TaskSource.API),
                 ("a", "follow", TaskSource.UI)]
        tasks = await create(store, *(new(s, n, source=src) for s, n, src in specs))
        ids = [t.id for t in tasks]
        await store.mark_running({ids[1]: NOW})
        await store.mark_running({ids[4]: NOW})

        async def listed(where: TaskFilter, **page: Any) -> tuple[list[int], int]:
            found, total = await store.list_tasks(where, **({"offset": 0, "limit": 10} | page))
            return [t.id for t in found], total

        assert await listed(TaskFilter()) == (ids[::-1], 5)
        assert await listed(TaskFilter(serial="a")) == ([ids[4], ids[2], ids[0]], 3)
        assert await listed(TaskFilter(script_name="post")) == ([ids[2], ids[1]], 2)
        assert await listed(TaskFilter(source=TaskSource.UI)) == ([ids[4], ids[1]], 2)
        assert await listed(TaskFilter(status=TaskStatus.RUNNING)) == ([ids[4], ids[1]], 2)
        assert await listed(TaskFilter(serial="a", script_name="follow",
                                       status=TaskStatus.PENDING)) == ([ids[0]], 1)
        assert await listed(TaskFilter(serial="c")) == ([], 0)
        assert await listed(TaskFilter(), offset=1, limit=2) == ([ids[3], ids[2]], 5)
        assert await listed(TaskFilter(), offset=4, limit=2) == ([ids[0]], 5)
        assert await listed(TaskFilter(), offset=5, limit=2) == ([], 5)
        assert await listed(TaskFilter(), limit=3, newest_first=False) == (ids[:3], 5)

    async def test_several_filters_read_along_the_narrowest(self, store: TaskStore) -> None:
        """A page of several filters reads along the index of the column whose value fewest
        tasks have, or of status if its matches are no further apart there, where the
        dialect lets a query say so (SQLite); the page is the same."""
        a1, a2, a3, b1, b2 = await create(store, new("a"), new("a"), new("a"), new("b", "post"),
                                         new("b"))
        await store.mark_running(dict.fromkeys([a2.id, b1.id], NOW))
        lanes = cast(SqlTaskStore[Any, Any], store)
        cases = [  # filter, the narrowest column, the page
            (TaskFilter(serial="a", script_name="follow"), "serial", [a1, a2, a3]),
            (TaskFilter(serial="a", script_name="post"), "script_name", []),
            (TaskFilter(serial="a", status=TaskStatus.RUNNING), "status", [a2]),
            (TaskFilter(script_name="follow", status=TaskStatus.PENDING), "status", [a1, a3, b2]),
            (TaskFilter(serial="b", script_name="follow", source=TaskSource.API), "serial", [b2]),
            (TaskFilter(serial="b", status=TaskStatus.PENDING), "serial", [b2]),
        ]
        for where, column, tasks in cases:
            terms, matches = filter_terms(where), len(tasks)
            along = await lanes._read(lambda cur, t=terms, n=matches: lanes._along(
                cur, t, matches=n, needed=10))
            assert along == (column if lanes._dialect.read_along else None), where
            page, total = await store.list_tasks(where, offset=0, limit=10, newest_first=False)
            assert ([t.id for t in page], total) == ([t.id for t in tasks], len(tasks))
        assert await lanes._read(lambda cur: lanes._along(
            cur, filter_terms(TaskFilter(serial="a")), matches=3, needed=10)) is None

    async def test_negative_page_is_refused(self, store: TaskStore) -> None:
        """A negative offset or limit is a bug in the caller, not an empty page."""
        with pytest.raises(ValueError, match="negative"):
            await store.list_tasks(TaskFilter(), offset=-1, limit=10)

    async def test_pending_oldest_first(self, store: TaskStore) -> None:
        """What the scheduler loads at start-up: pending only, in creation order."""
        a, b, c = await create(store, new(), new(), new())
        await store.mark_running(dict.fromkeys([b.id], NOW))
        assert [t.id for t in await store.pending_tasks()] == [a.id, c.id]


class TestTransitions:
    async def test_mark_running(self, store: TaskStore) -> None:
        """pending -> running once, several in one write, each with its own start; a
        second claim, or a missing task, changes nothing."""
        task, other, third = await create(store, new(), new(), new())
        [running] = await store.mark_running(dict.fromkeys([task.id], NOW + 5))
        assert running == attrs.evolve(task, status=TaskStatus.RUNNING, started_at=NOW + 5)
        assert await store.mark_running(dict.fromkeys([task.id, 999], NOW + 6)) == []
        both = await store.mark_running({third.id: NOW + 8, other.id: NOW + 7, task.id: NOW})
        assert [(t.id, t.started_at) for t in both] == [(other.id, NOW + 7),
                                                         (third.id, NOW + 8)]
        assert (await store.get_task(task.id)) == running
        await assert_counts(store, running=3)

    async def test_times_come_back_exact(self, store: TaskStore) -> None:
        """Every time a page or a claim hands back is the very float stored, to the last
        bit (SQLite's pages come as one JSON row, whose REALs it would round to 15
        digits), and an unset one stays None."""
        due, start = NOW + 0.123456789012345, NOW + 1 / 3
        (task,) = await create(store, new(due_at=due))
        [listed], _ = await store.list_tasks(TaskFilter(), offset=0, limit=10)
        assert listed == task
        assert (listed.due_at, listed.started_at, listed.finished_at) == (due, None, None)
        [running] = await store.mark_running({task.id: start})
        [listed], _ = await store.list_tasks(TaskFilter(), offset=0, limit=10)
        assert listed == running == await store.get_task(task.id)
        assert listed.started_at == start

    async def test_concurrent_claims_one_wins(self, store: TaskStore) -> None:
        """Many tasks racing to start the same task: exactly one succeeds."""
        (task,) = await create(store)
        results: list[list[Task]] = []

        async def claim() -> None:
            results.append(await store.mark_running(dict.fromkeys([task.id], NOW)))

        async with trio.open_nursery() as nursery:
            for _ in range(20):
                nursery.start_soon(claim)
        assert sum(len(r) for r in results) == 1
        await assert_counts(store, running=1)

    async def test_finish(self, store: TaskStore) -> None:
        """running or pending -> completed/failed with remark and result, once."""
        a, b = await create(store, new(), new())
        await store.mark_running(dict.fromkeys([a.id], NOW))
        done = await finish(store, a.id, TaskStatus.COMPLETED, remark="followed @alice",
                                       finished_at=NOW + 9, result={"followed": ["alice"]})
        assert done is not None
        assert (done.status, done.remark, done.finished_at, done.result) == (
            TaskStatus.COMPLETED, "followed @alice", NOW + 9, {"followed": ["alice"]})
        assert await store.get_task(a.id) == done
        stopped = await finish(store, b.id, TaskStatus.FAILED, remark="stopped by user",
                                          finished_at=NOW + 9)
        assert stopped is not None
        assert (stopped.status, stopped.result) == (TaskStatus.FAILED, None)
        assert await finish(store, a.id, TaskStatus.FAILED, remark="x",
                                       finished_at=NOW) is None
        assert await finish(store, 999, TaskStatus.FAILED, remark="x",
                                       finished_at=NOW) is None
        await assert_counts(store, completed=1, failed=1)

    async def test_finish_unstarted_clears_the_start(self, store: TaskStore) -> None:
        """A task marked running whose script never started (stopped before its moment)
        ends with no start."""
        (task,) = await create(store)
        await store.mark_running({task.id: NOW + 5})
        stopped = await finish(store, task.id, TaskStatus.FAILED, remark="stopped by user",
                                          finished_at=NOW + 4, started=False)
        assert stopped is not None
        assert (stopped.started_at, stopped.finished_at) == (None, NOW + 4)
        assert await store.get_task(task.id) == stopped

    def test_an_end_is_completed_or_failed(self) -> None:
        """Ending as pending or running is a bug in the caller."""
        with pytest.raises(ValueError, match="status"):
            TaskEnd(status=TaskStatus.RUNNING, remark="", finished_at=NOW)

    async def test_finish_and_retry_in_one_write(self, store: TaskStore) -> None:
        """The ends of several tasks, and the retries of some, in one transaction: those
        retried are pending again, due when asked, their retry counted; ends of tasks
        gone or over are left out."""
        a, b, c, over = await create(store, new(), new(), new(), new())
        await store.mark_running(dict.fromkeys([a.id, b.id, c.id], NOW))
        await finish(store, over.id, TaskStatus.COMPLETED, remark="ok", finished_at=NOW)
        failed = TaskEnd(status=TaskStatus.FAILED, remark="no network", finished_at=NOW + 1)
        changed = await store.finish_tasks(
            {a.id: failed, b.id: failed, over.id: failed, 999: failed,
             c.id: TaskEnd(status=TaskStatus.COMPLETED, remark="ok", finished_at=NOW + 1)},
            retries={a.id: Requeue(due_at=NOW + 30), c.id: Requeue(due_at=NOW + 30),
                     999: Requeue(due_at=NOW)})
        assert [(t.id, t.status, t.retry_count) for t in changed] == [
            (a.id, TaskStatus.PENDING, 1), (b.id, TaskStatus.FAILED, 0),
            (c.id, TaskStatus.COMPLETED, 0)]
        assert changed[0].due_at == NOW + 30
        assert [await store.get_task(t.id) for t in changed] == changed
        await assert_counts(store, pending=1, completed=2, failed=1)
        assert await store.finish_tasks({}, retries={}) == []

    async def test_requeue(self, store: TaskStore) -> None:
        """failed -> pending, due again, run fields cleared; others left alone."""
        failed, pending, done = await create(store, new(), new(), new())
        for task, status in ((failed, TaskStatus.FAILED), (done, TaskStatus.COMPLETED)):
            await store.mark_running(dict.fromkeys([task.id], NOW))
            await finish(store, task.id, status, remark="r", finished_at=NOW,
                                    result={"k": 1})
        (again,) = await store.requeue_tasks([failed.id, pending.id, done.id, 999],
                                             due_at=NOW + 60, count_retry=True)
        assert again == attrs.evolve(failed, due_at=NOW + 60, retry_count=1)
        await assert_counts(store, pending=2, completed=1)
        await finish(store, failed.id, TaskStatus.FAILED, remark="stopped", finished_at=NOW,
                     started=False)
        (manual,) = await store.requeue_tasks([failed.id], due_at=NOW, count_retry=False)
        assert manual.retry_count == 1

    async def test_a_retry_and_a_requeue_carry_their_remark(self, store: TaskStore) -> None:
        """A retry waits with its remark, counted or not; so does a task put back."""
        a, b = await create(store, new(), new())
        await store.mark_running(dict.fromkeys([a.id, b.id], NOW))
        failed = TaskEnd(status=TaskStatus.FAILED, remark="gone", finished_at=NOW + 1)
        again, lost = await store.finish_tasks({a.id: failed, b.id: failed}, retries={
            a.id: Requeue(due_at=NOW + 30, remark="retry 1 of 3 at ..."),
            b.id: Requeue(due_at=NOW + 1, remark="its last run stopped: gone", counted=False)})
        assert (again.remark, again.retry_count) == ("retry 1 of 3 at ...", 1)
        assert (lost.remark, lost.retry_count, lost.due_at) == (
            "its last run stopped: gone", 0, NOW + 1)
        [running] = await store.mark_running({a.id: NOW + 30})
        assert running.remark == ""  # a running task's remark is its end's, once over
        assert await store.get_task(a.id) == running
        await finish(store, a.id, TaskStatus.FAILED, remark="r", finished_at=NOW)
        [put_back] = await store.requeue_tasks([a.id], due_at=NOW, count_retry=True,
                                               remark="by hand")
        assert put_back.remark == "by hand"

    async def test_what_pending_tasks_show(self, store: TaskStore) -> None:
        """`note_waiting` changes the due moment and remark of pending tasks only, in one
        statement, exactly (a float's every digit, any text), and returns them."""
        pending, other, running = await create(store, new(), new(), new())
        await store.mark_running({running.id: NOW})
        due = NOW + 61.123456789
        changed = await store.note_waiting({
            pending.id: Waiting(due_at=due, remark="waiting: phone ü is not connected"),
            running.id: Waiting(due_at=NOW + 5, remark="no"),
            999: Waiting(due_at=NOW, remark="no one")})
        shown = await store.get_task(pending.id)
        assert shown is not None
        assert (shown.due_at, shown.remark) == (due, "waiting: phone ü is not connected")
        assert changed == [shown]
        assert await store.get_task(other.id) == other
        assert await store.get_task(running.id) == attrs.evolve(
            running, status=TaskStatus.RUNNING, started_at=NOW)
        assert await store.note_waiting({}) == []
        await assert_counts(store, pending=2, running=1)

    async def test_requeue_every_failed(self, store: TaskStore) -> None:
        """None means every failed task (retry-all), in id order."""
        tasks = await create(store, new(), new(), new())
        for task in (tasks[2], tasks[0]):
            await finish(store, task.id, TaskStatus.FAILED, remark="r", finished_at=NOW)
        again = await store.requeue_tasks(None, due_at=NOW, count_retry=False)
        assert [t.id for t in again] == [tasks[0].id, tasks[2].id]
        assert await store.requeue_tasks(None, due_at=NOW, count_retry=False) == []
        await assert_counts(store, pending=3)

    async def test_delete(self, store: TaskStore) -> None:
        """Only tasks that exist are deleted and reported, whatever their status."""
        a, b, c = await create(store, new(), new(), new())
        await store.mark_running(dict.fromkeys([b.id], NOW))
        assert await store.delete_tasks([c.id, b.id, 999]) == [b.id, c.id]
        assert await store.get_task(b.id) is None
        assert await store.delete_tasks([b.id]) == []
        assert await store.get_task(a.id) == a
        await assert_counts(store, pending=1)

    async def test_what_runs_leave(self, store: Store,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """Each run's steps are kept with its task, in order, exactly; the last failure's
        screenshot replaces the one before; only the newest screenshots are kept, up to a
        size in all; both go with their task."""
        monkeypatch.setattr("orchestrator.store._store.FAILURE_SCREENSHOT_BYTES", 15)
        a, b, c = await create(store, new(), new(), new())
        assert await store.task_log(a.id) == []
        assert await store.task_log(999) is None
        first = (Step(NOW + 0.123456789, "INFO", "tapped “Follow” ✓"),
                 Step(NOW + 1, "ERROR", "failed: no button"))
        png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
        await store.finish_tasks({a.id: TaskEnd(
            status=TaskStatus.FAILED, remark="r", finished_at=NOW + 1, steps=first,
            screenshot=png)}, retries={a.id: Requeue(due_at=NOW + 5)})
        assert await store.failure_screenshot(a.id) is None  # over the size in all
        monkeypatch.setattr("orchestrator.store._store.FAILURE_SCREENSHOT_BYTES", 1000)
        await store.finish_tasks({a.id: TaskEnd(
            status=TaskStatus.FAILED, remark="r", finished_at=NOW + 3, screenshot=png)},
            retries={a.id: Requeue(due_at=NOW + 5)})
        second = (Step(NOW + 6, "INFO", "failed: again"),)
        await store.finish_tasks({a.id: TaskEnd(
            status=TaskStatus.FAILED, remark="again", finished_at=NOW + 6, steps=second,
            screenshot=b"shot 1")}, retries={})
        assert await store.task_log(a.id) == [*first, *second]
        assert await store.failure_screenshot(a.id) == b"shot 1"  # the last replaced it
        monkeypatch.setattr("orchestrator.store._store.FAILURE_SCREENSHOT_BYTES", 14)
        for n, task in enumerate((b, c), start=2):
            await store.finish_tasks({task.id: TaskEnd(
                status=TaskStatus.FAILED, remark="r", finished_at=NOW + 10 * n,
                screenshot=b"shot %d" % n)}, retries={})
        assert await store.failure_screenshot(a.id) is None  # the oldest of three
        assert await store.failure_screenshot(c.id) == b"shot 3"
        assert await store.delete_tasks([a.id, c.id]) == [a.id, c.id]
        assert await store.task_log(a.id) is None
        assert await store.failure_screenshot(c.id) is None
        assert await store.failure_screenshot(b.id) == b"shot 2"

    async def test_fail_interrupted(self, store: TaskStore) -> None:
        """At start-up every running task fails with the remark, except one handed over
        ahead of a moment that had not come, which is pending again; nothing else changes."""
        a, b, c, ahead = await create(store, new(), new(), new(), new())
        await store.mark_running({a.id: NOW, c.id: NOW, ahead.id: NOW + 1.1})
        failed = await store.fail_interrupted(remark="interrupted by a restart",
                                              finished_at=NOW + 1)
        assert [(t.id, t.status, t.remark, t.finished_at) for t in failed] == [
            (t.id, TaskStatus.FAILED, "interrupted by a restart", NOW + 1) for t in (a, c)]
        assert await store.fail_interrupted(remark="x", finished_at=NOW) == []
        assert await store.get_task(b.id) == b
        assert await store.get_task(ahead.id) == ahead
        await assert_counts(store, pending=2, failed=2)

    async def test_many_ids_at_once(self, store: TaskStore) -> None:
        """Id lists are one parameter, so a retry or delete of any number of tasks works."""
        tasks = await store.create_tasks([new()] * 33_000, created_at=NOW)  # > SQLite's 32,766
        ids = [t.id for t in tasks]
        assert await store.delete_tasks(ids) == ids
        await assert_counts(store)


class TestFilterCounts:
    async def test_every_write_keeps_them(self, store: TaskStore) -> None:
        """Tasks of several serials, scripts and sources: after each kind of write, the
        total of each filter is the tasks' count; a count that drops to 0 keeps its row."""
        ids = [t.id for t in await create(store, *(
            new(f"phone-{i % 3}", ("follow", "post")[i % 2],
                source=TaskSource.UI if i % 5 == 0 else TaskSource.API) for i in range(12)))]
        await assert_counts(store, pending=12)
        await store.mark_running(dict.fromkeys(ids[:8], NOW))
        await assert_counts(store, pending=4, running=8)
        for i, status in [(0, TaskStatus.COMPLETED), (1, TaskStatus.COMPLETED),
                          (2, TaskStatus.COMPLETED), (3, TaskStatus.FAILED),
                          (4, TaskStatus.FAILED), (5, TaskStatus.FAILED), (8, TaskStatus.FAILED)]:
            await finish(store, ids[i], status, remark="", finished_at=NOW)
        await assert_counts(store, pending=3, running=2, completed=3, failed=4)
        await store.requeue_tasks(ids[3:5], due_at=NOW, count_retry=True)
        await assert_counts(store, pending=5, running=2, completed=3, failed=2)
        await store.fail_interrupted(remark="restart", finished_at=NOW)
        await assert_counts(store, pending=5, completed=3, failed=4)
        await store.requeue_tasks(None, due_at=NOW, count_retry=False)
        await assert_counts(store, pending=9, completed=3)
        await store.delete_tasks(ids[::2])
        await assert_counts(store, pending=5, completed=1)
        await store.delete_tasks(ids)
        await assert_counts(store)

        def zeros(cur: Cursor) -> list[Any]:
            cur.execute("SELECT count(*) FROM task_filter_counts WHERE n = 0")
            return cast(list[Any], cur.fetchone())

        assert (await cast(SqlTaskStore[Any, Any], store)._read(zeros))[0] > 0

    def test_one_change_per_key(self) -> None:
        """A write of many tasks of few keys changes each key's count once, by the sum."""
        rows = [insert_row(new(f"p{i % 2}"), created_at=NOW) for i in range(1000)]
        assert created_counts(rows) == {("p0", "follow", "api", 0): 500,
                                        ("p1", "follow", "api", 0): 500}
        tasks = [attrs.evolve(task_from_new(new(f"p{i % 2}", "post", source=TaskSource.UI),
                                            id=i, created_at=NOW), status=TaskStatus.RUNNING)
                 for i in range(1000)]
        assert moved_counts(tasks, before=TaskStatus.PENDING) == {
            ("p0", "post", "ui", 0): -500, ("p0", "post", "ui", 1): 500,
            ("p1", "post", "ui", 0): -500, ("p1", "post", "ui", 1): 500}


class TestLifecycle:
    async def test_tasks_survive_a_restart(self, open_store: OpenStore) -> None:
        """Close and reopen: everything is there, and the interrupted task can be failed."""
        async with open_store() as store:
            a, b = await create(store, new(), new())
            [running] = await store.mark_running(dict.fromkeys([a.id], NOW))
        async with open_store() as store:
            assert [await store.get_task(t.id) for t in (a, b)] == [running, b]
            await assert_counts(store, pending=1, running=1)
            assert [t.id for t in await store.fail_interrupted(
                remark="interrupted", finished_at=NOW)] == [a.id]

    async def test_cancelled_before_the_call_writes_nothing(self, store: TaskStore) -> None:
        """A caller already cancelled does not start its transaction."""
        with trio.CancelScope() as scope:
            scope.cancel()
            await create(store)
        assert scope.cancelled_caught
        await assert_counts(store)

    async def test_closed_store_refuses_calls(self, open_store: OpenStore) -> None:
        """A call after close raises instead of waiting forever."""
        async with open_store() as store:
            await store.aclose()
            with pytest.raises(trio.ClosedResourceError):
                await store.get_task(1)


class TestLanes:
    """Reads have a connection of their own: they neither wait for writes nor miss them."""

    async def test_reads_do_not_wait_for_a_write_in_progress(self, store: TaskStore) -> None:
        """While a write transaction holds the write lane, reads are served, and see the
        last commit, not the open transaction; once it commits they see it."""
        lanes = cast(SqlTaskStore[Any, Any], store)
        [task] = await create(store)
        entered, release = threading.Event(), threading.Event()

        def slow_claim(cur: Cursor) -> None:
            cur.execute(lanes._q.mark_running, [int(TaskStatus.RUNNING), lanes.host_id,
                                                f"[[{task.id}, {NOW}]]", int(TaskStatus.PENDING)])
            lanes._add_counts(cur, moved_counts([attrs.evolve(task, status=TaskStatus.RUNNING)],
                                                before=TaskStatus.PENDING))
            entered.set()
            assert release.wait(10)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(lanes._write, slow_claim)
            try:
                assert await trio.to_thread.run_sync(entered.wait, 10)
                with trio.fail_after(5):
                    for _ in range(20):
                        assert await store.get_task(task.id) == task
                        await assert_counts(store, pending=1)
                        assert await store.pending_tasks() == [task]
            finally:
                release.set()
        assert (await store.get_task(task.id)) == attrs.evolve(
            task, status=TaskStatus.RUNNING, started_at=NOW)
        await assert_counts(store, running=1)

    async def test_a_read_sees_every_write_that_returned(self, store: TaskStore) -> None:
        """Read-after-write, each time: a read never starts from an older snapshot."""
        for k in range(30):
            [task] = await create(store, new(serial=f"phone-{k}"))
            assert await store.get_task(task.id) == task
            assert (await store.task_stats()).pending == 1
            [running] = await store.mark_running(dict.fromkeys([task.id], NOW))
            assert await store.get_task(task.id) == running
            assert await store.pending_tasks() == []
            done = await finish(store, task.id, TaskStatus.COMPLETED, remark="ok",
                                           finished_at=NOW)
            assert await store.get_task(task.id) == done
            await assert_counts(store, completed=k + 1)

    async def test_a_store_beside_the_writer_sees_its_writes(self, backend: Backend,
                                                             store: TaskStore) -> None:
        """An API process's task reads see the writer's commits, the stats included (it
        keeps no view of its own), and cannot write."""
        async with backend.open_beside() as beside:
            await assert_counts(beside)
            [task] = await create(store)
            await assert_counts(beside, pending=1)
            with pytest.raises(DATABASE_ERRORS, match=r"(?i)read.?only"):
                await cast(TaskStore, beside).create_tasks([new()], created_at=NOW)
            await store.mark_running({task.id: NOW})
            await assert_counts(beside, running=1)
            assert await beside.get_task(task.id) == await store.get_task(task.id)

    async def test_writes_do_not_wait_for_a_read_in_progress(self, store: TaskStore) -> None:
        """While a read transaction holds the read lane, writes commit; the read keeps its
        snapshot, and the next read sees the writes."""
        [task] = await create(store)
        entered, release = threading.Event(), threading.Event()
        lanes = cast(SqlTaskStore[Any, Any], store)

        def slow_read(cur: Cursor) -> TaskStatus:
            cur.execute(lanes._q.get, [task.id])
            cur.fetchall()
            entered.set()
            assert release.wait(10)
            cur.execute(lanes._q.get, [task.id])
            return TaskStatus(cur.fetchone()[5])

        async with trio.open_nursery() as nursery:
            seen: list[TaskStatus] = []

            async def read() -> None:
                seen.append(await lanes._read(slow_read))

            nursery.start_soon(read)
            try:
                assert await trio.to_thread.run_sync(entered.wait, 10)
                with trio.fail_after(5):
                    [running] = await store.mark_running(dict.fromkeys([task.id], NOW))
                    assert [t.id for t in await create(store, new(), new())] == [2, 3]
            finally:
                release.set()
        assert seen == [TaskStatus.PENDING]
        assert await store.get_task(task.id) == running
        await assert_counts(store, pending=2, running=1)

    async def test_queued_writes_commit_together_and_fail_alone(self, store: TaskStore) -> None:
        """Writes queued behind a busy write lane share one commit (a group); one of them
        that fails half-way undoes only its own changes and raises to its own caller."""
        lanes = cast(SqlTaskStore[Any, Any], store)
        a, b, c = await create(store, new("p1"), new("p2"), new("p3"))

        def claim_b_then_fail(cur: Cursor) -> None:
            cur.execute(lanes._q.mark_running, [int(TaskStatus.RUNNING), lanes.host_id,
                                                f"[[{b.id}, {NOW}]]", int(TaskStatus.PENDING)])
            lanes._add_counts(cur, moved_counts([attrs.evolve(b, status=TaskStatus.RUNNING)],
                                                before=TaskStatus.PENDING))
            raise LookupError("half-way")

        results = await queued_behind_a_held_lane(store, LookupError, {
            "a": partial(store.mark_running, dict.fromkeys([a.id], NOW)),
            "b": partial(lanes._write, claim_b_then_fail),
            "c": partial(finish, store, c.id, TaskStatus.FAILED, remark="no",
                         finished_at=NOW)})
        assert [t.status for t in cast(list[Task], results["a"])] == [TaskStatus.RUNNING]
        assert str(results["b"]) == "half-way"
        assert cast(Task, results["c"]).status is TaskStatus.FAILED
        assert (await store.get_task(b.id)) == b
        await assert_counts(store, pending=1, running=1, failed=1)

    async def test_a_group_rolled_back_whole_reruns_each_write_alone(
            self, sqlite_path: Path) -> None:
        """SQLite may roll a whole transaction back on an error (disk full, I/O error): the
        writes of the group after it do not commit on their own, and each runs again
        alone, exactly once in effect."""
        async with open_sqlite_store(sqlite_path) as store:
            lanes = cast(SqlTaskStore[Any, Any], store)
            a, c = await create(store, new("p1"), new("p3"))

            def lose_the_transaction(cur: Cursor) -> None:
                cur.execute("ROLLBACK")  # what SQLite does itself on SQLITE_FULL
                raise sqlite3.OperationalError("database or disk is full")

            results = await queued_behind_a_held_lane(store, sqlite3.OperationalError, {
                "a": partial(store.mark_running, {a.id: NOW}),
                "b": partial(lanes._write, lose_the_transaction),
                "c": partial(store.mark_running, {c.id: NOW + 1})})
            assert [t.id for t in cast(list[Task], results["a"])] == [a.id]
            assert str(results["b"]) == "database or disk is full"
            assert [t.id for t in cast(list[Task], results["c"])] == [c.id]
            await assert_counts(store, running=2)

    async def test_the_read_lane_refuses_writes(self, store: TaskStore) -> None:
        """A write sent down the read lane by mistake fails instead of racing the writer."""
        lanes = cast(SqlTaskStore[Any, Any], store)
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction)):
            await lanes._read(lambda cur: lanes._add_counts(
                cur, {("phone-1", "follow", "api", int(TaskStatus.PENDING)): 1}))
        await assert_counts(store)


class TestMigration:
    async def test_filter_counts_are_counted_from_the_tasks(self, backend: Backend) -> None:
        """A database one migration short of the per-filter counts, with tasks in it, gets
        them counted from its rows."""
        before = MIGRATIONS[:MIGRATIONS.index(_filter_counts)]
        statuses = [0, 0, 1, 2, 2, 2, 3, 3, 0, 2, 2]
        rows = [(f"phone-{i % 3}", ("follow", "post")[i % 2], status, "ui" if i % 5 else "api")
                for i, status in enumerate(statuses)]
        with backend.transaction() as cur:
            assert migrate(cur, backend.dialect, before) == len(before)
            cur.executemany(backend.dialect.sql(
                "INSERT INTO tasks (serial, script_name, script_config, status, source, due_at,"
                " created_at, request_id, position, min_interval, max_interval)"
                " VALUES (?, ?, '{}', ?, ?, 0, 0, 'r', 0, 0, 0)"), rows)
            cur.execute("UPDATE task_counts SET n = (SELECT count(*) FROM tasks t"
                        " WHERE t.status = task_counts.status)")
        async with backend.open_store() as store:
            await assert_counts(store, pending=3, running=1, completed=5, failed=2)
            (running,) = await store.mark_running(dict.fromkeys([1], NOW))
            await assert_counts(store, pending=2, running=2, completed=5, failed=2)
            assert await store.delete_tasks([running.id, 4]) == [1, 4]
            await assert_counts(store, pending=2, running=1, completed=4, failed=2)


class TestSqliteFile:
    async def test_wal_file_in_a_new_folder(self, sqlite_path: Path) -> None:
        """The folder is created; the file is in WAL mode."""
        async with open_sqlite_store(sqlite_path):
            pass
        with sqlite3.connect(sqlite_path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    async def test_old_file_is_migrated(self, sqlite_path: Path) -> None:
        """A file at schema 1 with tasks in it gets the later migrations, counts backfilled."""
        sqlite_path.parent.mkdir()
        conn = sqlite3.connect(sqlite_path, isolation_level=None)
        conn.execute("BEGIN")
        assert migrate(conn.cursor(), SQLITE, MIGRATIONS[:1]) == 1
        conn.executemany(
            "INSERT INTO tasks (serial, script_name, script_config, status, source, due_at,"
            " created_at, request_id, position, min_interval, max_interval)"
            " VALUES ('p', 'follow', '{}', ?, 'api', 0, 0, 'r', 0, 0, 0)", [(0,), (3,), (3,)])
        conn.execute("COMMIT")
        conn.close()
        async with open_sqlite_store(sqlite_path) as store:
            await assert_counts(store, pending=1, failed=2)
            failed, total = await store.list_tasks(TaskFilter(status=TaskStatus.FAILED),
                                                   offset=0, limit=10)
            assert ([t.id for t in failed], total) == ([3, 2], 2)
        with sqlite3.connect(sqlite_path) as conn:
            assert conn.execute("SELECT version FROM schema_version").fetchall() == [
                (len(MIGRATIONS),)]
            indexes = {name for name, in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'")}
            assert {"tasks_by_status", "tasks_by_serial", "tasks_by_script_name",
                    "tasks_by_source"} <= indexes

    async def test_newer_file_is_refused(self, sqlite_path: Path) -> None:
        """A file from a newer program is not touched."""
        async with open_sqlite_store(sqlite_path):
            pass
        with sqlite3.connect(sqlite_path) as conn:
            conn.execute("UPDATE schema_version SET version = 99")
        with pytest.raises(SchemaTooNew, match="99"):
            async with open_sqlite_store(sqlite_path):
                pass
