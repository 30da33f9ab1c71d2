"""Dispatch, timing and the peers at tiny sizes, so the benchmarks cannot rot. No figure is
judged. The Celery parts need Redis at 127.0.0.1:6379 and are skipped, saying so, without."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bench import dispatch, peers_celery, timing

# CI starts Redis, so there its absence fails the test instead of skipping it.
celery_skip = pytest.mark.skipif(not peers_celery.redis_up() and not os.environ.get("CI"),
                                 reason="Celery peer needs Redis at 127.0.0.1:6379")


def test_dispatch_benchmark_runs(tmp_path: Path) -> None:
    """Two phones, a dozen tasks: ours completes them all, one task per phone at a time."""
    out = tmp_path / "dispatch.json"
    assert dispatch.main(["--phones", "2", "--tasks", "12", "--ceiling-seconds", "0.2",
                          "--no-celery", "--out", str(out)]) == 0
    [run] = json.loads(out.read_text())["runs"]
    assert run["ours"]["tasks"] == 12
    assert run["ours"]["failed"] == 0
    assert run["ours"]["one_task_per_phone"]
    assert run["ours"]["tasks_per_s"] > 0
    assert run["adbutils_ceiling_per_s"] > 0


@celery_skip
def test_dispatch_benchmark_runs_celery(tmp_path: Path) -> None:
    """The Celery peer drains its per-phone queues."""
    out = tmp_path / "dispatch.json"
    assert dispatch.main(["--phones", "2", "--tasks", "4", "--celery-tasks", "4",
                          "--ceiling-seconds", "0.2", "--out", str(out)]) == 0
    [run] = json.loads(out.read_text())["runs"]
    assert run["celery"]["completed"] == 4
    assert run["celery_threads"]["completed"] == 4


def test_timing_benchmark_runs(tmp_path: Path) -> None:
    """A few spread tasks and a small burst: every task's lateness is there, none early.
    (The API load needs wrk; without it the run says "none".)"""
    out = tmp_path / "timing.json"
    args = ["--phones", "3", "--tasks", "9", "--burst", "3", "--window", "0.5",
            "--out", str(out)]
    assert timing.main(args) == 0
    report = json.loads(out.read_text())
    assert report["ours"]["spread"]["count"] == 9
    assert report["ours"]["burst"]["count"] == 3
    assert report["ours"]["spread"]["early"] == report["ours"]["burst"]["early"] == 0
    if shutil.which("wrk"):
        assert report["ours"]["api_load"]["stats"]["requests"] > 0
    assert report["apscheduler"]["burst"]["count"] == 3
    if peers_celery.redis_up():
        assert report["celery_eta"]["burst"]["count"] == 3
        assert report["celery_eta"]["completed"] == 12
        assert report["celery_eta"]["failed"] == 0


@pytest.mark.usefixtures("chromium")
def test_timing_benchmark_runs_with_the_console_open(tmp_path: Path) -> None:
    """The same moments again with the console open in Chromium on the phones' tiles:
    the tiles' screens were served meanwhile, and the browser's CPU measured."""
    out = tmp_path / "timing.json"
    args = ["--phones", "3", "--tasks", "9", "--burst", "3", "--window", "1",
            "--console-too", "3", "--no-load", "--no-peers", "--out", str(out)]
    assert timing.main(args) == 0
    report = json.loads(out.read_text())
    opened = report["ours_console_open"]
    assert opened["spread"]["count"] == 9
    assert opened["burst"]["count"] == 3
    assert opened["console"]["tiles_in_view"] == 3
    assert opened["console"]["screens"] > 0
    assert set(report["console_p99_over_without"]) == {"spread", "burst"}


def test_timing_benchmark_runs_with_an_api_process(tmp_path: Path) -> None:
    """The same with the API in a process of its own, which answers the loaded reads."""
    out = tmp_path / "timing.json"
    args = ["--phones", "3", "--tasks", "9", "--burst", "3", "--window", "1",
            "--api-processes", "1", "--no-peers", "--out", str(out)]
    assert timing.main(args) == 0
    report = json.loads(out.read_text())
    assert report["api_processes"] == 1
    assert report["ours"]["spread"]["count"] == 9
    assert report["ours"]["burst"]["count"] == 3
    assert report["ours"]["spread"]["early"] == report["ours"]["burst"]["early"] == 0
    if shutil.which("wrk"):
        loaded = report["ours"]["api_load"]
        assert all(run["requests"] > 0 and run["non_2xx"] == 0 for run in loaded.values())


def test_timing_benchmark_runs_over_several_adb_servers(tmp_path: Path) -> None:
    """Phones split over two simulators, one ADB server each: every task ran, on its
    phone's server; the peers, which drive one server, are left out and say so."""
    out = tmp_path / "timing.json"
    args = ["--phones", "4", "--adb-servers", "2", "--tasks", "8", "--burst", "4",
            "--window", "0.5", "--no-load", "--out", str(out)]
    assert timing.main(args) == 0
    report = json.loads(out.read_text())
    assert report["adb_servers"] == 2
    assert (report["ours"]["spread"]["count"], report["ours"]["burst"]["count"]) == (8, 4)
    assert (report["ours"]["failed"], report["ours"]["one_task_per_phone"]) == (0, True)
    assert report["apscheduler"] == "skipped: they drive one ADB server"
