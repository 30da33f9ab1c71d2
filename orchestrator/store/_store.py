"""The store both backends share: each method is one transaction on a worker thread.

Two lanes, each a worker thread with a connection of its own: writes go one at a time
through the write lane, reads through the read lane, so a due task's `mark_running`
never queues behind the API's pages and stats. A read begins a new transaction on every
call, so it sees every write that had returned before it was made.

A backend adds only what its engine does differently: how a transaction begins, how a
batch of new tasks is written fastest while learning their ids, and how each lane's
connection is opened (`open_sql_store`).
"""

from __future__ import annotations

import abc
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

import attrs
import trio

from actors import (
    NewTask,
    Requeue,
    ScheduleStore,
    Task,
    TaskEnd,
    TaskFilter,
    TaskReads,
    TaskStats,
    TaskStatus,
    TaskStore,
    Waiting,
)
from scripts import Step

from ..accounts import AccountStore
from ..groups import GroupStore
from ._accounts import SqlAccountStore
from ._groups import SqlGroupStore
from ._hosts import SqlHostStore, machine_name
from ._idempotency import AnswerStore, SqlAnswerStore
from ._news import CHANNEL, News, NewsKind
from ._phones import SqlPhoneStore
from ._proxies import SqlProxyStore
from ._schedules import SqlScheduleStore
from ._schema import migrate
from ._sql import (
    CountKey,
    Cursor,
    Dialect,
    Queries,
    Terms,
    created_counts,
    fetch_tasks,
    filter_terms,
    ids_json,
    insert_row,
    moved_counts,
    select_count,
    select_page,
    starts_json,
    task_from_new,
    task_from_row,
    to_json,
    waits_json,
)
from ._stats import Executes, StatsMirror, stats_of
from ._worker import Worker, open_worker

T = TypeVar("T")
ConnT = TypeVar("ConnT", bound=Executes)
CursorT = TypeVar("CursorT", bound=Cursor)
StoreT = TypeVar("StoreT", bound="SqlTaskStore[Any, Any]")

_UNFINISHED = (TaskStatus.PENDING, TaskStatus.RUNNING)
_OVER = (TaskStatus.COMPLETED, TaskStatus.FAILED)
#: Bytes of failure screenshots kept, the newest (a phone's PNG is 0.1 to 3 MB).
FAILURE_SCREENSHOT_BYTES = 256 * 1024 * 1024


class Store(TaskStore, Protocol):
    """What the `open_*_store` functions yield: the tasks, and beside them in the same
    database the accounts and the API's kept answers."""

    async def task_log(self, task_id: int) -> list[Step] | None:
        """The steps of every run of the task, oldest first (None: no such task)."""

    async def failure_screenshot(self, task_id: int) -> bytes | None:
        """The screen the task's last failure left, if one was kept."""

    @property
    def accounts(self) -> AccountStore: ...

    @property
    def groups(self) -> GroupStore: ...

    @property
    def answers(self) -> AnswerStore: ...

    @property
    def schedules(self) -> ScheduleStore: ...

    @property
    def proxies(self) -> SqlProxyStore: ...

    @property
    def phones(self) -> SqlPhoneStore: ...

    @property
    def hosts(self) -> SqlHostStore:
        """The hosts that share the database, this one's lease among them."""

    @property
    def host_id(self) -> str:
        """The host this store writes for."""

    def heard_of_changes(self) -> None: ...

    async def tasks_among(self, task_ids: Sequence[int]) -> list[Task]: ...


