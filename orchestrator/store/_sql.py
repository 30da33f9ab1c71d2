"""The SQL both backends share: written once with `?` placeholders, adapted per dialect.

Only what really differs between SQLite and PostgreSQL lives in `Dialect`; every
statement text, and the mapping between a row and a `Task`, is common.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, Protocol, TypeVar

import attrs

from actors import NewTask, Task, TaskFilter, TaskSource, TaskStatus, Waiting

T = TypeVar("T")

TASK_COLUMNS = (
    "id", "serial", "username", "script_name", "script_config", "status", "source",
    "due_at", "started_at", "finished_at", "remark", "retry_count", "created_at",
    "request_id", "position", "min_interval", "max_interval", "result", "timeout",
    "schedule_id", "rotate_proxy",
)
INSERT_COLUMNS = (
    "serial", "username", "script_name", "script_config", "source", "due_at", "created_at",
    "request_id", "position", "min_interval", "max_interval", "timeout", "schedule_id",
    "rotate_proxy",
)
"""What a new task brings; the schema's defaults fill in the rest (pending, not yet run)."""
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_COLUMNS = ", ".join(TASK_COLUMNS)
_NEW_KEY = itemgetter(0, 2, 4)  # serial, script_name, source of an `insert_row`

#: The phones another host that is there (its name held) sees: it runs their tasks
#: (parameter: this host).
PHONES_ELSEWHERE = ("phones JOIN hosts USING (host_id) WHERE host_id <> ?"
                    " AND state <> 'absent'")

CountKey = tuple[str, str, str, int]
"""What `task_filter_counts` counts by: serial, script_name, source, status (its key's order)."""


