"""The fake ADB server, driven by adbutils, by raw smart-socket requests and by the real `adb`."""

from __future__ import annotations

import gc
import os
import struct
import subprocess
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import adbutils
import pytest
import trio

from orchestrator.simulator._adb_server import serve_adb_server
from orchestrator.simulator._farm import Farm
from orchestrator.simulator._phone import Phone
from orchestrator.simulator._shell import ShellResult

from ._real_adb import REAL_ADB

# adbutils leaves its socket to the garbage collector when a request is refused
# (`open_transport` raises before closing); the refusals are what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")


@pytest.fixture(autouse=True)
def _collect_leaked_sockets() -> Iterator[None]:
    """Collect those sockets while this module's filter is on, so that their warnings
    never land on a later test that leaked nothing."""
    yield
    gc.collect()


T = TypeVar("T")
DEADLINE = 10
COLON_SERIAL = "127.0.0.1:5555"
UNAUTHORIZED = (
    "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n"
    "Try 'adb kill-server' if that seems wrong.\n"
    "Otherwise check for a confirmation dialog on your device."
)


class ObservedPhone(Phone):
    """A phone that tells the test when a shell command reached it."""

    def __init__(self, serial: str) -> None:
        super().__init__(serial)
        self.shell_started = trio.Event()

    async def shell(self, command: str) -> ShellResult:
        self.shell_started.set()
        return await super().shell(command)


@pytest.fixture
def farm() -> Farm:
    farm = Farm()
    farm.add(3, apps=[])
    farm.plug(ObservedPhone(COLON_SERIAL))
    return farm


@pytest.fixture
async def port(farm: Farm, nursery: trio.Nursery) -> int:
    bound: int = await nursery.start(partial(serve_adb_server, farm, port=0))
    return bound


@pytest.fixture
def adb(port: int) -> adbutils.AdbClient:
    return adbutils.AdbClient(host="127.0.0.1", port=port, socket_timeout=5)


async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking adbutils call off the trio thread (sockets time out after 5 s)."""
    return await trio.to_thread.run_sync(partial(fn, *args), abandon_on_cancel=True)


async def ask(port: int, *requests: str) -> bytes:
    """Send raw smart-socket requests on one connection; everything answered until close."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(b"".join(b"%04x%s" % (len(r), r.encode()) for r in requests))
        answer = bytearray()
        while chunk := await stream.receive_some():
            answer += chunk
        return bytes(answer)


def answer(status: bytes, text: str) -> bytes:
    return b"%s%04x%s" % (status, len(text), text.encode())


def fail(text: str) -> bytes:
    return answer(b"FAIL", text)


# --- host services -----------------------------------------------------------
async def test_version_is_the_one_the_real_client_expects(adb: adbutils.AdbClient) -> None:
    with trio.fail_after(DEADLINE):
        assert await blocking(adb.server_version) == 41


async def test_lists_phones_short_and_long(adb: adbutils.AdbClient, farm: Farm) -> None:
    with trio.fail_after(DEADLINE):
        serials = [d.serial for d in await blocking(adb.device_list)]
        assert serials == sorted(p.serial for p in farm)
        infos = await blocking(adb.list, True)
        again = await blocking(adb.list, True)
    assert {i.serial: i.state for i in infos} == dict.fromkeys(serials, "device")
    assert infos[0].tags["model"] == "Pixel_7"
    ids = [i.tags["transport_id"] for i in infos]
    assert len(set(ids)) == len(ids)
    assert ids == [i.tags["transport_id"] for i in again]


async def test_long_listing_is_formatted_as_the_real_one(port: int) -> None:
    with trio.fail_after(DEADLINE):
        answer = await ask(port, "host:devices-l")
    assert answer.startswith(b"OKAY")
    lines = answer[8:].decode().splitlines()
    assert lines[0].startswith(f"{COLON_SERIAL:<22} device product:pixel_7 model:Pixel_7 ")
    assert lines[0].split()[-1].startswith("transport_id:")


