"""Front ends for the contract suite: the fake ADB server, and the real one with phones attached.

Both give adbutils a client and a farm of simulated phones; tests drive the phones
through the client and read their state back from the farm. The real adb server runs
as a child process with its own HOME (its keys land there) on a free port, never 5037,
and is killed when the test ends.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import adbutils
import attrs
import pytest
import trio
from adbutils import DeviceEvent

from orchestrator.simulator._adb_server import serve_adb_server
from orchestrator.simulator._farm import Farm
from orchestrator.simulator._transport import attach_to_adb_server

from ._real_adb import REAL_ADB

T = TypeVar("T")

ADB = REAL_ADB
#: Phones every front end starts with.
PHONES = 3
#: Longest a single blocking adbutils call may take before a test fails.
CALL_TIMEOUT = 15.0



@attrs.frozen
class FrontEnd:
    """One way adbutils reaches the farm's phones."""

    name: str
    client: adbutils.AdbClient
    farm: Farm
    port: int
    #: Phone serial -> the serial the client sees (`127.0.0.1:<port>` after `adb connect`).
    serials: Mapping[str, str] | None

    def serial(self, phone_serial: str) -> str:
        return phone_serial if self.serials is None else self.serials[phone_serial]

    def device(self, phone_serial: str) -> adbutils.AdbDevice:
        return self.client.device(self.serial(phone_serial))

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking adbutils call in a thread, off the loop the phones run in."""
        with trio.fail_after(CALL_TIMEOUT):
            return await trio.to_thread.run_sync(functools.partial(fn, *args, **kwargs),
                                                 abandon_on_cancel=True)

    async def watch_devices(self, until: Callable[[DeviceEvent], bool],
                            then: Callable[[], object] = lambda: None) -> list[DeviceEvent]:
        """Follow `host:track-devices`: once the first list is in, call `then`; stop at `until`.

        Returns the events seen, the one `until` accepted last.
        """
        events: list[DeviceEvent] = []
        listening = trio.Event()

        def follow() -> None:
            tracker = self.client.track_devices()
            try:
                for event in tracker:
                    events.append(event)
                    if not listening.is_set():
                        trio.from_thread.run_sync(listening.set)
                    if until(event):
                        return
            finally:
                tracker.close()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(self.call, follow)
            await listening.wait()
            then()
        return events


def free_port() -> int:
    """A loopback port nobody listens on right now (never 5037: it is ephemeral)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def open_real_adb_server(home: Path) -> AsyncIterator[int]:
    """Run a real adb server of our own (HOME=`home`, so its keys land there); yield its port.

    Started as the adb client starts it, waiting for its "OK" on a reply pipe, and
    killed on the way out.
    """
    await trio.Path(home).mkdir(parents=True, exist_ok=True)
    # Its log goes to TMPDIR. No USB, no emulator scan, no mDNS: it sees only the
    # phones a test attaches (not a user's own), and stays off the network.
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home),
           "ADB_USB": "0", "ADB_EMU": "0", "ADB_MDNS": "0"}
    port = free_port()
    ready_read, ready_write = os.pipe()
    try:
        process = await trio.lowlevel.open_process(
            [ADB, "-P", str(port), "fork-server", "server", "--reply-fd", str(ready_write)],
            pass_fds=(ready_write,), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.close(ready_write)
    try:
        async with trio.lowlevel.FdStream(ready_read) as ready:
            with trio.fail_after(10):
                answer = await ready.receive_some()
        if answer != b"OK\n":
            raise RuntimeError(f"the adb server did not start: {answer!r}")
        yield port
    finally:
        process.kill()
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            await process.wait()


@pytest.fixture
def farm() -> Farm:
    farm = Farm()
    farm.add(PHONES)
    return farm


@pytest.fixture(params=["fake", pytest.param("real", marks=pytest.mark.real_adb)])
async def front(request: pytest.FixtureRequest, nursery: trio.Nursery, farm: Farm,
                tmp_path: Path) -> AsyncIterator[FrontEnd]:
    """The fake ADB server, or the real one with the farm attached over the transport."""
    if request.param == "fake":
        port = await nursery.start(functools.partial(serve_adb_server, farm, port=0))
        yield FrontEnd("fake", adbutils.AdbClient(port=port, socket_timeout=CALL_TIMEOUT),
                       farm, port, None)
        return
    async with open_real_adb_server(tmp_path / "adb-home") as port:
        serials = await nursery.start(functools.partial(attach_to_adb_server, farm,
                                                        adb_port=port))
        yield FrontEnd("real", adbutils.AdbClient(port=port, socket_timeout=CALL_TIMEOUT),
                       farm, port, serials)
