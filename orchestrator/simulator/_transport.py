"""The device side of the ADB transport, as adbd serves it on a network phone's port 5555.

This lets the real `adb` server attach simulated phones with `adb connect`, so the same
adbutils calls can be checked against the real server and against the fake one: both
end in `serve_device_service`, one device brain behind two front ends.

One TCP connection carries many streams. The host OPENs a service, the phone answers
OKAY and serves it; data moves in WRTE packets, each acknowledged with OKAY before the
next may go on the same stream; CLSE ends a stream in both directions (ADB has no
half-close). Every connection runs inside a `phone.session()`, so unplugging the phone
or changing its state drops the TCP connection, as a pulled cable does.
"""

from __future__ import annotations

import collections
import itertools
import os
from collections.abc import Mapping
from types import MappingProxyType

import attrs
import trio

from ._farm import Farm
from ._packets import (
    AUTH_SIGNATURE,
    AUTH_TOKEN,
    MAX_PAYLOAD,
    VERSION,
    VERSION_SKIP_CHECKSUM,
    Command,
    Packet,
    read_packet,
)
from ._phone import Phone, State
from ._services import FEATURES, handles, serve_device_service
from ._wire import OKAY, ProtocolError, block, receive_exactly

__all__ = [
    "AdbServerError",
    "DeviceTransport",
    "adb_server_request",
    "attach_to_adb_server",
    "serve_device_transport",
]

#: The payload size every peer accepts before CNXN has told us more.
_MAX_PAYLOAD_V1 = 4096
#: `host:connect` answers that leave the phone listed: a phone that wants a key the
#: server lacks is listed unauthorized, and one that never answers CNXN (offline)
#: fails to connect after 10 s, yet stays listed as offline.
_CONNECTED = ("connected to", "already connected to", "failed to authenticate to",
              "failed to connect to")
#: `adb connect` requests in flight at once when a big farm is attached.
_CONCURRENT_CONNECTS = 64


class AdbServerError(Exception):
    """The adb server refused a `host:` request (its FAIL text is the message)."""


class DeviceStream(trio.abc.HalfCloseableStream):
    """One OPENed service stream, multiplexed with others over the phone's connection.

    At most one of our WRTEs is unacknowledged at a time, and the host's next WRTE is
    only invited (OKAY) once the service has read the last one, so a slow service
    slows its own stream and no other. When the host closes the stream the service
    is cancelled, as adbd kills the shell behind a closed stream; if data the service
    has not read yet is pending, it reads that, then EOF, and may finish.
    """

    def __init__(self, connection: _Connection, local_id: int, remote_id: int) -> None:
        self._connection = connection
        self.local_id = local_id
        self.remote_id = remote_id
        self.scope = trio.CancelScope()
        self._received: collections.deque[bytes] = collections.deque()
        self._readable = trio.lowlevel.ParkingLot()
        self._writable = trio.lowlevel.ParkingLot()
        self._in_flight = False
        self._sending = False
        self._receiving = False
        self._ended = False  # a CLSE went one way or the other: no more data either way
        self._remote_closed = False
        self._closed = False

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self._sending:
            raise trio.BusyResourceError("another task is sending on this stream")
        self._sending = True
        try:
            await trio.lowlevel.checkpoint()
            self._raise_unless_open()
            view = memoryview(data)
            size = self._connection.max_payload
            for offset in range(0, len(view), size):
                await self.wait_send_all_might_not_block()
                self._raise_unless_open()
                self._in_flight = True
                try:
                    await self._connection.send(
                        Packet(Command.WRTE, self.local_id, self.remote_id,
                               bytes(view[offset:offset + size])))
                except BaseException:
                    self._in_flight = False  # cancelled: the packet was not queued
                    raise
        finally:
            self._sending = False

    async def wait_send_all_might_not_block(self) -> None:
        await trio.lowlevel.checkpoint()
        while self._in_flight and not self._ended:
            await self._writable.park()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._receiving:
            raise trio.BusyResourceError("another task is receiving on this stream")
        self._receiving = True
        try:
            await trio.lowlevel.checkpoint()
            while not self._received and not self._ended and not self._closed:
                await self._readable.park()
            if self._closed:
                raise trio.ClosedResourceError("the stream was closed")
            if not self._received:
                return b""
            chunk = self._received.popleft()
            if max_bytes is not None and len(chunk) > max_bytes:
                self._received.appendleft(chunk[max_bytes:])
                chunk = chunk[:max_bytes]
            elif not self._received and not self._ended:
                await self._connection.send(Packet(Command.OKAY, self.local_id, self.remote_id))
            return chunk
        finally:
            self._receiving = False

    async def send_eof(self) -> None:
        """Send CLSE: ADB cannot half-close, so this ends the stream both ways."""
        if self._closed:
            raise trio.ClosedResourceError("the stream was closed")
        await self._end()

    async def aclose(self) -> None:
        self._closed = True
        await self._end()

    async def _end(self) -> None:
        if self._ended:
            await trio.lowlevel.checkpoint()
            return
        self._mark_ended()
        await self._connection.send(Packet(Command.CLSE, self.local_id, self.remote_id))

    def _raise_unless_open(self) -> None:
        if self._closed:
            raise trio.ClosedResourceError("the stream was closed")
        if self._remote_closed:
            raise trio.BrokenResourceError("the host closed the stream")
        if self._ended:
            raise trio.ClosedResourceError("send_eof() was called")

    def _mark_ended(self) -> None:
        self._ended = True
        self._connection.forget(self)
        self._readable.unpark_all()
        self._writable.unpark_all()

    # --- called by the connection's reader --------------------------------
    def on_okay(self) -> None:
        self._in_flight = False
        self._writable.unpark_all()

    def on_write(self, data: bytes) -> None:
        if data:
            self._received.append(data)
            self._readable.unpark_all()

    def on_close(self) -> None:
        self._remote_closed = True
        self._mark_ended()
        if not self._received:
            self.scope.cancel()


