"""The `sync:` service: file transfer as adbd speaks it (STAT, LIST, SEND, RECV, QUIT).

Every request is a 4-byte id and a little-endian uint32: a path length for STAT,
LIST, SEND and RECV, a size for DATA, an mtime for DONE. adbd's limits are kept
(64 KiB DATA chunks, 1 KiB paths), and so are its failure texts, since clients show
them to users. After a FAIL adbd ends the session, and so does this.
"""

from __future__ import annotations

import errno
import os
import posixpath
import struct
from collections.abc import Awaitable, Callable

import trio

from ._fs import FileSystem, Stat
from ._phone import Phone
from ._wire import ProtocolError, receive_exactly, receive_or_eof

__all__ = ["SYNC_DATA_MAX", "serve_sync"]

SYNC_DATA_MAX = 64 * 1024
_PATH_MAX = 1024
_HEADER = struct.Struct("<4sI")
_STAT = struct.Struct("<4sIII")
_DENT = struct.Struct("<4sIIII")
_OKAY = _HEADER.pack(b"OKAY", 0)
_DEFAULT_MODE = 0o644
_ERRNO_OF = ((FileNotFoundError, errno.ENOENT), (IsADirectoryError, errno.EISDIR),
             (NotADirectoryError, errno.ENOTDIR))


class _SyncFail(Exception):
    """A request failed: adbd answers FAIL with this text and ends the session."""


def _why(exc: OSError) -> str:
    code = exc.errno or next((c for kind, c in _ERRNO_OF if isinstance(exc, kind)), errno.EIO)
    return os.strerror(code)


def _lookup(fs: FileSystem, path: str) -> Stat | None:
    try:
        return fs.stat(path)
    except FileNotFoundError:  # a relative path: nothing can be there
        return None


async def serve_sync(phone: Phone, stream: trio.abc.HalfCloseableStream) -> None:
    """Answer sync requests until the client sends QUIT, hangs up, or a request fails."""
    while True:
        header = await receive_or_eof(stream, _HEADER.size)
        if header is None:
            return
        ident, length = _HEADER.unpack(header)
        if ident == b"QUIT":
            return
        handler = _HANDLERS.get(ident)
        try:
            if handler is None:
                raise _SyncFail(f"unknown command {ident.hex()}")
            if length > _PATH_MAX:
                raise _SyncFail("path too long")
            path = (await receive_exactly(stream, length)).decode("utf-8", errors="replace")
            if phone.faults.latency:
                await trio.sleep(phone.faults.latency)
            await handler(phone, path, stream)
        except _SyncFail as failure:
            message = str(failure).encode()
            await stream.send_all(_HEADER.pack(b"FAIL", len(message)) + message)
            return


async def _stat(phone: Phone, path: str, stream: trio.abc.SendStream) -> None:
    found = _lookup(phone.fs, path)
    mode, size, mtime = (found.mode, found.size, found.mtime) if found else (0, 0, 0)
    await stream.send_all(_STAT.pack(b"STAT", mode, size, mtime))


def _dent(name: str, entry: Stat) -> bytes:
    raw = name.encode()
    return _DENT.pack(b"DENT", entry.mode, entry.size, entry.mtime, len(raw)) + raw


async def _list(phone: Phone, path: str, stream: trio.abc.SendStream) -> None:
    """One DENT per entry, `.` and `..` included as readdir gives them; a missing folder
    lists nothing, as adbd's does."""
    out = bytearray()
    here = _lookup(phone.fs, path)
    if here is not None and here.is_dir:
        parent = _lookup(phone.fs, posixpath.dirname(posixpath.normpath(path))) or here
        out += _dent(".", here) + _dent("..", parent)
        for name, entry in phone.fs.listdir(path):
            out += _dent(name, entry)
    out += _DENT.pack(b"DONE", 0, 0, 0, 0)
    await stream.send_all(bytes(out))


async def _send(phone: Phone, spec: str, stream: trio.abc.HalfCloseableStream) -> None:
    """Receive DATA chunks up to DONE, then write the file whole (a cut push leaves none)."""
    path, comma, mode_text = spec.rpartition(",")
    if not comma:
        path, mode_text = spec, ""
    mode = int(mode_text) if mode_text.isdigit() else _DEFAULT_MODE
    data = bytearray()
    chunks = 0
    while True:
        ident, length = _HEADER.unpack(await receive_exactly(stream, _HEADER.size))
        if ident == b"DONE":
            break
        if ident != b"DATA" or length > SYNC_DATA_MAX:
            raise ProtocolError(f"bad chunk in SEND: {ident!r} of {length} bytes")
        if chunks == 0 and phone.faults.disconnects("push"):
            phone.faults.disconnect_on = None
            await phone.fail_midway()
        chunks += 1
        data += await receive_exactly(stream, length)
    try:
        phone.fs.write(path, bytes(data), mode=mode & 0o7777, mtime=length)
    except OSError as exc:
        step = "secure_mkdirs failed" if isinstance(exc, NotADirectoryError) \
            else "couldn't create file"
        raise _SyncFail(f"{step}: {_why(exc)}") from None
    await stream.send_all(_OKAY)


async def _recv(phone: Phone, path: str, stream: trio.abc.SendStream) -> None:
    try:
        data = phone.fs.read(path)
    except OSError as exc:
        step = "read failed" if isinstance(exc, IsADirectoryError) else "open failed"
        raise _SyncFail(f"{step}: {_why(exc)}") from None
    out = bytearray()
    for start in range(0, len(data), SYNC_DATA_MAX):
        chunk = data[start:start + SYNC_DATA_MAX]
        out += _HEADER.pack(b"DATA", len(chunk)) + chunk
    out += _HEADER.pack(b"DONE", 0)
    await stream.send_all(bytes(out))


_Handler = Callable[[Phone, str, trio.abc.HalfCloseableStream], Awaitable[None]]
_HANDLERS: dict[bytes, _Handler] = {
    b"STAT": _stat, b"LIST": _list, b"SEND": _send, b"RECV": _recv,
}
