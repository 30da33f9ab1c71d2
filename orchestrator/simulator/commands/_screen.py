"""What is on screen, as files and bytes: `uiautomator dump` and `screencap`.

Screenshots are a solid colour per app in front (a real PNG of the real size),
memoised per (size, colour) so a farm of phones taking screenshots stays cheap.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib

import trio

from .._shell import ShellResult
from .._ui import hierarchy_xml
from ._base import Call, Handler, abspath, fail, ok, subcommand

__all__ = ["COMMANDS"]

DEFAULT_DUMP = "/sdcard/window_dump.xml"
_TTY = "/dev/tty"
_RGBA_8888 = 1


async def dump(call: Call) -> ShellResult:
    """`uiautomator dump [--compressed] [FILE]`, with the phone's dump faults.

    A failing dump prints what the real tool prints when the screen never idles,
    on stderr, and (like the real tool) still exits 0.
    """
    phone = call.phone
    if phone.faults.dump_delay:
        await trio.sleep(phone.faults.dump_delay)
    if phone.faults.dump_fails:
        return fail("ERROR: could not get idle state.\n", 0)
    target = next((a for a in call.args if not a.startswith("--")), DEFAULT_DUMP)
    xml = hierarchy_xml(phone.screen(), rotation=phone.rotation)
    done = f"UI hierchary dumped to: {target}\n"
    if target == _TTY:
        return ok(xml + done)
    path = abspath(target)
    try:
        phone.fs.write(path, xml.encode())
    except (IsADirectoryError, NotADirectoryError):
        return fail(f"ERROR: could not write to {target}\n", 0)
    return ok(done)


@functools.lru_cache(maxsize=32)
def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour, drawn by Pillow.

    Pillow is imported here, where a screenshot is made, so that importing the simulator
    (and so the orchestrator) does not import it on our account.
    """
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(out, format="PNG", compress_level=1)
    return out.getvalue()


@functools.lru_cache(maxsize=8)
def _raw(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """`screencap` without `-p`: width, height, format, colour space, then RGBA pixels."""
    return struct.pack("<4I", width, height, _RGBA_8888, 0) + bytes((*rgb, 255)) * (
        width * height)


def _colour(package: str) -> tuple[int, int, int]:
    code = zlib.crc32(package.encode())
    return 64 + code % 160, 64 + (code >> 8) % 160, 64 + (code >> 16) % 160


async def screencap(call: Call) -> ShellResult:
    """`screencap [-p] [-d ID] [FILE]`: a PNG with `-p` or a `.png` file, else raw."""
    phone = call.phone
    args = list(call.args)
    if "-d" in args:
        del args[args.index("-d"):args.index("-d") + 2]
    target = next((a for a in args if not a.startswith("-")), None)
    png = "-p" in args or (target or "").endswith(".png")
    width, height = (phone.height, phone.width) if phone.rotation % 2 else \
        (phone.width, phone.height)
    colour = _colour(phone.current_focus().split("/")[0])
    image = _png(width, height, colour) if png else _raw(width, height, colour)
    if target is None:
        return ok(image)
    try:
        phone.fs.write(abspath(target), image)
    except (IsADirectoryError, NotADirectoryError):
        return fail(f"Error opening file: {target} (Is a directory)\n")
    return ok()


COMMANDS: dict[str, Handler] = {
    "uiautomator": subcommand("uiautomator", {"dump": dump}),
    "screencap": screencap,
}
