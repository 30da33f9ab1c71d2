"""`orchestrator serve` as a user starts it: what it refuses, how it fails to start, what it
leaves on disk, and an API process behind a token. Real processes, OS-picked ports."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .test_api_processes import DEADLINE, _wait_for

TOKEN = "s3cret-token-of-the-farm"


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "orchestrator", "serve", *args],
                          capture_output=True, text=True, timeout=DEADLINE,
                          env={**os.environ, **(env or {})}, check=False)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        yield taken.getsockname()[1]


def test_a_wider_host_needs_a_token(tmp_path: Path) -> None:
    """Status 2 and one line saying how to set a token; nothing is started."""
    done = _serve("--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--token" in done.stderr
    assert "ORCHESTRATOR_TOKEN" in done.stderr
    assert not (tmp_path / "d").exists()


def test_a_token_no_header_can_carry_is_refused(tmp_path: Path) -> None:
    done = _serve("--port", "0", "--data-dir", str(tmp_path), env={
        "ORCHESTRATOR_TOKEN": "zwei wörter"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "orchestrator: the token must be printable ASCII without spaces (it travels in the "
        "header `Authorization: Bearer <token>`)"]


def test_a_busy_port_is_one_line(tmp_path: Path, busy_port: int) -> None:
    done = _serve("--port", str(busy_port), "--data-dir", str(tmp_path), "--simulate", "1")
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last == f"orchestrator: cannot listen on 127.0.0.1 port {busy_port}: " \
                   "address already in use"
    assert "Traceback" not in done.stderr


def test_the_traceback_only_at_debug(tmp_path: Path, busy_port: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "--log-level", "DEBUG", "serve", "--port",
         str(busy_port), "--data-dir", str(tmp_path), "--simulate", "1"],
        capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("orchestrator: cannot listen on")


def test_an_unreachable_database_is_one_line(tmp_path: Path, busy_port: int) -> None:
    """PostgreSQL refusing connections (a port where none listens), its DSN's password
    never printed."""
    with socket.create_server(("127.0.0.1", 0)) as free:
        port = free.getsockname()[1]
    done = _serve("--postgres", f"host=127.0.0.1 port={port} dbname=farm password=pw-secret",
                  "--port", "0", "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        "orchestrator: cannot open the database (PostgreSQL): connection failed")
    assert "pw-secret" not in done.stderr


def test_an_unusable_data_folder_is_one_line(tmp_path: Path) -> None:
    """A data folder that cannot be made (a file stands where it should be)."""
    (tmp_path / "file").write_text("")
    done = _serve("--port", "0", "--data-dir", str(tmp_path / "file" / "data"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"orchestrator: cannot use the data folder {tmp_path / 'file' / 'data'}: "
        f"not a directory ({tmp_path / 'file' / 'data'})"]


def test_a_full_disk_at_start_is_one_line(tmp_path: Path) -> None:
    """The data folder on a disk of 64 KiB, too small for the database: `serve` runs in
    a mount namespace of its own (`unshare`, as any user) with a tmpfs that size there."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c",
         'mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"', str(disk),
         sys.executable, "-m", "orchestrator", "serve", "--simulate", "1", "--port", "0",
         "--data-dir", str(disk / "data")],
        capture_output=True, text=True, timeout=DEADLINE, check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"orchestrator: cannot open the database ({disk / 'data' / 'orchestrator.db'}): "
        "database or disk is full")
    assert "Traceback" not in done.stderr


def test_token_through_an_api_process(tmp_path: Path) -> None:
    """Bound to every address with the token from the environment: the API process
    (reads) and the core (forwarded changes) both want it; neither the log nor any
    process's command line shows the token, also with the access log on (whose lines
    both processes write); in a data folder of the user's, open to others, the
    database and the materials are the owner's only."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    with subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "serve", "--simulate", "1", "--host",
             "0.0.0.0", "--port", "0", "--api-processes", "1", "--data-dir", str(data),
             "--access-log"],
            stderr=subprocess.PIPE, text=True,
            env={**os.environ, "ORCHESTRATOR_TOKEN": TOKEN}) as core:
        try:
            _wait_for(r"other users may list the data folder", core)
            port = int(_wait_for(r"task API on http://0\.0\.0\.0:(\d+)/", core)[1])
            _wait_for(r"API process serving socket", core)
            url = f"http://127.0.0.1:{port}/api/v1"
            auth = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(timeout=DEADLINE) as client:
                assert client.get(f"{url}/task").json()["code"] == 40101  # the API process
                assert client.get(f"{url}/devices").json()["code"] == 40101  # the core
                assert client.get(f"{url}/task", headers=auth).json()["code"] == 0
                assert client.get(f"{url}/devices", headers=auth).json()["code"] == 0
            commands = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True,
                                      check=True).stdout
            assert TOKEN not in commands
        finally:
            core.terminate()
            _, log = core.communicate(timeout=DEADLINE)
    assert TOKEN not in log
    assert re.search(r'orchestrator.access: 127\.0\.0\.1:\d+ "GET /api/v1/task HTTP/1\.1" '
                     r"\d{3} \d+ [\d.]+s", log), log
    assert re.search(r'127\.0\.0\.1:\d+ "GET /api/v1/devices HTTP/1\.1" \d{3}', log), log
    # Written by the API process, not by the core too (which would make four). When the
    # client closes as an answer ends, hypercorn logs it with the status "-", beside its
    # line or (the client having all of it: a loaded machine, once in CI) instead of it.
    assert 2 <= len(re.findall(r'"GET /api/v1/devices HTTP/1\.1" (\d{3}|-)', log)) <= 3, log
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # the user's own: left as it was
    assert stat.S_IMODE((data / "materials").stat().st_mode) == 0o700
    for name in ("orchestrator.db", "orchestrator.db-wal", "orchestrator.db-shm"):
        if (data / name).exists():
            assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name


def test_a_data_folder_it_makes_is_the_owners_only(tmp_path: Path) -> None:
    """Made by serve (here: refused at once by a busy port after making it)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        _serve("--port", str(taken.getsockname()[1]), "--simulate", "1",
               "--data-dir", str(tmp_path / "new" / "data"))
    assert stat.S_IMODE((tmp_path / "new" / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "data" / "orchestrator.db").stat().st_mode) \
        == 0o600
