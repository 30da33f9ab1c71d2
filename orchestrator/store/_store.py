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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, Generic, Protocol, TypeVar

import trio

from actors import AccountStore, NewTask, Task, TaskFilter, TaskStats, TaskStatus, TaskStore

from ._accounts import AccountQueries, SqlAccountStore
from ._schema import migrate
from ._sql import (
    Cursor,
    Dialect,
    Queries,
    ids_json,
    insert_row,
    select_page,
    task_from_new,
    task_from_row,
    to_json,
)
from ._stats import Executes, StatsMirror, stats_of
from ._worker import Worker, open_worker

T = TypeVar("T")
ConnT = TypeVar("ConnT", bound=Executes)
CursorT = TypeVar("CursorT", bound=Cursor)
StoreT = TypeVar("StoreT", bound="SqlTaskStore[Any, Any]")

_FINAL = (TaskStatus.COMPLETED, TaskStatus.FAILED)
_UNFINISHED = (TaskStatus.PENDING, TaskStatus.RUNNING)


class Store(TaskStore, AccountStore, Protocol):
    """What the `open_*_store` functions yield: tasks and accounts in one database."""


class SqlTaskStore(SqlAccountStore, Generic[ConnT, CursorT]):
    """A `TaskStore` and `AccountStore`: writes on `writer`'s connection, reads on `reader`'s.

    Per-status counts live in `task_counts` and change in the same transaction as the
    tasks, so `task_stats` reads four rows instead of counting millions.
    """

    def __init__(self, writer: Worker[ConnT], reader: Worker[ConnT], dialect: Dialect,
                 stats: StatsMirror) -> None:
        self._writer = writer
        self._reader = reader
        self._dialect = dialect
        self._stats = stats
        self._q = Queries.for_dialect(dialect)
        self._accounts = AccountQueries.for_dialect(dialect)

    @abc.abstractmethod
    def _transaction(self, conn: ConnT, *, write: bool) -> AbstractContextManager[CursorT]:
        """One transaction, committed if the block ends well and rolled back if not; inside
        a transaction already open, a savepoint, released or rolled back to likewise."""

    @abc.abstractmethod
    def _insert(self, cur: CursorT, rows: Sequence[Sequence[Any]]) -> int:
        """Insert `rows` of `INSERT_COLUMNS` with consecutive ids, in order; return the last."""

    async def create_tasks(self, tasks: Sequence[NewTask], *, created_at: float) -> list[Task]:
        def create(conn: ConnT) -> list[Task]:
            rows = [insert_row(task, created_at=created_at) for task in tasks]
            with self._transaction(conn, write=True) as cur:
                last = self._insert(cur, rows)
                self._add_counts(cur, {TaskStatus.PENDING: len(rows)})
            ids = range(last - len(rows) + 1, last + 1)
            return [task_from_new(task, id=id_, created_at=created_at)
                    for task, id_ in zip(tasks, ids, strict=True)]

        if not tasks:
            await trio.lowlevel.checkpoint()
            return []
        return await self._writer.run(create)

    async def get_task(self, task_id: int) -> Task | None:
        def get(cur: CursorT) -> Task | None:
            cur.execute(self._q.get, [task_id])
            row = cur.fetchone()
            return None if row is None else task_from_row(row)

        return await self._read(get)

    async def list_tasks(self, where: TaskFilter, *, offset: int, limit: int,
                         newest_first: bool = True) -> tuple[list[Task], int]:
        page_sql, count_sql, params = select_page(self._dialect, where, newest_first=newest_first)

        def page(cur: CursorT) -> tuple[list[Task], int]:
            cur.execute(page_sql, [*params, limit, offset])
            tasks = [task_from_row(row) for row in cur.fetchall()]
            cur.execute(count_sql, params)
            return tasks, int(cur.fetchone()[0])

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
            cur.execute(self._q.pending, [int(TaskStatus.PENDING)])
            return [task_from_row(row) for row in cur.fetchall()]

        return await self._read(pending)

    async def mark_running(self, task_ids: Sequence[int], *,
                           started_at: float) -> list[Task]:
        def mark(cur: CursorT) -> list[Task]:
            cur.execute(self._q.mark_running, [int(TaskStatus.RUNNING), started_at,
                                               int(TaskStatus.PENDING), ids_json(task_ids)])
            tasks = sorted((task_from_row(row) for row in cur.fetchall()), key=_by_id)
            self._add_counts(cur, {TaskStatus.PENDING: -len(tasks),
                                   TaskStatus.RUNNING: len(tasks)})
            return tasks

        return await self._write(mark)

    async def finish_task(self, task_id: int, status: TaskStatus, *, remark: str,
                          finished_at: float,
                          result: Mapping[str, Any] | None = None) -> Task | None:
        def finish(cur: CursorT) -> Task | None:
            cur.execute(self._q.status_of, [task_id])
            row = cur.fetchone()
            if row is None or row[0] not in _UNFINISHED:
                return None
            cur.execute(self._q.finish, [int(status), remark, finished_at, result_json, task_id])
            task = task_from_row(cur.fetchone())
            self._add_counts(cur, {TaskStatus(row[0]): -1, status: 1})
            return task

        if status not in _FINAL:
            raise ValueError(f"a task finishes completed or failed, not {status.text}")
        result_json = to_json(result)
        return await self._write(finish)

    async def requeue_tasks(self, task_ids: Sequence[int] | None, *, due_at: float,
                            count_retry: bool) -> list[Task]:
        def requeue(cur: CursorT) -> list[Task]:
            params = [int(TaskStatus.PENDING), due_at, int(count_retry), int(TaskStatus.FAILED)]
            if task_ids is None:
                cur.execute(self._q.requeue_all, params)
            else:
                cur.execute(self._q.requeue, [*params, ids_json(task_ids)])
            tasks = sorted((task_from_row(row) for row in cur.fetchall()), key=_by_id)
            self._add_counts(cur, {TaskStatus.FAILED: -len(tasks), TaskStatus.PENDING: len(tasks)})
            return tasks

        return await self._write(requeue)

    async def delete_tasks(self, task_ids: Sequence[int]) -> list[int]:
        def delete(cur: CursorT) -> list[int]:
            cur.execute(self._q.delete, [ids_json(task_ids)])
            deleted = cur.fetchall()
            removed = dict.fromkeys(TaskStatus, 0)
            for _, status in deleted:
                removed[TaskStatus(status)] -= 1
            self._add_counts(cur, removed)
            return sorted(int(id_) for id_, _ in deleted)

        return await self._write(delete)

    async def fail_interrupted(self, *, remark: str, finished_at: float) -> list[Task]:
        def fail(cur: CursorT) -> list[Task]:
            cur.execute(self._q.fail_running,
                        [int(TaskStatus.FAILED), remark, finished_at, int(TaskStatus.RUNNING)])
            tasks = sorted((task_from_row(row) for row in cur.fetchall()), key=_by_id)
            self._add_counts(cur, {TaskStatus.RUNNING: -len(tasks), TaskStatus.FAILED: len(tasks)})
            return tasks

        return await self._write(fail)

    async def migrate(self) -> int:
        """Create or upgrade the schema (see `_schema`); return its version."""
        return await self._write(lambda cur: migrate(cur, self._dialect))

    async def aclose(self) -> None:
        await self._reader.aclose()
        await self._writer.aclose()

    def _add_counts(self, cur: CursorT, deltas: Mapping[TaskStatus, int]) -> None:
        for status, delta in deltas.items():
            if delta:
                cur.execute(self._q.add_count, [delta, int(status)])

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
async def open_sql_store(cls: Callable[[Worker[ConnT], Worker[ConnT], Dialect, StatsMirror],
                                       StoreT],
                         dialect: Dialect, *, connect_writer: Callable[[], ConnT],
                         connect_reader: Callable[[], ConnT]) -> AsyncIterator[StoreT]:
    """A `cls` store on its two lanes, its schema migrated before the read lane connects;
    the write lane keeps the stats mirror current after each commit."""
    stats = StatsMirror(Queries.for_dialect(dialect).counts)
    async with open_worker(connect_writer, after=stats.refresh) as writer:
        await cls(writer, writer, dialect, stats).migrate()
        async with open_worker(connect_reader) as reader:
            yield cls(writer, reader, dialect, stats)


def _by_id(task: Task) -> int:
    return task.id
