"""The schema, as an ordered list of migrations the program applies itself.

A database records how many migrations it has had in `schema_version`; opening it
applies the rest, all in the opening transaction, so an upgrade happens whole or not
at all. Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from actors import TaskStatus

from ._sql import Cursor, Dialect

Migration = Callable[[Dialect], Sequence[str]]


def _tasks(d: Dialect) -> Sequence[str]:
    return [f"""CREATE TABLE tasks (
        id {d.id_column},
        serial TEXT NOT NULL,
        username TEXT,
        script_name TEXT NOT NULL,
        script_config TEXT NOT NULL,
        status INTEGER NOT NULL DEFAULT 0,  -- pending
        source TEXT NOT NULL,
        due_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        finished_at DOUBLE PRECISION,
        remark TEXT NOT NULL DEFAULT '',
        retry_count INTEGER NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL,
        request_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        min_interval INTEGER NOT NULL,
        max_interval INTEGER NOT NULL,
        result TEXT
    )"""]


def _list_indexes(d: Dialect) -> Sequence[str]:
    """One per `GET /task` filter, on (column, id): a filtered page, newest first, is a range
    scan read backwards (as cheap as forwards in both engines). Ascending, not `id DESC`,
    because new ids then land at the right edge of their group: PostgreSQL inserts 15%
    faster so (measured), SQLite the same."""
    return [f"CREATE INDEX tasks_by_{column} ON tasks ({column}, id)"
            for column in ("status", "serial", "script_name", "source")]


def _counts(d: Dialect) -> Sequence[str]:
    """Per-status counts kept by every write, so stats cost nothing at millions of tasks."""
    return [
        "CREATE TABLE task_counts (status INTEGER PRIMARY KEY, n BIGINT NOT NULL)",
        *(f"INSERT INTO task_counts (status, n)"
          f" SELECT {s:d}, count(*) FROM tasks WHERE status = {s:d}" for s in TaskStatus),
    ]


def _accounts(d: Dialect) -> Sequence[str]:
    """The phones' app accounts. A username is unique per platform, whatever its case
    (usernames are ASCII, so both engines' `lower` agree with Python's)."""
    return [
        f"""CREATE TABLE accounts (
            id {d.id_column},
            username TEXT NOT NULL,
            email TEXT NOT NULL,
            password TEXT NOT NULL,
            platform TEXT NOT NULL,
            packagename TEXT NOT NULL,
            device TEXT,
            logined INTEGER NOT NULL,
            status INTEGER NOT NULL,
            tags TEXT NOT NULL,  -- a JSON array of strings
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE UNIQUE INDEX accounts_by_name ON accounts (platform, lower(username))",
        "CREATE INDEX accounts_by_device ON accounts (device, id)",
    ]


def _filter_counts(d: Dialect) -> Sequence[str]:
    """Counts per (serial, script_name, source, status), kept by every write like
    task_counts, so the total of any `GET /task` filter is a sum over few rows: those of
    one serial (the key's prefix), one script_name or one source (an index each, holding
    `n`, so the sum never reads the table). The source index has serial next: without it
    SQLite, lacking statistics, sums serial+source over all of one source's rows.

    A count that drops to 0 keeps its row: the same keys come back all the time (a phone's
    pending count goes 0, 1, 0 ...), an update is cheaper than a delete and an insert, and
    the rows are bounded by the combinations ever seen (thousands, not millions). Deleting
    them is safe at any time."""
    return [
        """CREATE TABLE task_filter_counts (
            serial TEXT NOT NULL,
            script_name TEXT NOT NULL,
            source TEXT NOT NULL,
            status INTEGER NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (serial, script_name, source, status)
        )""",
        "CREATE INDEX task_filter_counts_by_script_name"
        " ON task_filter_counts (script_name, source, status, n)",
        "CREATE INDEX task_filter_counts_by_source"
        " ON task_filter_counts (source, serial, status, n)",
        "INSERT INTO task_filter_counts (serial, script_name, source, status, n)"
        " SELECT serial, script_name, source, status, count(*) FROM tasks"
        " GROUP BY serial, script_name, source, status",
    ]


def _idempotency_keys(d: Dialect) -> Sequence[str]:
    """The first answers to API requests that carried an `Idempotency-Key`, by route and
    key; by age too, so that forgetting the expired ones is a range delete."""
    return [
        """CREATE TABLE idempotency_keys (
            route TEXT NOT NULL,  -- method and rule: "POST /api/v1/task"
            client_key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,  -- SHA-256 of what the request carried
            status INTEGER NOT NULL,  -- of the HTTP answer
            answer TEXT NOT NULL,  -- its body, the envelope's JSON
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (route, client_key)
        )""",
        "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
    ]