class _Connection:
    """One host connection to a phone: handshake, then streams until either side drops."""

    def __init__(self, phone: Phone, socket: trio.abc.Stream, *, auth_required: bool) -> None:
        self._phone = phone
        self._socket = socket
        self._auth_required = auth_required
        self._checksum = True
        self.max_payload = _MAX_PAYLOAD_V1
        self._streams: dict[int, DeviceStream] = {}
        self._ids = itertools.count(1)
        self._outbox, self._outgoing = trio.open_memory_channel[Packet](16)

    async def run(self) -> None:
        if not await self._handshake():
            return
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._write_loop)
            while (packet := await read_packet(self._socket)) is not None:
                await self._dispatch(packet, nursery)
            nursery.cancel_scope.cancel(reason="the host closed the connection")

    async def send(self, packet: Packet) -> None:
        """Queue a packet; one writer task keeps packets whole on the socket."""
        await self._outbox.send(packet)

    def forget(self, stream: DeviceStream) -> None:
        self._streams.pop(stream.local_id, None)

    async def _handshake(self) -> bool:
        """Answer the host's CNXN, unless the phone is offline or wants a key it never takes."""
        while (packet := await read_packet(self._socket)) is not None:
            if packet.command == Command.CNXN:
                self._checksum = packet.arg0 < VERSION_SKIP_CHECKSUM
                self.max_payload = min(packet.arg1, MAX_PAYLOAD)
                if self._phone.state == "offline":
                    continue
                if self._auth_required or self._phone.state == "unauthorized":
                    await self._send_now(Packet(Command.AUTH, AUTH_TOKEN, 0, os.urandom(20)))
                    continue
                await self._send_now(Packet(Command.CNXN, min(packet.arg0, VERSION),
                                            MAX_PAYLOAD, self._banner()))
                return True
            if packet.command == Command.AUTH and packet.arg0 == AUTH_SIGNATURE:
                # Refuse every signature; after its last key the host sends its public key
                # and shows the phone as unauthorized while "the user" never says yes.
                await self._send_now(Packet(Command.AUTH, AUTH_TOKEN, 0, os.urandom(20)))
        return False

    def _banner(self) -> bytes:
        props = self._phone.props
        fields = "".join(f"{name}={props.get(name, '')};" for name in
                         ("ro.product.name", "ro.product.model", "ro.product.device"))
        return f"device::{fields}features={','.join(FEATURES)}".encode()

    async def _send_now(self, packet: Packet) -> None:
        await self._socket.send_all(packet.encode(checksum=self._checksum))

    async def _write_loop(self) -> None:
        async for packet in self._outgoing:
            await self._send_now(packet)

    async def _dispatch(self, packet: Packet, nursery: trio.Nursery) -> None:
        if packet.command == Command.OPEN:
            if packet.arg0 == 0:
                return
            service = packet.data.rstrip(b"\0").decode(errors="replace")
            if not handles(service):
                # A failed OPEN: CLSE with no local id; the client is told "closed".
                await self.send(Packet(Command.CLSE, 0, packet.arg0))
                return
            stream = DeviceStream(self, next(self._ids), packet.arg0)
            self._streams[stream.local_id] = stream
            await self.send(Packet(Command.OKAY, stream.local_id, stream.remote_id))
            nursery.start_soon(self._serve, stream, service)
            return
        target = self._streams.get(packet.arg1)
        if target is None:
            return  # a stream we already closed, or a packet adbd ignores too
        if packet.command == Command.OKAY:
            target.on_okay()
        elif packet.command == Command.WRTE:
            target.on_write(packet.data)
        elif packet.command == Command.CLSE:
            target.on_close()

    async def _serve(self, stream: DeviceStream, service: str) -> None:
        with self._phone.session(), stream.scope:
            async with stream:
                await serve_device_service(self._phone, service, stream)


