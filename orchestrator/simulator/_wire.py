"""Smart-socket framing, as the adb client and server speak it on the wire.

A request is four hex digits of length followed by that many bytes; an answer is
`OKAY` or `FAIL`, often followed by a block framed the same way. The length field
is four hex digits, so a block cannot exceed 64 KiB: the real server cannot send
more either, and clients (adbutils, the `adb` tool) read exactly four digits.
"""

from __future__ import annotations

import trio

__all__ = [
    "MAX_BLOCK",
    "OKAY",
    "ProtocolError",
    "block",
    "fail",
    "okay",
    "read_request",
    "receive_exactly",
    "receive_or_eof",
]

MAX_BLOCK = 0xFFFF
OKAY = b"OKAY"


class ProtocolError(Exception):
    """The peer sent something that is not the protocol, or hung up mid-message."""


async def _receive(stream: trio.abc.ReceiveStream, size: int) -> bytes:
    """Up to `size` bytes: fewer only when the peer closed its side."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = await stream.receive_some(size - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


async def receive_exactly(stream: trio.abc.ReceiveStream, size: int) -> bytes:
    """Exactly `size` bytes; the peer hanging up first is a `ProtocolError`."""
    data = await _receive(stream, size)
    if len(data) < size:
        raise ProtocolError(f"peer closed after {len(data)} of {size} bytes")
    return data


async def receive_or_eof(stream: trio.abc.ReceiveStream, size: int) -> bytes | None:
    """Exactly `size` bytes, or None when the peer closed cleanly before the first one."""
    data = await _receive(stream, size)
    if not data:
        return None
    if len(data) < size:
        raise ProtocolError(f"peer closed after {len(data)} of {size} bytes")
    return data


async def read_request(stream: trio.abc.ReceiveStream) -> str | None:
    """The next smart-socket request, or None when the client hung up between requests."""
    header = await receive_or_eof(stream, 4)
    if header is None:
        return None
    try:
        size = int(header, 16)
    except ValueError:
        raise ProtocolError(f"bad request length {header!r}") from None
    return (await receive_exactly(stream, size)).decode("utf-8", errors="replace")


def block(data: bytes | str) -> bytes:
    """`data` framed with its four-hex-digit length."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_BLOCK:
        raise ValueError(f"a block holds at most {MAX_BLOCK} bytes, not {len(raw)}")
    return b"%04x" % len(raw) + raw


def okay(data: bytes | str | None = None) -> bytes:
    """`OKAY`, followed by `data` as a block when there is an answer to give."""
    return OKAY if data is None else OKAY + block(data)


def fail(message: str) -> bytes:
    """`FAIL` and the reason, which clients show to the user (`error: <reason>`)."""
    return b"FAIL" + block(message)
