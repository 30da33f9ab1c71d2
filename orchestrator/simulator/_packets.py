"""The ADB transport's message codec: a 24-byte header and an optional payload.

The header is six little-endian uint32s: command, arg0, arg1, payload length,
payload checksum (byte sum; 0 from peers at version 0x01000001, which skip it) and
magic (command ^ 0xffffffff). See adb's `protocol.txt`.
"""

from __future__ import annotations

import enum
import struct

import attrs
import trio

from ._wire import ProtocolError, receive_exactly, receive_or_eof

__all__ = [
    "AUTH_SIGNATURE",
    "AUTH_TOKEN",
    "MAX_PAYLOAD",
    "VERSION",
    "VERSION_SKIP_CHECKSUM",
    "Command",
    "Packet",
    "read_packet",
]

VERSION_SKIP_CHECKSUM = 0x01000001
VERSION = VERSION_SKIP_CHECKSUM
#: What this side accepts in one packet (adbd's MAX_PAYLOAD_V2).
MAX_PAYLOAD = 256 * 1024
#: Larger payloads are refused: no peer may send more than the 1 MiB adb allows.
_PAYLOAD_LIMIT = 1024 * 1024

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2

_HEADER = struct.Struct("<6I")


class Command(enum.IntEnum):
    SYNC = 0x434E5953
    CNXN = 0x4E584E43
    AUTH = 0x48545541
    OPEN = 0x4E45504F
    OKAY = 0x59414B4F
    CLSE = 0x45534C43
    WRTE = 0x45545257
    STLS = 0x534C5453


@attrs.frozen
class Packet:
    """One ADB message. `command` stays an int so unknown commands can be ignored."""

    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    def encode(self, *, checksum: bool) -> bytes:
        check = sum(self.data) & 0xFFFFFFFF if checksum else 0
        header = _HEADER.pack(self.command, self.arg0, self.arg1, len(self.data), check,
                              self.command ^ 0xFFFFFFFF)
        return header + self.data


async def read_packet(stream: trio.abc.ReceiveStream) -> Packet | None:
    """The next packet, or None when the peer closed cleanly between packets."""
    header = await receive_or_eof(stream, _HEADER.size)
    if header is None:
        return None
    command, arg0, arg1, length, _check, magic = _HEADER.unpack(header)
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic {magic:#010x} for command {command:#010x}")
    if length > _PAYLOAD_LIMIT:
        raise ProtocolError(f"payload of {length} bytes is over the limit")
    data = await receive_exactly(stream, length) if length else b""
    return Packet(command, arg0, arg1, data)