async def test_state_serial_and_features(adb: adbutils.AdbClient) -> None:
    device = adb.device(COLON_SERIAL)
    with trio.fail_after(DEADLINE):
        assert await blocking(device.get_state) == "device"
        assert await blocking(device.get_serialno) == COLON_SERIAL
        assert "shell_v2" in (await blocking(device.get_features)).split(",")


async def test_unknown_serial_is_not_found(adb: adbutils.AdbClient) -> None:
    with trio.fail_after(DEADLINE), pytest.raises(adbutils.AdbError,
                                                  match="device 'nope' not found"):
        await blocking(adb.device("nope").get_state)


@pytest.mark.parametrize(("state", "message"),
                         [("offline", "device offline"), ("unauthorized", UNAUTHORIZED)])
async def test_phones_not_online_are_refused_with_the_real_words(
        adb: adbutils.AdbClient, farm: Farm, state: str, message: str) -> None:
    phone = farm.get("sim-0002")
    assert phone is not None
    phone.state = state  # type: ignore[assignment]
    with trio.fail_after(DEADLINE):
        listed = {i.serial: i.state for i in await blocking(adb.list)}
        assert listed["sim-0002"] == state
        assert "sim-0002" not in [d.serial for d in await blocking(adb.device_list)]
        device = adb.device("sim-0002")
        for call in (device.get_state, partial(device.shell, "echo")):
            with pytest.raises(adbutils.AdbError) as raised:
                await blocking(call)
            assert str(raised.value) == message


async def test_raw_host_requests(port: int, farm: Farm) -> None:
    with trio.fail_after(DEADLINE):
        assert await ask(port, "host:nonsense") == fail("unknown host service")
        assert await ask(port, "host:get-state") == fail("more than one device/emulator")
        assert await ask(port, "host:transport-id:999") == fail("no device with transport id '999'")
        assert await ask(port, "host:connect:10.0.0.9") == answer(
            b"OKAY", "failed to connect to '10.0.0.9:5555': Connection refused")
        assert await ask(port, f"host-serial:{COLON_SERIAL}:get-serialno") == answer(
            b"OKAY", COLON_SERIAL)
        switched = await ask(port, f"host:tport:serial:{COLON_SERIAL}", "framebuffer:")
        listing = (await ask(port, "host:devices-l")).decode()
    assert switched[:4] == b"OKAY"
    (tid,) = struct.unpack("<Q", switched[4:12])
    assert switched[12:] == fail("closed")
    assert f"{COLON_SERIAL:<22} device" in listing
    assert listing.split(f"{COLON_SERIAL:<22}")[1].splitlines()[0].endswith(f"transport_id:{tid}")


async def test_kill_is_answered_and_the_server_keeps_serving(port: int) -> None:
    with trio.fail_after(DEADLINE):
        assert await ask(port, "host:kill") == b"OKAY"
        assert await ask(port, "host:version") == b"OKAY00040029"


async def test_a_phone_reached_by_transport_id(adb: adbutils.AdbClient) -> None:
    with trio.fail_after(DEADLINE):
        infos = await blocking(adb.list, True)
        tid = int(next(i for i in infos if i.serial == "sim-0003").tags["transport_id"])
        assert await blocking(adb.device(transport_id=tid).get_serialno) == "sim-0003"
        with pytest.raises(adbutils.AdbError, match="no device with transport id '99'"):
            await blocking(adb.device(transport_id=99).get_state)


async def test_wait_for_a_state_already_reached(adb: adbutils.AdbClient, farm: Farm) -> None:
    farm.unplug("sim-0002")
    with trio.fail_after(DEADLINE):
        await blocking(adb.wait_for, "sim-0001", "any", "device", 5)
        await blocking(adb.wait_for, "sim-0002", "any", "disconnect", 5)
        with pytest.raises(adbutils.AdbError, match="more than one device/emulator"):
            await blocking(adb.wait_for, None, "any", "device", 5)