class Cursor(Protocol):
    """The part of a DB-API cursor the shared code uses (sqlite3's and psycopg's)."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> object: ...
    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> object: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


@attrs.frozen(kw_only=True)
class Dialect:
    """What differs in the SQL text itself."""

    param: str
    """The placeholder: `?` (sqlite3) or `%s` (psycopg)."""
    id_column: str
    """DDL of an id that is unique and never reused, also after deletes."""
    bytes_column: str
    """DDL of a column of bytes."""
    ids_from_json: str
    """A subquery giving the ids of a JSON array parameter (no limit on its length)."""
    json_strings: str
    """A subquery giving the strings of the JSON array `{}` (a parameter or a column)."""
    starts_from_json: str
    """A subquery giving (task_id, start) of a JSON array parameter of [id, start] pairs."""
    waits_from_json: str
    """A subquery giving (task_id, due_at, remark) of a JSON array parameter of such
    arrays."""
    deltas_from_json: str
    """A subquery giving (serial, script_name, source, status, n) of a JSON array parameter
    of such arrays, in their order."""
    tasks_as_json: str
    """What turns a query of `TASK_COLUMNS` rows, appended, into one row: a JSON array of
    those rows, every REAL exact (empty: rows are fetched as they are). Python's sqlite3
    releases the GIL around each row it steps to, and takes it back after: with the event
    loop busy (the API under load), that wait, up to the switch interval per row, made
    the 31 ms write of a 1,000-task burst take 710 ms. Pages and claims read this way
    (`fetch_tasks`); the rare bulk ones (start-up's pending tasks, retries, recovery) row
    by row."""
    lock_row: str
    """What makes a SELECT lock the row it reads until the transaction ends."""
    claim_rows: str
    """What makes a SELECT lock the rows it reads and pass over those another transaction
    holds (a claim: two hosts never take the same task, and neither waits on the other)."""
    now: str
    """The database's clock, in Unix seconds: what every host's lease is measured by."""
    notify: str
    """A statement that tells the hosts listening of a change when the transaction commits
    (parameters: the channel, the payload; empty: one host only, nobody to tell)."""
    lock_schema: str
    """A statement that keeps two processes from migrating at once (empty: not needed)."""
    seen_from: str
    """A query of the address the database sees the connection come from (empty: it is
    not over a network)."""
    read_along: str
    """What makes a query read tasks along the list index of column `{}` (empty: the
    planner is left to choose, as PostgreSQL's has statistics to choose with)."""

    def sql(self, text: str) -> str:
        return text.replace("?", self.param)


_REAL_COLUMNS = frozenset({"due_at", "started_at", "finished_at", "created_at"})


def _exact_real(column: str) -> str:
    # SQLite writes a REAL in JSON with 15 digits; 17 give back the very same double.
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE printf('%!.17g', {column}) END"


SQLITE = Dialect(
    param="?",
    id_column="INTEGER PRIMARY KEY AUTOINCREMENT",
    bytes_column="BLOB",
    ids_from_json="SELECT value FROM json_each(?)",
    json_strings="SELECT value FROM json_each({})",
    starts_from_json="SELECT json_extract(value, '$[0]') AS task_id,"
                     " json_extract(value, '$[1]') AS start FROM json_each(?)",
    waits_from_json="SELECT json_extract(value, '$[0]') AS task_id, json_extract(value, '$[1]')"
                    " AS due_at, json_extract(value, '$[2]') AS remark FROM json_each(?)",
    deltas_from_json="SELECT " + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(5))
                     + " FROM json_each(?) WHERE true ORDER BY key",  # WHERE: see upsert docs
    tasks_as_json="SELECT json_group_array(json_array("
                  + ", ".join(_exact_real(c) if c in _REAL_COLUMNS else c for c in TASK_COLUMNS)
                  + ")) FROM ",
    # SQLite has one writer: BEGIN IMMEDIATE has already locked the whole database.
    lock_row="",
    claim_rows="",
    now="((julianday('now') - 2440587.5) * 86400.0)",
    notify="",
    lock_schema="",
    seen_from="",
    read_along=" INDEXED BY tasks_by_{}",
)
POSTGRES = Dialect(
    param="%s",
    id_column="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    bytes_column="BYTEA",
    ids_from_json="SELECT jsonb_array_elements_text(?::jsonb)::bigint",
    json_strings="SELECT jsonb_array_elements_text({}::jsonb)",
    starts_from_json="SELECT (pair ->> 0)::bigint AS task_id, (pair ->> 1)::float8 AS start"
                     " FROM jsonb_array_elements(?::jsonb) AS pair",
    waits_from_json="SELECT (w ->> 0)::bigint AS task_id, (w ->> 1)::float8 AS due_at,"
                    " w ->> 2 AS remark FROM jsonb_array_elements(?::jsonb) AS w",
    deltas_from_json="SELECT d ->> 0, d ->> 1, d ->> 2, (d ->> 3)::integer, (d ->> 4)::bigint"
                     " FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS x (d, i)"
                     " ORDER BY i",
    tasks_as_json="",  # psycopg fetches every row of a result at once
    lock_row=" FOR UPDATE",
    claim_rows=" FOR UPDATE SKIP LOCKED",
    now="extract(epoch FROM clock_timestamp())::float8",
    notify="SELECT pg_notify(?, ?)",
    lock_schema="SELECT pg_advisory_xact_lock(7363517342)",  # any fixed number of ours
    seen_from="SELECT host(inet_client_addr())",  # NULL over a Unix socket
    read_along="",
)


@attrs.frozen
class Queries:
    """Every fixed statement, in one dialect."""

    insert: str
    get: str
    pending: str
    status_of: str
    pending_among: str
    pending_here_among: str
    among: str
    claim: str
    mark_running: str
    finish: str
    requeue: str
    note_waiting: str
    requeue_all: str
    delete: str
    fail_running: str
    unstart_running: str
    counts: str
    add_count: str
    add_filter_counts: str
    add_log: str
    logs_of: str
    keep_screenshot: str
    forget_old_screenshots: str
    screenshot_of: str
    delete_logs: str
    delete_screenshots: str
    dead_hosts: str
    forget_host: str
    run_elsewhere: str

    @classmethod
    def for_dialect(cls, d: Dialect) -> Queries:
        returning = f" RETURNING {_COLUMNS}"
        requeue = ("UPDATE tasks SET status = ?, due_at = ?, retry_count = retry_count + ?,"
                   " started_at = NULL, finished_at = NULL, remark = ?, result = NULL"
                   " WHERE status = ?")
        return cls(
            insert=d.sql(f"INSERT INTO tasks ({', '.join(INSERT_COLUMNS)})"
                         f" VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"),
            get=d.sql(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?"),
            # not those of a phone another host that is there sees: that host runs them
            pending=d.sql(f"SELECT {_COLUMNS} FROM tasks WHERE status = ? AND serial NOT IN"
                          f" (SELECT serial FROM {PHONES_ELSEWHERE}) ORDER BY id"),
            status_of=d.sql(f"SELECT status, host_id FROM tasks WHERE id = ?{d.lock_row}"),
            # `+status`: not along the status index; SQLite would walk every pending
            # task and scan the JSON for each (1,000 of 3,000: 1.5 s instead of 6 ms).
            pending_among=d.sql(f"SELECT {_COLUMNS} FROM tasks WHERE id IN"
                                f" (SELECT task_id FROM ({d.starts_from_json}) AS s)"
                                f" AND +status = ?{d.lock_row}"),
            pending_here_among=d.sql(
                f"SELECT {_COLUMNS} FROM tasks WHERE id IN ({d.ids_from_json}) AND +status = ?"
                " AND serial IN (SELECT serial FROM phones WHERE host_id = ?"
                " AND state <> 'absent')"),
            among=d.sql(f"SELECT {_COLUMNS} FROM tasks WHERE id IN ({d.ids_from_json})"),
            claim=d.sql(f"SELECT {_COLUMNS} FROM tasks WHERE id IN"
                        f" (SELECT task_id FROM ({d.starts_from_json}) AS s)"
                        f" AND +status = ?{d.claim_rows}"),
            mark_running=d.sql("UPDATE tasks SET status = ?, started_at = s.start, remark = '',"
                               " host_id = ?"
                               f" FROM ({d.starts_from_json}) AS s"
                               " WHERE tasks.id = s.task_id AND +status = ?"),
            finish=d.sql("UPDATE tasks SET status = ?, remark = ?, finished_at = ?, result = ?,"
                         " started_at = CASE WHEN ? THEN started_at END WHERE id = ?"
                         + returning),
            note_waiting=d.sql("UPDATE tasks SET due_at = w.due_at, remark = w.remark"
                               f" FROM ({d.waits_from_json}) AS w"
                               " WHERE tasks.id = w.task_id AND +status = ?"),
            requeue_all=d.sql(requeue + returning),
            requeue=d.sql(f"{requeue} AND id IN ({d.ids_from_json}){returning}"),
            delete=d.sql(f"DELETE FROM tasks WHERE id IN ({d.ids_from_json})"
                         " RETURNING id, serial, script_name, source, status"),
            # of the host named by the last parameter (the one before: a task that no host
            # ran, from before hosts were named, counts as that host's too, or not)
            fail_running=d.sql("UPDATE tasks SET status = ?, remark = ?, finished_at = ?"
                               " WHERE status = ? AND coalesce(host_id, ?) = ?" + returning),
            unstart_running=d.sql("UPDATE tasks SET status = ?, started_at = NULL WHERE"
                                  " status = ? AND started_at > ? AND coalesce(host_id, ?) = ?"
                                  + returning),
            counts=d.sql("SELECT status, n FROM task_counts"),
            add_count=d.sql("UPDATE task_counts SET n = n + ? WHERE status = ?"),
            add_filter_counts=d.sql(
                "INSERT INTO task_filter_counts (serial, script_name, source, status, n)"
                f" {d.deltas_from_json} ON CONFLICT (serial, script_name, source, status)"
                " DO UPDATE SET n = task_filter_counts.n + excluded.n"),
            add_log=d.sql("INSERT INTO task_logs (task_id, finished_at, steps) VALUES (?, ?, ?)"),
            logs_of=d.sql("SELECT steps FROM task_logs WHERE task_id = ? ORDER BY finished_at"),
            keep_screenshot=d.sql(
                "INSERT INTO task_screenshots (task_id, taken_at, size, png) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (task_id) DO UPDATE SET taken_at = excluded.taken_at,"
                " size = excluded.size, png = excluded.png"),
            # the newest whose sizes add up to at most the parameter stay
            forget_old_screenshots=d.sql(
                "DELETE FROM task_screenshots WHERE taken_at <= (SELECT taken_at FROM"
                " (SELECT taken_at, sum(size) OVER (ORDER BY taken_at DESC) AS newer"
                " FROM task_screenshots) AS s WHERE newer > ? ORDER BY taken_at DESC LIMIT 1)"),
            screenshot_of=d.sql("SELECT png FROM task_screenshots WHERE task_id = ?"),
            delete_logs=d.sql(f"DELETE FROM task_logs WHERE task_id IN ({d.ids_from_json})"),
            delete_screenshots=d.sql(
                f"DELETE FROM task_screenshots WHERE task_id IN ({d.ids_from_json})"),
            dead_hosts=d.sql(f"SELECT host_id FROM hosts WHERE host_id <> ?"
                             f" AND beat_at < {d.now} - ?{d.claim_rows}"),
            forget_host=d.sql("DELETE FROM hosts WHERE host_id = ?"),
            run_elsewhere=d.sql(f"SELECT id, host_id FROM tasks WHERE id IN ({d.ids_from_json})"
                                " AND +status = ? AND host_id <> ?"),
        )


Terms = Sequence[tuple[str, Any]]
"""A `TaskFilter` as (column, value as stored) pairs, the unset filters left out."""


def filter_terms(where: TaskFilter) -> Terms:
    return [(name, value) for name, value in (
        ("status", None if where.status is None else int(where.status)),
        ("serial", where.serial),
        ("script_name", where.script_name),
        ("source", None if where.source is None else where.source.value),
    ) if value is not None]


def select_page(d: Dialect, terms: Terms, *, newest_first: bool,
                along: str | None = None) -> str:
    """The page of tasks matching `terms` (parameters: their values, then limit, offset).

    Each filter has an index on (column, id), so a page is an index range scan: along
    the index of column `along` if the dialect can say so, else the planner's choice.
    """
    hint = d.read_along.format(along) if along and d.read_along else ""
    order = "DESC" if newest_first else "ASC"
    return d.sql(f"SELECT {_COLUMNS} FROM tasks{hint}{_where(terms)}"
                 f" ORDER BY id {order} LIMIT ? OFFSET ?")


def select_count(d: Dialect, terms: Terms) -> str:
    """How many tasks match `terms` (parameters: their values), from the kept counts."""
    # Counting the matches among a million tasks takes 10-250 ms; summing kept counts well
    # under one. By status alone (or not at all): four rows of task_counts.
    table = ("task_counts" if all(name == "status" for name, _ in terms)
             else "task_filter_counts")
    return d.sql(f"SELECT coalesce(sum(n), 0) FROM {table}{_where(terms)}")


def _where(terms: Terms) -> str:
    return f" WHERE {' AND '.join(f'{name} = ?' for name, _ in terms)}" if terms else ""


def created_counts(rows: Iterable[Sequence[Any]]) -> Counter[CountKey]:
    """The count changes of inserting `rows` of `INSERT_COLUMNS`: all pending."""
    pending = int(TaskStatus.PENDING)
    return Counter({(*key, pending): n for key, n in Counter(map(_NEW_KEY, rows)).items()})


def moved_counts(tasks: Iterable[Task], *, before: TaskStatus) -> Counter[CountKey]:
    """The count changes of `tasks` having moved from `before` to their status now."""
    deltas: Counter[CountKey] = Counter()
    for task in tasks:
        deltas[count_key(task, before)] -= 1
        deltas[count_key(task, task.status)] += 1
    return deltas


def count_key(task: Task, status: TaskStatus) -> CountKey:
    return task.serial, task.script_name, task.source.value, int(status)


def to_json(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else _ENCODER.encode(value)


def ids_json(ids: Iterable[int]) -> str:
    return json.dumps([int(i) for i in ids])


def starts_json(starts: Mapping[int, float]) -> str:
    """`starts` as the JSON array of [task id, start] pairs `starts_from_json` reads."""
    return json.dumps([[int(task_id), float(start)] for task_id, start in starts.items()])


def waits_json(waits: Mapping[int, Waiting]) -> str:
    """`waits` as the JSON array of [task id, due_at, remark] `waits_from_json` reads."""
    return json.dumps([[int(task_id), float(wait.due_at), wait.remark]
                       for task_id, wait in sorted(waits.items())], ensure_ascii=False)


def insert_row(new: NewTask, *, created_at: float) -> tuple[Any, ...]:
    """The `INSERT_COLUMNS` values of a new task."""
    return (new.serial, new.username, new.script_name, _ENCODER.encode(new.script_config),
            new.source.value, new.due_at, created_at, new.request_id, new.position,
            new.min_interval, new.max_interval, new.timeout, new.schedule_id,
            int(new.rotate_proxy))


def fetch_tasks(cur: Cursor, d: Dialect, sql: str, params: Sequence[Any]) -> list[Task]:
    """The tasks the query `sql` of `TASK_COLUMNS` rows finds, in no promised order."""
    if not d.tasks_as_json:
        cur.execute(sql, params)
        return [task_from_row(row) for row in cur.fetchall()]
    cur.execute(f"{d.tasks_as_json}({sql})", params)
    return [task_from_row(row) for row in json.loads(cur.fetchone()[0])]


def task_from_row(row: Sequence[Any]) -> Task:
    """A `Task` from a row of `TASK_COLUMNS`, in that order."""
    (id_, serial, username, script_name, script_config, status, source, due_at, started_at,
     finished_at, remark, retry_count, created_at, request_id, position, min_interval,
     max_interval, result, timeout, schedule_id, rotate_proxy) = row
    return Task(
        id=id_, serial=serial, username=username, script_name=script_name,
        script_config=json.loads(script_config), status=TaskStatus(status),
        source=TaskSource(source), due_at=float(due_at), started_at=_time(started_at),
        finished_at=_time(finished_at), remark=remark, retry_count=retry_count,
        created_at=float(created_at), request_id=request_id, position=position,
        min_interval=min_interval, max_interval=max_interval,
        result=None if result is None else json.loads(result), timeout=timeout,
        schedule_id=schedule_id, rotate_proxy=bool(rotate_proxy),
    )


def _time(value: float | str | None) -> float | None:
    # SQLite stores a whole REAL as an integer, and RETURNING hands it back as one;
    # `tasks_as_json` hands it as text.
    return None if value is None else float(value)


def task_from_new(new: NewTask, *, id: int, created_at: float) -> Task:
    """The `Task` a freshly inserted `new` became, without reading it back."""
    return Task(
        id=id, serial=new.serial, username=new.username, script_name=new.script_name,
        script_config=new.script_config, status=TaskStatus.PENDING, source=new.source,
        due_at=new.due_at, started_at=None, finished_at=None, remark="", retry_count=0,
        created_at=created_at, request_id=new.request_id, position=new.position,
        min_interval=new.min_interval, max_interval=new.max_interval, timeout=new.timeout,
        schedule_id=new.schedule_id, rotate_proxy=new.rotate_proxy,
    )


class Lane(Protocol):
    """One of the store's lanes: runs `fn` in one transaction, on the lane's thread, and
    returns what `fn` returns (raises what it raises)."""

    async def __call__(self, fn: Callable[[Cursor], T], /) -> T: ...
