"""The device side of the ADB transport: packets against a tiny host, then the real adb server."""

from __future__ import annotations

import contextlib
import functools
import os
import select
import struct
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import adbutils
import pytest
import trio
import trio.testing

from orchestrator.simulator._farm import Farm
from orchestrator.simulator._packets import (
    AUTH_SIGNATURE,
    AUTH_TOKEN,
    MAX_PAYLOAD,
    VERSION,
    Command,
    Packet,
    read_packet,
)
from orchestrator.simulator._phone import Phone
from orchestrator.simulator._transport import (
    adb_server_request,
    attach_to_adb_server,
    serve_device_transport,
)
from orchestrator.simulator._wire import receive_exactly

from .conftest import ADB, CALL_TIMEOUT, FrontEnd, open_real_adb_server

TIMEOUT = 20
OLD_VERSION = 0x01000000
SYNC_HEADER = struct.Struct("<4sI")


class Host:
    """The host end of one transport connection, as the adb server speaks it."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream

    async def send(self, command: Command, arg0: int, arg1: int, data: bytes = b"") -> None:
        await self.stream.send_all(Packet(command, arg0, arg1, data).encode(checksum=True))

    async def receive(self) -> Packet:
        packet = await read_packet(self.stream)
        assert packet is not None, "the phone closed the connection"
        return packet

    async def connect(self, *, version: int = VERSION,
                      max_payload: int = MAX_PAYLOAD) -> None:
        await self.send(Command.CNXN, version, max_payload, b"host::features=shell_v2,cmd\0")

    async def is_quiet(self) -> bool:
        """Whether the phone, with all its tasks blocked, has nothing more on the wire."""
        await trio.testing.wait_all_tasks_blocked()
        readable, _, _ = select.select([self.stream.socket.fileno()], [], [], 0)
        return not readable


@pytest.fixture
def phone() -> Phone:
    return Phone("sim-0001")


@pytest.fixture
async def open_host(nursery: trio.Nursery,
                    phone: Phone) -> AsyncIterator[Callable[[], Awaitable[Host]]]:
    """Connects hosts to the phone's transport (a state change drops those connected)."""
    port = await nursery.start(functools.partial(serve_device_transport, phone))
    async with contextlib.AsyncExitStack() as streams:
        async def open_host() -> Host:
            stream = await trio.open_tcp_stream("127.0.0.1", port)
            return Host(await streams.enter_async_context(stream))

        yield open_host


@pytest.fixture
async def host(open_host: Callable[[], Awaitable[Host]]) -> Host:
    return await open_host()


class TestHandshake:
    async def test_banner_names_the_phone(self, host: Host) -> None:
        """CNXN is answered with the phone's props and features, at the newest version."""
        with trio.fail_after(TIMEOUT):
            await host.connect()
            reply = await host.receive()
            assert (reply.command, reply.arg0, reply.arg1) == (Command.CNXN, VERSION, MAX_PAYLOAD)
            assert reply.data == (b"device::ro.product.name=pixel_7;ro.product.model=Pixel 7;"
                                  b"ro.product.device=pixel_7;"
                                  b"features=shell_v2,cmd,fixed_push_mkdir")

    async def test_old_hosts_get_checksums(self, host: Host) -> None:
        """A version 0x01000000 host checks the payload's byte sum, so the phone sends it."""
        with trio.fail_after(TIMEOUT):
            await host.connect(version=OLD_VERSION)
            header = await receive_exactly(host.stream, 24)
            command, version, _, length, check, magic = struct.unpack("<6I", header)
            data = await receive_exactly(host.stream, length)
            assert (command, version) == (Command.CNXN, OLD_VERSION)
            assert magic == Command.CNXN ^ 0xFFFFFFFF
            assert check == sum(data)

    async def test_unauthorized_phone_never_accepts_a_key(
            self, open_host: Callable[[], Awaitable[Host]], phone: Phone) -> None:
        with trio.fail_after(TIMEOUT):
            phone.state = "unauthorized"
            host = await open_host()
            await host.connect()
            token = await host.receive()
            assert (token.command, token.arg0, len(token.data)) == (Command.AUTH, AUTH_TOKEN, 20)
            await host.send(Command.AUTH, AUTH_SIGNATURE, 0, os.urandom(256))
            assert (await host.receive()).arg0 == AUTH_TOKEN  # try the next key
            await host.send(Command.AUTH, 3, 0, b"QAAAA... user@host\0")  # the public key
            assert await host.is_quiet()  # no CNXN: "the user" never taps Allow

    async def test_offline_phone_stays_silent(
            self, open_host: Callable[[], Awaitable[Host]], phone: Phone) -> None:
        with trio.fail_after(TIMEOUT):
            phone.state = "offline"
            host = await open_host()
            await host.connect()
            assert await host.is_quiet()