async def test_a_thousand_phones_list_in_blocks_under_64_kib(port: int, farm: Farm) -> None:
    farm.add(1000, apps=[])
    with trio.fail_after(DEADLINE):
        short = await ask(port, "host:devices")
        long = await ask(port, "host:devices-l")
    assert short[:4] == long[:4] == b"OKAY"
    assert int(short[4:8], 16) == len(short) - 8
    assert len(short[8:].splitlines()) == len(farm)
    assert int(long[4:8], 16) == len(long) - 8 <= 0xFFFF  # whole lines, as many as fit
    assert long.endswith(b"\n")


# --- forwards ------------------------------------------------------------------
async def test_forwards_are_recorded_listed_and_removed(adb: adbutils.AdbClient) -> None:
    device = adb.device(COLON_SERIAL)
    with trio.fail_after(DEADLINE):
        await blocking(device.forward, "tcp:7001", "tcp:8001")
        await blocking(adb.device("sim-0001").forward, "tcp:7002", "localabstract:x")
        items = await blocking(adb.forward_list)
        assert [(i.serial, i.local, i.remote) for i in items] == [
            (COLON_SERIAL, "tcp:7001", "tcp:8001"), ("sim-0001", "tcp:7002", "localabstract:x")]
        with pytest.raises(adbutils.AdbError, match="cannot rebind existing socket"):
            await blocking(partial(device.forward, "tcp:7001", "tcp:9", norebind=True))
        await blocking(device.forward_remove, "tcp:7001")
        with pytest.raises(adbutils.AdbError, match="listener 'tcp:7001' not found"):
            await blocking(device.forward_remove, "tcp:7001")
        await blocking(device.forward_remove_all)
        assert await blocking(adb.forward_list) == []


# --- track-devices ----------------------------------------------------------------
async def test_track_devices_sees_phones_come_and_go(adb: adbutils.AdbClient, farm: Farm) -> None:
    send, receive = trio.open_memory_channel[adbutils.DeviceEvent](16)

    def watch() -> None:
        for event in adb.track_devices():
            trio.from_thread.run(send.send, event)
            if event.serial == "sim-0005" and not event.present:
                return

    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(blocking, watch)
            initial = {(await receive.receive()).serial for _ in range(len(farm))}
            assert initial == {p.serial for p in farm}
            (added,) = farm.add(1, apps=[])
            assert added.serial == "sim-0005"
            event = await receive.receive()
            assert (event.present, event.serial, event.status) == (True, "sim-0005", "device")
            farm.unplug("sim-0005")
            event = await receive.receive()
            assert (event.present, event.serial, event.status) == (False, "sim-0005", "absent")


# --- device services ---------------------------------------------------------------
async def test_shell_v1_and_v2(adb: adbutils.AdbClient) -> None:
    device = adb.device(COLON_SERIAL)
    with trio.fail_after(DEADLINE):
        assert await blocking(device.shell, "echo hello") == "hello"
        v1 = await blocking(device.shell2, "getprop ro.serialno")
        v2 = await blocking(partial(device.shell2, "echo hello", v2=True))
    assert (v1.returncode, v1.output.strip()) == (0, COLON_SERIAL)
    assert (v2.returncode, v2.stdout, v2.stderr) == (0, "hello\n", "")


@pytest.mark.parametrize("v2", [False, True])
async def test_unplug_cuts_a_hung_shell(adb: adbutils.AdbClient, farm: Farm, v2: bool) -> None:
    phone = farm.get(COLON_SERIAL)
    assert isinstance(phone, ObservedPhone)
    phone.faults.hang = "sleep"

    async def unplug_once_running() -> None:
        await phone.shell_started.wait()
        farm.unplug(phone.serial)

    with trio.fail_after(DEADLINE):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(unplug_once_running)
            with pytest.raises((adbutils.AdbError, EOFError, OSError)):
                await blocking(partial(adb.device(COLON_SERIAL).shell2, "sleep 100", v2=v2))
    assert COLON_SERIAL not in farm


