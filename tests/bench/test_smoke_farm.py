"""The farm benchmark at a tiny size, so that it cannot rot: one host and three on the test
database, a kill -9 of one. No figure is judged but the benchmark's own checks."""

from __future__ import annotations

import json
from pathlib import Path

from bench import farm
from tests.conftest import PG_DSN


def test_farm_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "farm.json"
    assert farm.main(["--dsn", PG_DSN, "--phones", "6", "--idle", "3", "--kills", "1",
                      "--out", str(out)]) == 0
    figures = json.loads(out.read_text())
    for label in ("one_host", "hosts"):
        assert figures[label]["burst"]["tasks"] == 6
        assert figures[label]["burst"]["failed"] == 0
        assert figures[label]["burst"]["db_messages_per_task"] > 0
        assert figures[label]["burst"]["dispatched_per_s"] > 0
    [noticed] = figures["hosts"]["dead_host_noticed_s"]
    assert noticed > 0
