"""The API, creation and scale benchmarks, at tiny sizes, so they cannot rot.

No figures are judged: every one is there and sane. The API benchmark needs wrk
(`apt-get install wrk`); without it that one test is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench import api, creation, scale


# CI installs wrk, so there its absence fails the test instead of skipping it.
@pytest.mark.skipif(shutil.which("wrk") is None and not os.environ.get("CI"),
                    reason="needs wrk (apt-get install wrk)")
def test_api_benchmark_runs(tmp_path: Path) -> None:
    """2,000 tasks in the store, one second per load run: every figure is there."""
    out = tmp_path / "api.json"
    assert api.main(["--tasks", "2000", "--seconds", "1", "--connections", "4",
                     "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["stats"]["req_per_s"] > 0
    assert report["stats"]["errors"] == 0
    assert report["stats_ratio_to_bare"] > 0
    assert set(report["list"]) == set(api.PAGES)
    assert all(run["one_client"]["p99_ms"] > 0 for run in report["list"].values())
    assert report["create_one"]["non_2xx"] == 0
    assert report["tasks_after"] > 2000


def test_creation_benchmark_runs(tmp_path: Path) -> None:
    """10 serials x 10 targets, once: 100 tasks written and counted."""
    out = tmp_path / "creation.json"
    assert creation.main(["--serials", "10", "--targets", "10", "--repeat", "1",
                          "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["tasks_per_request"] == 100
    [run] = report["runs"]
    assert run["tasks_per_s"] > 0


def test_scale_benchmark_runs(tmp_path: Path) -> None:
    """3 phones, a second idle: memory and CPU figures are there."""
    out = tmp_path / "scale.json"
    assert scale.main(["--phones", "3", "--idle-phones", "3", "--idle-seconds", "1",
                       "--settle", "0.2", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    [run] = report["runs"]
    assert run["phones"] == 3
    assert run["rss_kib"] > 0
    assert run["idle"]["cpu_s"] >= 0
    assert "3" in report["kib_per_actor"]
