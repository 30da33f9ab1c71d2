"""`orchestrator serve --api-processes` as a user runs it: a real process tree."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

DEADLINE = 30.0


def _wait_for(pattern: str, core: subprocess.Popen[str]) -> re.Match[str]:
    """The first line of the core's log (or its API process's) that matches `pattern`."""
    assert core.stderr is not None
    for line in core.stderr:
        if found := re.search(pattern, line):
            return found
    raise AssertionError(f"the log ended without {pattern!r}")


def _port_closes(port: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/task/stats", timeout=1)
        except httpx.ConnectError:
            return
        assert time.monotonic() < deadline, "an API process outlived its core"
        time.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_api_processes_end_with_the_core(tmp_path: Path, how: signal.Signals) -> None:
    """Stopped (SIGTERM, as systemd stops it: a clean exit that leaves no Unix socket
    behind) or killed outright (no clean-up of its own), the core takes its API process
    along and the port closes, instead of reads being answered for a core that is gone."""
    with subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "serve", "--simulate", "1", "--port", "0",
             "--api-processes", "1", "--data-dir", str(tmp_path)],
            stderr=subprocess.PIPE, text=True) as core:
        private = tmp_path / "none yet"
        try:
            port = int(_wait_for(r"task API on http://127\.0\.0\.1:(\d+)/", core)[1])
            private = Path(_wait_for(r"the core is at (\S+)/core\.sock", core)[1])
            stats = httpx.get(f"http://127.0.0.1:{port}/api/v1/task/stats", timeout=DEADLINE)
            assert stats.json()["code"] == 0
            core.send_signal(how)
            code = core.wait(DEADLINE)
            _port_closes(port)
            if how == signal.SIGTERM:
                assert code == 0
                assert not private.exists()
        finally:
            core.kill()  # at once, if the test failed half-way
            shutil.rmtree(private, ignore_errors=True)  # a killed core leaves it
