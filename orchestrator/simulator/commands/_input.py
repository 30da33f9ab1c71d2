"""`input tap|swipe|draganddrop|text|keyevent`, routed to the phone's input methods."""

from __future__ import annotations

import string

from .._shell import ShellResult
from ._base import Call, Handler, fail, ok

__all__ = ["COMMANDS", "KEYCODES"]

#: `KeyEvent` key codes by name (without `KEYCODE_`).
KEYCODES: dict[str, int] = {
    "UNKNOWN": 0, "SOFT_LEFT": 1, "SOFT_RIGHT": 2, "HOME": 3, "BACK": 4, "CALL": 5,
    "ENDCALL": 6, "STAR": 17, "POUND": 18, "DPAD_UP": 19, "DPAD_DOWN": 20, "DPAD_LEFT": 21,
    "DPAD_RIGHT": 22, "DPAD_CENTER": 23, "VOLUME_UP": 24, "VOLUME_DOWN": 25, "POWER": 26,
    "CAMERA": 27, "CLEAR": 28, "COMMA": 55, "PERIOD": 56, "TAB": 61, "SPACE": 62,
    "ENTER": 66, "DEL": 67, "AT": 77, "MENU": 82, "NOTIFICATION": 83, "SEARCH": 84,
    "MEDIA_PLAY_PAUSE": 85, "PAGE_UP": 92, "PAGE_DOWN": 93, "ESCAPE": 111,
    "FORWARD_DEL": 112, "MOVE_HOME": 122, "MOVE_END": 123, "VOLUME_MUTE": 164,
    "APP_SWITCH": 187, "SLEEP": 223, "WAKEUP": 224, "PASTE": 279,
    **{str(digit): 7 + digit for digit in range(10)},
    **{letter: 29 + i for i, letter in enumerate(string.ascii_uppercase)},
}
_SOURCES = frozenset({"keyboard", "mouse", "joystick", "touchnavigation", "touchpad",
                      "trackball", "dpad", "stylus", "gamepad", "touchscreen", "rotaryencoder"})
_USAGE = "Error: Invalid arguments for command: {}\n"


def _keycode(name: str) -> int:
    if name.isdigit():
        return int(name)
    return KEYCODES.get(name.upper().removeprefix("KEYCODE_"), 0)


def _ints(args: tuple[str, ...], count: int) -> list[int] | None:
    try:
        return [int(float(a)) for a in args[:count]] if len(args) >= count else None
    except ValueError:
        return None


async def tap(call: Call) -> ShellResult:
    point = _ints(call.args, 2)
    if point is None:
        return fail(_USAGE.format("tap"), 255)
    call.phone.tap(*point)
    return ok()


async def swipe(call: Call) -> ShellResult:
    points = _ints(call.args, 4)
    if points is None:
        return fail(_USAGE.format(call.argv[0]), 255)
    call.phone.swipe(*points)
    return ok()


async def text(call: Call) -> ShellResult:
    """Android's `input text`: `%s` stands for a space (the shell already unquoted)."""
    if not call.args:
        return fail(_USAGE.format("text"), 255)
    call.phone.type_text(call.args[0].replace("%s", " "))
    return ok()


async def keyevent(call: Call) -> ShellResult:
    codes = [_keycode(a) for a in call.args if not a.startswith("--")]
    if not codes:
        return fail(_USAGE.format("keyevent"), 255)
    for code in codes:
        call.phone.key(code)
    return ok()


_ACTIONS: dict[str, Handler] = {
    "tap": tap, "swipe": swipe, "draganddrop": swipe, "text": text, "keyevent": keyevent,
    "press": lambda call: keyevent(Call(call.phone, ("keyevent", "23"))),
}


async def input_(call: Call) -> ShellResult:
    """`input [-d DISPLAY] [SOURCE] ACTION ARGS...`."""
    args = list(call.args)
    if args[:1] == ["-d"]:
        del args[:2]
    if args[:1] and args[0] in _SOURCES:
        del args[:1]
    action = _ACTIONS.get(args[0]) if args else None
    if action is None:
        return fail(f"Error: Unknown command: {args[0]}\n" if args else
                    "Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n", 255)
    return await action(Call(call.phone, tuple(args), call.stdin))


COMMANDS: dict[str, Handler] = {"input": input_}