async def test_sync_push_stat_list_pull(adb: adbutils.AdbClient, farm: Farm,
                                        tmp_path: Path) -> None:
    device = adb.device(COLON_SERIAL)
    big = os.urandom(200_000)  # several 64 KiB chunks each way
    with trio.fail_after(DEADLINE):
        await blocking(device.sync.push, big, "/sdcard/Download/big.bin")
        info = await blocking(device.sync.stat, "/sdcard/Download/big.bin")
        names = [e.path for e in await blocking(device.sync.list, "/sdcard/Download")]
        back = await blocking(device.sync.read_bytes, "/sdcard/Download/big.bin")
        await blocking(device.sync.pull, "/sdcard/Download/big.bin", tmp_path / "big.bin")
        missing = await blocking(device.sync.stat, "/sdcard/none")
    assert (info.size, info.mode & 0o170000) == (len(big), 0o100000)
    assert names == [".", "..", "big.bin"]
    assert back == big == (tmp_path / "big.bin").read_bytes()
    assert missing.mtime is None
    assert farm.get(COLON_SERIAL).fs.read("/sdcard/Download/big.bin") == big  # type: ignore[union-attr]


async def test_pull_of_a_missing_file_fails_like_adbd(adb: adbutils.AdbClient) -> None:
    device = adb.device("sim-0001")
    with trio.fail_after(DEADLINE), pytest.raises(
            adbutils.AdbError, match="open failed: No such file or directory"):
        await blocking(device.sync.read_bytes, "/sdcard/none.txt")


async def test_disconnect_in_the_middle_of_a_push(adb: adbutils.AdbClient, farm: Farm) -> None:
    phone = farm.get("sim-0003")
    assert phone is not None
    phone.faults.disconnect_on = "push"
    with trio.fail_after(DEADLINE), pytest.raises((adbutils.AdbError, OSError)):
        await blocking(adb.device("sim-0003").sync.push, b"x" * 100_000, "/sdcard/cut.bin")
    assert "sim-0003" not in farm
    assert not phone.fs.exists("/sdcard/cut.bin")
    assert phone.faults.disconnect_on is None


# --- the real adb client -----------------------------------------------------------


async def real_adb(port: int, *args: str) -> str:
    """Run the real `adb` client against the fake server; it must never start its own."""
    result = await trio.run_process([REAL_ADB, "-P", str(port), *args], capture_stdout=True,
                                    capture_stderr=True, stdin=subprocess.DEVNULL,
                                    check=False)
    assert b"daemon" not in result.stderr, result.stderr  # "* daemon not running; starting"
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


@pytest.mark.real_adb
@pytest.mark.real_adb
async def test_real_adb_lists_and_shells(port: int, farm: Farm) -> None:
    with trio.fail_after(DEADLINE):
        listing = await real_adb(port, "devices", "-l")
        echoed = await real_adb(port, "-s", COLON_SERIAL, "shell", "echo", "hi")
        assert await ask(port, "host:version") == b"OKAY00040029"  # still ours
    lines = listing.splitlines()
    assert lines[0] == "List of devices attached"
    assert {line.split()[0] for line in lines[1:] if line} == {p.serial for p in farm}
    assert "model:Pixel_7" in lines[1]
    assert echoed == "hi\n"


@pytest.mark.real_adb
@pytest.mark.real_adb
async def test_real_adb_push_and_pull(port: int, farm: Farm, tmp_path: Path) -> None:
    source, copy = tmp_path / "clip.mp4", tmp_path / "copy.mp4"
    source.write_bytes(os.urandom(150_000))
    with trio.fail_after(DEADLINE):
        await real_adb(port, "-s", "sim-0001", "push", str(source), "/sdcard/DCIM/clip.mp4")
        await real_adb(port, "-s", "sim-0001", "pull", "/sdcard/DCIM/clip.mp4", str(copy))
    phone = farm.get("sim-0001")
    assert phone is not None
    assert phone.fs.read("/sdcard/DCIM/clip.mp4") == source.read_bytes() == copy.read_bytes()
