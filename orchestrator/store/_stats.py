"""The per-status counts as of the last commit, kept in memory for `task_stats`.

`GET /task/stats` is the API's hottest read. Its answer is four rows of `task_counts`,
but fetching them through the read lane costs a hop to a thread and back (and a wait for
the GIL) for microseconds of SQL: half the route's throughput. The write lane already
sees every change, so after each of its commits it re-reads those rows, on its own
thread, and publishes them here before its callers are told the write returned: a
stats read sees every write that returned before it, as a read from the lane would.

This holds for the writes of this process. Where several hosts share a PostgreSQL
database, a change another host makes unsets the mirror when this host hears of it
(`SqlTaskStore.heard_of_changes`), until its next write of its own reads the table again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from actors import TaskStats, TaskStatus

from ._worker import Closable

__all__ = ["Executes", "StatsMirror", "stats_of"]

log = logging.getLogger(__name__)


class _Rows(Protocol):
    def fetchall(self) -> list[Any]: ...


class Executes(Closable, Protocol):
    """A connection that runs SQL outside a transaction of ours (sqlite3's and psycopg's)."""

    def execute(self, sql: str, /) -> _Rows: ...


def stats_of(rows: Sequence[Sequence[Any]]) -> TaskStats:
    """The stats from `(status, n)` rows of the kept counts."""
    counts = {TaskStatus(status): int(n) for status, n in rows}
    return TaskStats(total=sum(counts.values()),
                     **{status.text: counts.get(status, 0) for status in TaskStatus})


class StatsMirror:
    """What `query` (the kept counts) returned after the last commit; None if unknown."""

    def __init__(self, query: str) -> None:
        self._query = query
        self.stats: TaskStats | None = None

    def refresh(self, conn: Executes) -> None:
        """Re-read the counts (on the write lane's thread, after a commit)."""
        try:
            self.stats = stats_of(conn.execute(self._query).fetchall())
        except Exception:  # e.g. before the schema exists: readers fall back to the table
            self.stats = None
            log.debug("the kept counts could not be read", exc_info=True)