class SqlTaskStore(abc.ABC, Generic[ConnT, CursorT]):
    """A `TaskStore`, and the `accounts` and `answers` on its lanes: writes on `writer`'s
    connection, reads on `reader`'s.

    Counts live in `task_counts` (per status) and `task_filter_counts` (per status, serial,
    script and source) and change in the same transaction as the tasks, so `task_stats`
    reads four rows, and a filtered page's total a few, instead of counting millions.
    """

    def __init__(self, writer: Worker[ConnT], reader: Worker[ConnT], dialect: Dialect,
                 stats: StatsMirror, host_id: str) -> None:
        self.host_id = host_id
        self._writer = writer
        self._reader = reader
        self._dialect = dialect
        self._stats = stats
        self._q = Queries.for_dialect(dialect)
        self._notify = dialect.sql(dialect.notify)
        self.accounts = SqlAccountStore(dialect, read=self._read, write=self._write)
        self.groups = SqlGroupStore(dialect, read=self._read, write=self._write)
        self.answers = SqlAnswerStore(dialect, read=self._read, write=self._write)
        self.proxies = SqlProxyStore(dialect, read=self._read, write=self._write)
        self.schedules = SqlScheduleStore(dialect, read=self._read, write=self._write,
                                          insert_tasks=self._create_in, tell=self._tell)
        self.hosts = SqlHostStore(dialect, host_id, read=self._read, write=self._write)
        self.phones = SqlPhoneStore(dialect, host_id, read=self._read, write=self._write,
                                    tell=self._tell)

    @abc.abstractmethod
    def _transaction(self, conn: ConnT, *, write: bool) -> AbstractContextManager[CursorT]:
        """One transaction, committed if the block ends well and rolled back if not; inside
        a transaction already open, a savepoint, released or rolled back to likewise."""

    @abc.abstractmethod
    def _insert(self, cur: CursorT, rows: Sequence[Sequence[Any]]) -> int:
        """Insert `rows` of `INSERT_COLUMNS` with consecutive ids, in order; return the last."""

    async def create_tasks(self, tasks: Sequence[NewTask], *, created_at: float) -> list[Task]:
        if not tasks:
            await trio.lowlevel.checkpoint()
            return []
        return await self._writer.run(lambda conn: self._in_transaction(
            conn, lambda cur: self._create_in(cur, tasks, created_at), write=True))

    def _create_in(self, cur: CursorT, tasks: Sequence[NewTask],
                   created_at: float) -> list[Task]:
        """Create `tasks` in the transaction of `cur`; they are what they became."""
        if not tasks:
            return []
        rows = [insert_row(task, created_at=created_at) for task in tasks]
        last = self._insert(cur, rows)
        self._add_counts(cur, created_counts(rows))
        ids = range(last - len(rows) + 1, last + 1)
        self._tell(cur, NewsKind.PENDING, list(ids))
        return [task_from_new(task, id=id_, created_at=created_at)
                for task, id_ in zip(tasks, ids, strict=True)]

    async def get_task(self, task_id: int) -> Task | None:
        def get(cur: CursorT) -> Task | None:
            cur.execute(self._q.get, [task_id])
            row = cur.fetchone()
            return None if row is None else task_from_row(row)

        return await self._read(get)

    async def tasks_among(self, task_ids: Sequence[int]) -> list[Task]:
        """Those of `task_ids` that exist, by id."""
        return sorted(await self._read(lambda cur: fetch_tasks(
            cur, self._dialect, self._q.among, [ids_json(task_ids)])), key=_by_id)

    async def list_tasks(self, where: TaskFilter, *, offset: int, limit: int,
                         newest_first: bool = True) -> tuple[list[Task], int]:
        terms = filter_terms(where)
        params = [value for _, value in terms]

        def page(cur: CursorT) -> tuple[list[Task], int]:
            cur.execute(select_count(self._dialect, terms), params)
            total = int(cur.fetchone()[0])
            along = self._along(cur, terms, matches=total, needed=offset + limit)
            tasks = fetch_tasks(cur, self._dialect, select_page(
                self._dialect, terms, newest_first=newest_first, along=along),
                [*params, limit, offset])
            return sorted(tasks, key=_by_id, reverse=newest_first), total

        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must not be negative, not {offset}, {limit}")
        return await self._read(page)

    async def task_stats(self) -> TaskStats:
        def stats(cur: CursorT) -> TaskStats:
            cur.execute(self._q.counts)
            return stats_of(cur.fetchall())

        kept = self._stats.stats
        if kept is not None and not self._reader.closed:  # closed: `_read` raises
            await trio.lowlevel.checkpoint()
            return kept
        return await self._read(stats)

    async def pending_tasks(self) -> list[Task]:
        def pending(cur: CursorT) -> list[Task]:
            cur.execute(self._q.pending, [int(TaskStatus.PENDING), self.host_id])
            return [task_from_row(row) for row in cur.fetchall()]

        return await self._read(pending)

    async def mark_running(self, starts: Mapping[int, float]) -> list[Task]:
        def mark(cur: CursorT) -> list[Task]:
            # This host still holds its name; the pending ones no other host is taking
            # (locked, on PostgreSQL), then exactly those are updated: no task is ever
            # taken twice, nor by a host the others took for dead.
            self.hosts.check_held(cur)
            pending = fetch_tasks(cur, self._dialect, self._q.claim,
                                  [starts_json(starts), int(TaskStatus.PENDING)])
            if not pending:
                return []
            mine = {task.id: starts[task.id] for task in pending}
            cur.execute(self._q.mark_running, [int(TaskStatus.RUNNING), self.host_id,
                                               starts_json(mine), int(TaskStatus.PENDING)])
            self._tell(cur, NewsKind.RUNNING, sorted(mine))
            tasks = sorted((attrs.evolve(task, status=TaskStatus.RUNNING,
                                         started_at=float(mine[task.id]), remark="")
                            for task in pending), key=_by_id)
            self._add_counts(cur, moved_counts(tasks, before=TaskStatus.PENDING))
            return tasks

        return await self._write(mark)

    async def finish_tasks(self, ends: Mapping[int, TaskEnd], *,
                           retries: Mapping[int, Requeue]) -> list[Task]:
        def finish(cur: CursorT) -> list[Task]:
            changed: dict[int, Task] = {}
            deltas: Counter[CountKey] = Counter()  # the counts move once for them all
            for task_id, end in sorted(ends.items()):
                cur.execute(self._q.status_of, [task_id])
                row = cur.fetchone()
                if row is None or row[0] not in _UNFINISHED:
                    continue
                if row[0] == TaskStatus.RUNNING and row[1] not in (None, self.host_id):
                    continue  # another host runs it: its end is that host's to store
                if row[0] == TaskStatus.PENDING and end.started and row[1] is not None:
                    continue  # a run this host was taken for dead in: pending again since
                cur.execute(self._q.finish, [int(end.status), end.remark, end.finished_at,
                                             to_json(end.result), end.started, task_id])
                task = changed[task_id] = task_from_row(cur.fetchone())
                self._record(cur, task_id, end)
                deltas.update(moved_counts([task], before=TaskStatus(row[0])))
            for task_id, retry in sorted(retries.items()):
                if task_id in changed:
                    again = self._requeue(cur, [task_id], due_at=retry.due_at,
                                          count_retry=retry.counted, remark=retry.remark)
                    changed.update((task.id, task) for task in again)
                    deltas.update(moved_counts(again, before=TaskStatus.FAILED))
            self._add_counts(cur, deltas)
            self._tell_changed(cur, changed.values())
            return sorted(changed.values(), key=_by_id)

        if not ends:
            await trio.lowlevel.checkpoint()
            return []
        return await self._write(finish)

    async def requeue_tasks(self, task_ids: Sequence[int] | None, *, due_at: float,
                            count_retry: bool, remark: str = "") -> list[Task]:
        def requeue(cur: CursorT) -> list[Task]:
            tasks = self._requeue(cur, task_ids, due_at=due_at, count_retry=count_retry,
                                  remark=remark)
            self._add_counts(cur, moved_counts(tasks, before=TaskStatus.FAILED))
            self._tell_changed(cur, tasks)
            return tasks

        return await self._write(requeue)

    async def note_waiting(self, waits: Mapping[int, Waiting]) -> list[Task]:
        def note(cur: CursorT) -> list[Task]:
            # One statement each: one per row would be a GIL hand-off each (`tasks_as_json`).
            pending = int(TaskStatus.PENDING)
            cur.execute(self._q.note_waiting, [waits_json(waits), pending])
            return sorted(fetch_tasks(cur, self._dialect, self._q.pending_among,
                                      [starts_json(dict.fromkeys(waits, 0.0)), pending]),
                          key=_by_id)

        if not waits:
            await trio.lowlevel.checkpoint()
            return []
        return await self._write(note)

    async def task_log(self, task_id: int) -> list[Step] | None:
        def log(cur: CursorT) -> list[Step] | None:
            cur.execute(self._q.get, [task_id])
            if cur.fetchone() is None:
                return None
            cur.execute(self._q.logs_of, [task_id])
            return [Step(at, level, message) for (steps,) in cur.fetchall()
                    for at, level, message in json.loads(steps)]

        return await self._read(log)

    async def failure_screenshot(self, task_id: int) -> bytes | None:
        def screenshot(cur: CursorT) -> bytes | None:
            cur.execute(self._q.screenshot_of, [task_id])
            row = cur.fetchone()
            return None if row is None else bytes(row[0])

        return await self._read(screenshot)

    async def delete_tasks(self, task_ids: Sequence[int]) -> list[int]:
        def delete(cur: CursorT) -> list[int]:
            cur.execute(self._q.delete_logs, [ids_json(task_ids)])
            cur.execute(self._q.delete_screenshots, [ids_json(task_ids)])
            cur.execute(self._q.delete, [ids_json(task_ids)])
            deleted = cur.fetchall()
            self._add_counts(cur, Counter(
                {key: -n for key, n in Counter(tuple(row[1:]) for row in deleted).items()}))
            ids = sorted(int(row[0]) for row in deleted)
            self._tell(cur, NewsKind.ENDED, ids)
            return ids

        return await self._write(delete)

    async def fail_interrupted(self, *, remark: str, finished_at: float) -> list[Task]:
        def fail(cur: CursorT) -> list[Task]:
            return [task for task in self._fail_running(
                cur, self.host_id, remark=remark, finished_at=finished_at,
                unnamed=self.host_id) if task.status == TaskStatus.FAILED]

        return await self._write(fail)

    async def fail_dead_hosts(self, *, lease: float, remark: Callable[[str], str],
                              finished_at: float) -> list[Task]:
        """Every other host whose lease is older than `lease` seconds is taken for dead,
        by one host only (its row locked): its running tasks fail with `remark(host)`
        (those it had not started yet are pending again), its phones show offline, and
        its name is free. The tasks so changed, by id."""
        def reap(cur: CursorT) -> list[Task]:
            cur.execute(self._q.dead_hosts, [self.host_id, lease])
            changed: list[Task] = []
            for (host,) in cur.fetchall():
                changed += self._fail_running(cur, host, remark=remark(host),
                                              finished_at=finished_at, unnamed="")
                self.phones.went_silent(cur, host)
                cur.execute(self._q.forget_host, [host])
            return sorted(changed, key=_by_id)

        return await self._write(reap)

    def _fail_running(self, cur: CursorT, host: str, *, remark: str, finished_at: float,
                      unnamed: str) -> list[Task]:
        """The running tasks of `host` fail with `remark`, but those whose moment had not
        come (handed over ahead, never started), pending again; those of no host (from
        before hosts were named) count as `unnamed`'s. Both, by id."""
        cur.execute(self._q.unstart_running, [int(TaskStatus.PENDING), int(TaskStatus.RUNNING),
                                              finished_at, unnamed, host])
        unstarted = [task_from_row(row) for row in cur.fetchall()]
        cur.execute(self._q.fail_running, [int(TaskStatus.FAILED), remark, finished_at,
                                           int(TaskStatus.RUNNING), unnamed, host])
        failed = [task_from_row(row) for row in cur.fetchall()]
        self._add_counts(cur, moved_counts(unstarted + failed, before=TaskStatus.RUNNING))
        self._tell_changed(cur, unstarted + failed)
        return sorted(unstarted + failed, key=_by_id)

    async def pending_here_among(self, task_ids: Sequence[int]) -> list[Task]:
        # On the write lane, after any write of where this host's phones are
        # (`phones.place`) asked before it: a phone that just came is seen here.
        return await self._write(lambda cur: fetch_tasks(
            cur, self._dialect, self._q.pending_here_among,
            [ids_json(task_ids), int(TaskStatus.PENDING), self.host_id]))

    async def ask_stop(self, task_ids: Sequence[int], *, remark: str) -> dict[int, str]:
        def ask(cur: CursorT) -> dict[int, str]:
            cur.execute(self._q.run_elsewhere, [ids_json(task_ids), int(TaskStatus.RUNNING),
                                                self.host_id])
            asked = {int(task_id): str(host) for task_id, host in cur.fetchall()}
            self._tell(cur, NewsKind.STOP, [[task_id, host, remark]
                                            for task_id, host in sorted(asked.items())])
            return asked

        return await self._write(ask)

    def heard_of_changes(self) -> None:
        """Another host changed tasks: the kept counts may be behind until the next write."""
        self._stats.stats = None

    def _tell_changed(self, cur: CursorT, tasks: Iterable[Task]) -> None:
        """Tell the other hosts which of `tasks` are pending now, and which over."""
        pending = [t.id for t in tasks if t.status == TaskStatus.PENDING]
        self._tell(cur, NewsKind.PENDING, pending)
        self._tell(cur, NewsKind.ENDED, [t.id for t in tasks if t.status in _OVER])

    def _tell(self, cur: Cursor, kind: NewsKind, items: Sequence[Any]) -> None:
        """Tell the other hosts of a change, when this transaction commits (`News`)."""
        if self._dialect.notify and items:
            for payload in News(kind, self.host_id, items).payloads():
                cur.execute(self._notify, [CHANNEL, payload])

    async def migrate(self) -> int:
        """Create or upgrade the schema (see `_schema`); return its version."""
        return await self._write(lambda cur: migrate(cur, self._dialect))

    async def aclose(self) -> None:
        await self._reader.aclose()
        await self._writer.aclose()

    def _requeue(self, cur: CursorT, task_ids: Sequence[int] | None, *, due_at: float,
                 count_retry: bool, remark: str) -> list[Task]:
        """`requeue_tasks` within the transaction of `cur`, but for the counts, which the
        caller moves (failed -> pending, for the tasks returned)."""
        params = [int(TaskStatus.PENDING), due_at, int(count_retry), remark,
                  int(TaskStatus.FAILED)]
        if task_ids is None:
            cur.execute(self._q.requeue_all, params)
        else:
            cur.execute(self._q.requeue, [*params, ids_json(task_ids)])
        return sorted((task_from_row(row) for row in cur.fetchall()), key=_by_id)

    def _record(self, cur: CursorT, task_id: int, end: TaskEnd) -> None:
        """What the run of `end` did, and the screen it failed on, kept with its task."""
        if end.steps:
            cur.execute(self._q.add_log, [task_id, end.finished_at, json.dumps(
                [[s.at, s.level, s.message] for s in end.steps], ensure_ascii=False)])
        if end.screenshot is not None:
            cur.execute(self._q.keep_screenshot, [task_id, end.finished_at,
                                                  len(end.screenshot), end.screenshot])
            cur.execute(self._q.forget_old_screenshots, [FAILURE_SCREENSHOT_BYTES])

    def _add_counts(self, cur: CursorT, deltas: Mapping[CountKey, int]) -> None:
        """Change both kept counts by `deltas`: one upsert of all keys, one update per status.

        In key order, so that two PostgreSQL transactions of one write each lock rows in
        one order (a group commit holds several writes' locks: with one writing process
        per database, as now, nothing waits on them). A count that drops to 0 keeps its
        row (see `_schema`).
        """
        rows = [(*key, delta) for key, delta in sorted(deltas.items()) if delta]
        if not rows:
            return
        # One statement: one row each would be a GIL hand-off each (see `tasks_as_json`).
        cur.execute(self._q.add_filter_counts, [json.dumps(rows)])
        by_status: Counter[int] = Counter()
        for *_, status, delta in rows:
            by_status[status] += delta
        for status, delta in sorted(by_status.items()):
            if delta:
                cur.execute(self._q.add_count, [delta, status])

    def _along(self, cur: CursorT, terms: Terms, *, matches: int, needed: int) -> str | None:
        """Of several filters, the column whose index a page reads along, until it has
        found `needed` of the `matches`. SQLite, lacking statistics, guesses, and may read
        a script's 300,000 tasks for one serial's page; the kept counts tell.

        Along a column other than status, only the worst case is safe to expect (all the
        tasks of its value): statuses follow age, the newest tasks being the live ones, so
        a page of failed tasks may first pass every pending one. Along status, the other
        filters' matches are spread evenly. None: the planner chooses (one filter, or a
        dialect with statistics).
        """
        if len(terms) < 2 or not self._dialect.read_along:
            return None

        def tasks_with(term: tuple[str, Any]) -> int:
            cur.execute(select_count(self._dialect, [term]), [term[1]])
            return int(cur.fetchone()[0])

        counts = {term[0]: tasks_with(term) for term in terms}
        column = min((name for name in counts if name != "status"), key=counts.__getitem__)
        by_status = counts.get("status")
        if by_status is not None:
            spread = by_status if matches == 0 else min(by_status, needed * by_status // matches)
            if spread < counts[column]:
                return "status"
        return column

    async def _read(self, fn: Callable[[CursorT], T]) -> T:
        return await self._reader.run(lambda conn: self._in_transaction(conn, fn, write=False))

    async def _write(self, fn: Callable[[CursorT], T]) -> T:
        return await self._writer.run(lambda conn: self._in_transaction(conn, fn, write=True),
                                      group=self._group_commit)

    def _group_commit(self, conn: ConnT) -> AbstractContextManager[object]:
        """The one transaction a group of writes shares; each write's own `_transaction`
        inside it is a savepoint, so a write that fails undoes only itself."""
        return self._transaction(conn, write=True)

    def _in_transaction(self, conn: ConnT, fn: Callable[[CursorT], T], *, write: bool) -> T:
        with self._transaction(conn, write=write) as cur:
            return fn(cur)


@asynccontextmanager
async def open_sql_store(cls: Callable[[Worker[ConnT], Worker[ConnT], Dialect, StatsMirror,
                                        str], StoreT],
                         dialect: Dialect, *, connect_writer: Callable[[], ConnT],
                         connect_reader: Callable[[], ConnT], host_id: str | None,
                         inline: bool = False) -> AsyncIterator[StoreT]:
    """A `cls` store on its two lanes, its schema migrated before the read lane connects;
    the write lane keeps the stats mirror current after each commit (this process is the
    one that writes the tasks). `inline`: the lanes run on the trio thread
    (`open_worker`), for tests in virtual time."""
    stats = StatsMirror(Queries.for_dialect(dialect).counts)
    host_id = host_id or machine_name()
    async with open_worker(connect_writer, after=stats.refresh, inline=inline) as writer:
        await cls(writer, writer, dialect, stats, host_id).migrate()
        async with open_worker(connect_reader, inline=inline) as reader:
            yield cls(writer, reader, dialect, stats, host_id)


@asynccontextmanager
async def open_sql_reads(cls: Callable[[Worker[ConnT], Worker[ConnT], Dialect, StatsMirror,
                                        str], StoreT],
                         dialect: Dialect, *, connect_reader: Callable[[], ConnT]
                         ) -> AsyncIterator[TaskReads]:
    """The task reads of a database another process writes (and has migrated): one read
    lane, on a connection that cannot write; the stats are read from the table, as no
    commit of this process keeps a mirror of them."""
    async with open_worker(connect_reader) as reader:
        yield cls(reader, reader, dialect, StatsMirror(Queries.for_dialect(dialect).counts),
                  machine_name())


def _by_id(task: Task) -> int:
    return task.id
