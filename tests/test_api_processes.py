"""`orchestrator serve --api-processes` as a user runs it: a real process tree."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

DEADLINE = 30.0


def test_api_processes_end_with_the_core_however_it_ends(tmp_path: Path) -> None:
    """The core killed outright (no clean-up of its own): its API process ends too and
    the port closes, instead of answering reads for a core that is gone."""
    with subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "serve", "--simulate", "1", "--port", "0",
             "--api-processes", "1", "--data-dir", str(tmp_path)],
            stderr=subprocess.PIPE, text=True) as core:
        try:
            assert core.stderr is not None
            port = None
            for line in core.stderr:
                if found := re.search(r"task API on http://127\.0\.0\.1:(\d+)/", line):
                    port = int(found[1])
                    break
            assert port is not None, "the core never said where the API is"
            stats = httpx.get(f"http://127.0.0.1:{port}/api/v1/task/stats", timeout=DEADLINE)
            assert stats.json()["code"] == 0
            core.send_signal(signal.SIGKILL)
            core.wait(DEADLINE)
            deadline = time.monotonic() + DEADLINE
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/api/v1/task/stats", timeout=1)
                except httpx.ConnectError:
                    break
                assert time.monotonic() < deadline, "the API process outlived its core"
                time.sleep(0.05)
        finally:
            core.kill()  # at once, if the test failed half-way