class TestStreams:
    async def test_one_write_in_flight_until_okay(self, host: Host, phone: Phone) -> None:
        """A pull arrives in max-payload WRTEs, each only after the host's OKAY for the last."""
        with trio.fail_after(TIMEOUT):
            payload = os.urandom(300 * 1024)
            phone.fs.write("/sdcard/big.bin", payload)
            await host.connect(max_payload=4096)
            assert (await host.receive()).command == Command.CNXN
            await host.send(Command.OPEN, 7, 0, b"sync:\0")
            okay = await host.receive()
            assert (okay.command, okay.arg1) == (Command.OKAY, 7)
            device_id = okay.arg0
            path = b"/sdcard/big.bin"
            await host.send(Command.WRTE, 7, device_id, SYNC_HEADER.pack(b"RECV", len(path)) + path)
            assert await host.receive() == Packet(Command.OKAY, device_id, 7)
            received = bytearray()
            writes = 0
            while not received.endswith(SYNC_HEADER.pack(b"DONE", 0)):
                packet = await host.receive()
                assert (packet.command, packet.arg0, packet.arg1) == (Command.WRTE, device_id, 7)
                assert len(packet.data) <= 4096
                assert await host.is_quiet()  # nothing more until we say OKAY
                received += packet.data
                writes += 1
                await host.send(Command.OKAY, 7, device_id)
            assert writes > 300 * 1024 // 4096
            assert _sync_data(bytes(received)) == payload

    async def test_unknown_service_is_refused(self, host: Host) -> None:
        """A failed OPEN is a CLSE without a local id, as adbd sends it."""
        with trio.fail_after(TIMEOUT):
            await host.connect()
            await host.receive()
            await host.send(Command.OPEN, 5, 0, b"jdwp:1234\0")
            assert await host.receive() == Packet(Command.CLSE, 0, 5)

    async def test_host_close_ends_the_service(self, host: Host, phone: Phone) -> None:
        """CLSE from the host cancels a hung command, as adbd hangs up the shell behind it."""
        with trio.fail_after(TIMEOUT):
            phone.faults.hang = "wait-forever"
            await host.connect()
            await host.receive()
            await host.send(Command.OPEN, 9, 0, b"shell:wait-forever\0")
            device_id = (await host.receive()).arg0
            await trio.testing.wait_all_tasks_blocked()
            assert phone._sessions  # the hung command is being served
            await host.send(Command.CLSE, 9, device_id)
            await trio.testing.wait_all_tasks_blocked()
            assert len(phone._sessions) == 1  # only the connection's session is left

    async def test_state_change_drops_the_connection(self, host: Host, phone: Phone) -> None:
        """The host reconnects and meets the phone's new state, as it does a rebooted adbd."""
        with trio.fail_after(TIMEOUT):
            await host.connect()
            await host.receive()
            phone.state = "unauthorized"
            assert await read_packet(host.stream) is None

    async def test_unplug_drops_the_connection(self, host: Host, phone: Phone) -> None:
        with trio.fail_after(TIMEOUT):
            await host.connect()
            await host.receive()
            phone.unplug()
            assert await read_packet(host.stream) is None


def _sync_data(reply: bytes) -> bytes:
    """The file inside a sync RECV reply: DATA chunks up to DONE."""
    out = bytearray()
    offset = 0
    while True:
        ident, length = SYNC_HEADER.unpack_from(reply, offset)
        offset += SYNC_HEADER.size
        if ident == b"DONE":
            return bytes(out)
        assert ident == b"DATA"
        out += reply[offset:offset + length]
        offset += length


