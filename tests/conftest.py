"""Test-wide guards (no test may start a stray adb server on 5037), the browser the
console's tests drive, and a PostgreSQL database of a test's own."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import psycopg
import pytest

PG_DSN = os.environ.get("ORCHESTRATOR_TEST_POSTGRES", "host=127.0.0.1 dbname=test user=postgres")

# adbutils runs `adb start-server` when it cannot reach its server. Point it at a
# binary that always fails, so a wrong port is an error, never a server on 5037.
os.environ["ADBUTILS_ADB_PATH"] = "/bin/false"
os.environ.pop("ANDROID_ADB_SERVER_PORT", None)


@pytest.fixture
def chromium() -> str:
    """Debian's chromium: skipped where it is not installed, but a failure under CI,
    which installs it (`.ci/run`)."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium: `.ci/run` installs Debian's")
        pytest.skip("no chromium to drive the console in (`apt-get install chromium`)")
    return found


def _run_pg(sql: str) -> None:
    with psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A DSN of the test server whose tables are a schema of this test's own, dropped at
    its end: skipped where no server answers, but a failure under CI, which starts one.
    (Not async: a parametrized fixture asks for it by name, which an async one is not.)"""
    schema = f"test_store_{uuid.uuid4().hex[:12]}"
    try:
        _run_pg(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):  # CI starts PostgreSQL: its absence there is a failure
            raise
        pytest.skip(f"no PostgreSQL at {PG_DSN!r}: {exc}")
    try:
        yield f"{PG_DSN} options='-c search_path={schema}'"
    finally:
        _run_pg(f"DROP SCHEMA {schema} CASCADE")
