"""What is on screen, as files and bytes: `uiautomator dump` and `screencap`.

Screenshots are the screen's UI tree drawn (`_paint`), at the phone's size.
"""

from __future__ import annotations

import trio

from .. import _paint as paint
from .._shell import ShellResult
from .._ui import hierarchy_xml
from ._base import Call, Handler, abspath, fail, ok, subcommand

__all__ = ["COMMANDS"]

DEFAULT_DUMP = "/sdcard/window_dump.xml"
_TTY = "/dev/tty"


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


async def screencap(call: Call) -> ShellResult:
    """`screencap [-p] [-d ID] [FILE]`: a PNG with `-p` or a `.png` file, else raw."""
    phone = call.phone
    args = list(call.args)
    if "-d" in args:
        del args[args.index("-d"):args.index("-d") + 2]
    target = next((a for a in args if not a.startswith("-")), None)
    png = "-p" in args or (target or "").endswith(".png")
    draw = paint.png if png else paint.raw
    # drawn in a thread: a new screen takes tens of milliseconds, the phones' loop none
    image = await trio.to_thread.run_sync(
        draw, phone.screen(), phone.width, phone.height, phone.rotation)
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
