"""Device-side services (`shell:`, `shell,v2:`, `exec:`, `sync:`, `reboot:`) over any
byte stream.

Both front ends call `serve_device_service` once a stream to a phone is open: the fake
ADB server after `host:transport`, the device transport after an OPEN. So the phone's
behaviour is written once.
"""

from __future__ import annotations

import struct

import trio

from ._phone import Phone, PhoneUnplugged
from ._shell import ShellResult
from ._sync import serve_sync
from ._wire import ProtocolError

__all__ = ["FEATURES", "handles", "serve_device_service"]

#: What the simulated adbd offers (`features`, the CNXN banner). Only what is served:
#: a client seeing `stat_v2` or `sendrecv_v2` would speak sync requests this one lacks.
FEATURES = ("shell_v2", "cmd", "fixed_push_mkdir")

_KINDS = frozenset({"shell", "exec", "sync", "reboot"})
_ID_STDOUT, _ID_STDERR, _ID_EXIT = 1, 2, 3
_PACKET = struct.Struct("<BI")
#: Shell v2 packets stay this small, like adbd's pipe reads, for clients with small buffers.
_V2_CHUNK = 4096
#: How long a finished service waits for the client to hang up before closing first.
#: Closing with the client's unread bytes (v2 stdin packets) pending would reset the
#: connection, and a reset can lose the answer the client has not read yet.
_LINGER = 5.0


def _parse(service: str) -> tuple[str, list[str], str]:
    """`shell,v2,raw:ls` -> ("shell", ["v2", "raw"], "ls")."""
    head, _, command = service.partition(":")
    kind, *options = head.split(",")
    return kind, options, command


def handles(service: str) -> bool:
    """Whether adbd serves `service`; others are refused (the client sees `closed`)."""
    return ":" in service and _parse(service)[0] in _KINDS


def _v2_packets(result: ShellResult) -> bytes:
    out = bytearray()
    for ident, data in ((_ID_STDOUT, result.stdout), (_ID_STDERR, result.stderr)):
        for start in range(0, len(data), _V2_CHUNK):
            chunk = data[start:start + _V2_CHUNK]
            out += _PACKET.pack(ident, len(chunk)) + chunk
    out += _PACKET.pack(_ID_EXIT, 1) + bytes([result.exit_code & 0xFF])
    return bytes(out)


async def _hang_up(stream: trio.abc.HalfCloseableStream) -> None:
    """Half-close, then let the client read the answer and close its side."""
    await stream.send_eof()
    with trio.move_on_after(_LINGER):
        while await stream.receive_some():
            pass


async def serve_device_service(phone: Phone, service: str,
                               stream: trio.abc.HalfCloseableStream) -> None:
    """Serve one device service request, `service` being e.g. `shell,v2:ls /sdcard`.

    The caller has already answered OKAY (or the transport its OKAY packet). Unknown
    services close the stream after a FAIL-less close, as adbd does. A client that
    hangs up or garbles the protocol just ends the service.
    """
    kind, options, command = _parse(service)
    try:
        if kind == "sync":
            await serve_sync(phone, stream)
        elif kind in ("shell", "exec"):
            result = await phone.shell(command)
            v2 = kind == "shell" and "v2" in options
            await stream.send_all(_v2_packets(result) if v2 else result.output)
        await _hang_up(stream)
        if kind == "reboot":  # once the client has heard: it cuts this stream too
            phone.reboot()
    except (ProtocolError, PhoneUnplugged, trio.BrokenResourceError):
        return