@pytest.mark.real_adb
@pytest.mark.real_adb
class TestRealServer:
    async def test_devices_shows_unauthorized(self, nursery: trio.Nursery, tmp_path: Path,
                                              phone: Phone) -> None:
        """`adb devices`, the real client against the real server, prints `unauthorized`."""
        with trio.fail_after(TIMEOUT):
            home = tmp_path / "adb-home"
            async with open_real_adb_server(home) as adb_port:
                port = await nursery.start(functools.partial(
                    serve_device_transport, phone, auth_required=True))
                answer = await adb_server_request(adb_port, f"host:connect:127.0.0.1:{port}")
                assert answer == f"failed to authenticate to 127.0.0.1:{port}"
                result = await trio.run_process(
                    [ADB, "-P", str(adb_port), "devices"], capture_stdout=True,
                    stderr=subprocess.DEVNULL, env={**os.environ, "HOME": str(home)})
                assert f"127.0.0.1:{port}\tunauthorized" in result.stdout.decode()

    async def test_phone_authorized_later(self, nursery: trio.Nursery, tmp_path: Path) -> None:
        """Once "the user" accepts the key, the server reconnects and lists the phone."""
        with trio.fail_after(TIMEOUT):
            farm = Farm()
            (phone,) = farm.add(1)
            phone.state = "unauthorized"
            async with open_real_adb_server(tmp_path / "adb-home") as adb_port:
                serials = await nursery.start(functools.partial(
                    attach_to_adb_server, farm, adb_port=adb_port))
                serial = serials[phone.serial]
                assert f"{serial}\tunauthorized" in await adb_server_request(
                    adb_port, "host:devices")
                front = FrontEnd("real", adbutils.AdbClient(port=adb_port), farm, adb_port,
                                 serials)

                def accept() -> None:
                    phone.state = "device"

                await front.watch_devices(lambda e: (e.serial, e.status) == (serial, "device"),
                                          accept)
                device = front.device(phone.serial)
                assert await front.call(device.shell, "echo hi") == "hi"

    async def test_disconnect_mid_shell(self, nursery: trio.Nursery, tmp_path: Path) -> None:
        """A phone that drops off in the middle of a command vanishes from the real server."""
        with trio.fail_after(TIMEOUT):
            farm = Farm()
            phone, _other = farm.add(2)
            async with open_real_adb_server(tmp_path / "adb-home") as adb_port:
                serials = await nursery.start(functools.partial(
                    attach_to_adb_server, farm, adb_port=adb_port))
                front = FrontEnd("real", adbutils.AdbClient(port=adb_port), farm, adb_port,
                                 serials)
                serial = serials[phone.serial]
                phone.faults.disconnect_on = "boom"
                outputs: list[str] = []

                async def shell() -> None:
                    outputs.append(await front.call(front.device(phone.serial).shell,
                                                    "echo boom"))

                async with trio.open_nursery() as shells:
                    events = await front.watch_devices(
                        lambda e: e.serial == serial and not e.present,
                        lambda: shells.start_soon(shell))
                assert events[-1].status == "absent"
                assert outputs == [""]  # the server hung up on the command, no output
                assert phone.serial not in farm

    async def test_megabytes_through_flow_control(self, nursery: trio.Nursery,
                                                  tmp_path: Path) -> None:
        """4 MB each way: many WRTEs at the server's payload size, acknowledged one by one."""
        with trio.fail_after(TIMEOUT):
            farm = Farm()
            (phone,) = farm.add(1)
            async with open_real_adb_server(tmp_path / "adb-home") as adb_port:
                serials = await nursery.start(functools.partial(
                    attach_to_adb_server, farm, adb_port=adb_port))
                device = adbutils.AdbClient(port=adb_port, socket_timeout=CALL_TIMEOUT).device(
                    serials[phone.serial])
                payload = os.urandom(4 * 1024 * 1024)
                await trio.to_thread.run_sync(device.sync.push, payload, "/sdcard/big.bin",
                                              abandon_on_cancel=True)
                assert phone.fs.read("/sdcard/big.bin") == payload
                pulled = await trio.to_thread.run_sync(device.sync.read_bytes, "/sdcard/big.bin",
                                                       abandon_on_cancel=True)
                assert pulled == payload