class DeviceTransport:
    """A phone's ADB port: listens, and serves every host that connects."""

    def __init__(self, phone: Phone, *, auth_required: bool = False) -> None:
        self.phone = phone
        self.auth_required = auth_required
        self._connections: set[trio.CancelScope] = set()

    async def serve(self, *, host: str = "127.0.0.1", port: int = 0,
                    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen on `host:port` until cancelled; `task_status.started(bound_port)`."""
        listeners = await trio.open_tcp_listeners(port, host=host)
        task_status.started(listeners[0].socket.getsockname()[1])
        await trio.serve_listeners(self._serve_connection, listeners)

    def drop_connections(self) -> None:
        """Cut every host connection; hosts reconnect and see the phone's state anew."""
        for scope in list(self._connections):
            scope.cancel()

    async def _serve_connection(self, socket: trio.SocketStream) -> None:
        with self.phone.session(), trio.CancelScope() as scope:
            self._connections.add(scope)
            try:
                async with socket:
                    await _Connection(self.phone, socket,
                                      auth_required=self.auth_required).run()
            except* (trio.BrokenResourceError, ProtocolError):
                pass  # the host went away or spoke no ADB: drop it, as adbd does
            finally:
                self._connections.discard(scope)


async def serve_device_transport(
        phone: Phone, *, host: str = "127.0.0.1", port: int = 0, auth_required: bool = False,
        task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve `phone`'s ADB port, as a network phone's adbd on 5555; `started(bound_port)`.

    With `auth_required`, or while `phone.state` is "unauthorized", the phone demands
    AUTH and never accepts a key, so the adb server lists it as unauthorized.
    """
    await DeviceTransport(phone, auth_required=auth_required).serve(
        host=host, port=port, task_status=task_status)


async def attach_to_adb_server(
        farm: Farm, *, adb_port: int, host: str = "127.0.0.1",
        task_status: trio.TaskStatus[Mapping[str, str]] = trio.TASK_STATUS_IGNORED) -> None:
    """Attach every phone of `farm` to the adb server on `adb_port`, as `adb connect` does.

    Follows the farm until cancelled: phones plugged in later are connected, unplugged
    ones are disconnected at once (as a USB phone vanishes), and a phone whose state
    changes has its connection dropped so the server reconnects and sees the new state.
    `task_status.started` gets a live read-only map of phone serial to the serial the
    adb server knows it by (`127.0.0.1:<port>`), once the server has tried them all.
    """
    attachment = _Attachment(farm, adb_port=adb_port, host=host)
    async with trio.open_nursery() as nursery:
        version = farm.version
        await attachment.sync(nursery)
        task_status.started(MappingProxyType(attachment.serials))
        while True:
            version = await farm.wait_changed(version)
            await attachment.sync(nursery)


@attrs.define
class _Attached:
    transport: DeviceTransport
    scope: trio.CancelScope
    state: State


class _Attachment:
    """Which phones of a farm the adb server has, and on which port each is served."""

    def __init__(self, farm: Farm, *, adb_port: int, host: str) -> None:
        self._farm = farm
        self._adb_port = adb_port
        self._host = host
        self._attached: dict[str, _Attached] = {}
        self._limiter = trio.CapacityLimiter(_CONCURRENT_CONNECTS)
        self.serials: dict[str, str] = {}

    async def sync(self, nursery: trio.Nursery) -> None:
        """Bring the adb server's phones in line with the farm."""
        for serial, attached in list(self._attached.items()):
            phone = self._farm.get(serial)
            if phone is not attached.transport.phone:
                attached.scope.cancel()
                del self._attached[serial]
                await self._request(f"host:disconnect:{self.serials.pop(serial)}")
            elif phone.state != attached.state:
                attached.state = phone.state
                attached.transport.drop_connections()
        new = [phone for phone in self._farm if phone.serial not in self._attached]
        for phone in new:
            transport, scope = DeviceTransport(phone), trio.CancelScope()
            port = await nursery.start(_serve_in_scope, transport, scope, self._host)
            self._attached[phone.serial] = _Attached(transport, scope, phone.state)
            self.serials[phone.serial] = f"{self._host}:{port}"
        async with trio.open_nursery() as connecting:
            for phone in new:
                connecting.start_soon(self._connect, self.serials[phone.serial])

    async def _connect(self, address: str) -> None:
        answer = await self._request(f"host:connect:{address}")
        if not answer.startswith(_CONNECTED):
            raise AdbServerError(answer)

    async def _request(self, request: str) -> str:
        async with self._limiter:
            return await adb_server_request(self._adb_port, request)


async def _serve_in_scope(transport: DeviceTransport, scope: trio.CancelScope, host: str,
                          task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    with scope:
        await transport.serve(host=host, task_status=task_status)


async def adb_server_request(adb_port: int, request: str) -> str:
    """Send one `host:` request to the adb server on `adb_port`; return its answer text."""
    async with await trio.open_tcp_stream("127.0.0.1", adb_port) as stream:
        await stream.send_all(block(request))
        status = await receive_exactly(stream, 4)
        size = int(await receive_exactly(stream, 4), 16)
        message = (await receive_exactly(stream, size)).decode(errors="replace")
    if status != OKAY:
        raise AdbServerError(message)
    return message
