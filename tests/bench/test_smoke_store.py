"""The store benchmark at a tiny size, on SQLite and on PostgreSQL, so it cannot rot.

No timing is judged; the counts are: the fill's spread, and each page's total against a
`count(*)` and against the fill's own round-robin. PostgreSQL is reached as the store's
tests reach it ($ORCHESTRATOR_TEST_POSTGRES); without a server that run is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest

from bench import _fill, store

PG_DSN = os.environ.get("ORCHESTRATOR_TEST_POSTGRES", store.PG_DSN)
TASKS = 2000


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> list[str]:
    """The benchmark's arguments that pick the engine."""
    if request.param == "sqlite":
        return []
    try:
        psycopg.connect(PG_DSN, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):  # CI starts PostgreSQL: its absence there is a failure
            raise
        pytest.skip(f"no PostgreSQL at {PG_DSN!r}: {exc}")
    return ["--postgres", PG_DSN]


def test_store_benchmark_runs(tmp_path: Path, engine: list[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 tasks in batches of 700 (the last one short): every count is right."""
    monkeypatch.setattr(_fill, "BATCH", 700)
    out = tmp_path / "store.json"
    assert store.main(["--tasks", str(TASKS), *engine, "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["engine"] == ("postgres" if engine else "sqlite")
    assert len(report["fill"]["batch_wall_s"]) == len(report["fill"]["batch_cpu_s"]) == 3
    # 1% pending, 59% completed, 40% failed, and the kept counts counted again.
    assert report["stats"] == {"total": TASKS, "pending": 20, "running": 0,
                               "completed": 1180, "failed": 800}
    assert report["task_stats"]["count"] == store.REPEAT

    pages = report["list_page_3"]
    assert set(pages) == set(store.PAGES)
    for run in pages.values():
        assert run["total"] == run["counted"]
        assert run["rows"] == min(store.LIMIT, max(0, run["total"] - store.OFFSET))
        assert run["count"] == store.REPEAT
        assert 0 < run["p50_ms"] <= run["p99_ms"]
    tasks = range(TASKS)  # task i: phone i % 1000, script i % 3, by UI when i % 4 == 0
    assert pages["status"]["total"] == 800
    assert pages["serial"]["total"] == sum(i % 1000 == 7 for i in tasks) == 2
    assert pages["serial+status"]["filter"] == {"serial": store.SERIAL, "status": 3}
    assert pages["serial+status"]["total"] == 2  # ids 8 and 1008 both failed
    assert pages["script_name"]["total"] == sum(i % 3 == 2 for i in tasks)
    assert pages["script_name+source"]["total"] == sum(i % 3 == 2 and i % 4 != 0 for i in tasks)