def _task_records(d: Dialect) -> Sequence[str]:
    """What each run of a task did (its steps, as a JSON array of [at, level, message]),
    and the screen its last failure left (PNG); both go with their task."""
    return [
        """CREATE TABLE task_logs (
            task_id BIGINT NOT NULL,
            finished_at DOUBLE PRECISION NOT NULL,
            steps TEXT NOT NULL
        )""",
        "CREATE INDEX task_logs_by_task ON task_logs (task_id, finished_at)",
        f"""CREATE TABLE task_screenshots (
            task_id BIGINT PRIMARY KEY,
            taken_at DOUBLE PRECISION NOT NULL,
            size BIGINT NOT NULL,  -- of png, kept so the bound on them all reads no blob
            png {d.bytes_column} NOT NULL
        )""",
        "CREATE INDEX task_screenshots_by_age ON task_screenshots (taken_at)",
    ]


def _groups(d: Dialect) -> Sequence[str]:
    """Named sets of phones (`orchestrator.groups`); a name is unique whatever its case."""
    return [
        f"""CREATE TABLE device_groups (
            id {d.id_column},
            name TEXT NOT NULL,
            serials TEXT NOT NULL,  -- a JSON array of strings, in the order given
            description TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE UNIQUE INDEX device_groups_by_name ON device_groups (lower(name))",
    ]


def _task_options(d: Dialect) -> Sequence[str]:
    """What a task may carry besides its script: a bound on its run (seconds), the
    schedule that made it, and whether its phone's proxy is rotated before it runs."""
    return ["ALTER TABLE tasks ADD COLUMN timeout INTEGER",
            "ALTER TABLE tasks ADD COLUMN schedule_id BIGINT",
            "ALTER TABLE tasks ADD COLUMN rotate_proxy INTEGER NOT NULL DEFAULT 0"]


def _schedules(d: Dialect) -> Sequence[str]:
    """Requests made again at set times of the week (`actors.Schedule`); a name is unique
    whatever its case."""
    return [
        f"""CREATE TABLE schedules (
            id {d.id_column},
            name TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            weekdays TEXT NOT NULL,  -- JSON arrays: of 1 (Monday) to 7,
            times TEXT NOT NULL,  -- of "HH:MM",
            serials TEXT NOT NULL,  -- of serials,
            groups TEXT NOT NULL,  -- of group names
            script_name TEXT NOT NULL,
            script_config TEXT NOT NULL,
            min_interval INTEGER NOT NULL,
            max_interval INTEGER NOT NULL,
            timeout INTEGER,
            rotate_proxy INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            next_run_at DOUBLE PRECISION,
            last_run_at DOUBLE PRECISION,
            last_outcome TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE UNIQUE INDEX schedules_by_name ON schedules (lower(name))",
    ]


def _proxies(d: Dialect) -> Sequence[str]:
    """Each phone's proxy rotation (`actors.ProxyRotation`), by serial: a setting of the
    phone, kept whether it is connected or not."""
    return ["""CREATE TABLE device_proxies (
        serial TEXT PRIMARY KEY,
        rotation_url TEXT NOT NULL,
        method TEXT NOT NULL,
        headers TEXT NOT NULL,  -- a JSON object of strings
        body TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )"""]


def _farm(d: Dialect) -> Sequence[str]:
    """Several hosts on one database: each host's lease (its last beat, by the database's
    clock), where each phone was last seen, and which host runs a running task."""
    return [
        """CREATE TABLE hosts (
            host_id TEXT PRIMARY KEY,
            instance TEXT NOT NULL,  -- the process holding the name: machine and pid
            started_at DOUBLE PRECISION NOT NULL,
            beat_at DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE phones (
            serial TEXT PRIMARY KEY,
            host_id TEXT NOT NULL,  -- the host that sees it, or saw it last
            state TEXT NOT NULL,  -- as that host's ADB server says (absent: gone from it)
            model TEXT NOT NULL,
            changed_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX phones_by_host ON phones (host_id, serial)",
        "ALTER TABLE tasks ADD COLUMN host_id TEXT",
    ]


def _host_apis(d: Dialect) -> Sequence[str]:
    """Where each host's API answers (its root URL; '' until it listens): any host asked
    about another's phone passes the request on to it."""
    return ["ALTER TABLE hosts ADD COLUMN api_url TEXT NOT NULL DEFAULT ''"]


MIGRATIONS: Sequence[Migration] = (_tasks, _list_indexes, _counts, _accounts, _filter_counts,
                                   _idempotency_keys, _task_records, _groups, _task_options,
                                   _schedules, _proxies, _farm, _host_apis)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer version of this program."""


def migrate(cur: Cursor, d: Dialect, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema up to `migrations`, inside the caller's transaction; return its version."""
    if d.lock_schema:
        cur.execute(d.lock_schema)
    cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    cur.execute("SELECT version FROM schema_version")
    row = cur.fetchone()
    if row is None:
        cur.execute("INSERT INTO schema_version (version) VALUES (0)")
    version = 0 if row is None else int(row[0])
    if version > len(migrations):
        raise SchemaTooNew(f"the database has schema version {version}, this program knows"
                           f" {len(migrations)}: run a newer version")
    for migration in migrations[version:]:
        for statement in migration(d):
            cur.execute(statement)
    cur.execute(d.sql("UPDATE schema_version SET version = ?"), [len(migrations)])
    return len(migrations)
