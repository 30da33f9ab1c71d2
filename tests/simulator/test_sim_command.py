"""`orchestrator sim --adbd-port`: the simulated phones on ports a real adb server can
`adb connect`, as cloud phones are."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import adbutils
import pytest
import trio

from orchestrator.simulator._transport import adb_server_request

from .conftest import CALL_TIMEOUT, open_real_adb_server


async def _lines(stream: trio.abc.ReceiveStream, count: int) -> list[str]:
    """The first `count` lines `stream` gives."""
    got = b""
    while got.count(b"\n") < count:
        chunk = await stream.receive_some()
        assert chunk, f"the stream ended after {got!r}"
        got += chunk
    return got.decode().splitlines()[:count]


@pytest.mark.real_adb
async def test_a_real_adb_server_connects_the_phones(tmp_path: Path) -> None:
    sim = await trio.lowlevel.open_process(
        [sys.executable, "-m", "orchestrator", "sim", "--devices", "2", "--port", "0",
         "--adbd-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert sim.stdout is not None
        with trio.fail_after(CALL_TIMEOUT):
            _, adbd = await _lines(sim.stdout, 2)
        found = re.search(r"in order: 127\.0\.0\.1 port\(s\) (\d+) (\d+) ", adbd)
        assert found is not None, adbd
        addresses = [f"127.0.0.1:{port}" for port in found.groups()]
        async with open_real_adb_server(tmp_path / "adb-home") as adb_port:
            with trio.fail_after(CALL_TIMEOUT):
                for address in addresses:
                    answer = await adb_server_request(adb_port, f"host:connect:{address}")
                    assert answer.startswith("connected to"), answer
                client = adbutils.AdbClient(host="127.0.0.1", port=adb_port)
                models = [await trio.to_thread.run_sync(
                    lambda a=address: client.device(a).prop.model) for address in addresses]
    finally:
        sim.terminate()
        with trio.fail_after(CALL_TIMEOUT):
            await sim.wait()
    assert models == ["Pixel 7", "Pixel 7"]
    assert sim.returncode == 0
