"""System properties and settings: getprop, setprop, settings, wm.

Settings live in the phone's file system (one small file per key under
`/data/system/users/0/`), so they belong to the phone and survive like real ones.
`system user_rotation` is the phone's live rotation.
"""

from __future__ import annotations

import hashlib

from .._shell import ShellResult
from ._base import Call, Handler, fail, ok, subcommand

__all__ = ["COMMANDS"]

_SETTINGS_DIR = "/data/system/users/0/settings_{}/{}"
_NAMESPACES = ("system", "secure", "global")
_DEFAULTS = {
    ("system", "screen_brightness"): "102",
    ("system", "screen_brightness_mode"): "0",
    ("system", "screen_off_timeout"): "600000",
    ("system", "accelerometer_rotation"): "0",
    ("system", "font_scale"): "1.0",
    ("global", "airplane_mode_on"): "0",
    ("global", "adb_enabled"): "1",
    ("global", "wifi_on"): "1",
    ("global", "stay_on_while_plugged_in"): "0",
    ("secure", "default_input_method"):
        "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME",
}


async def getprop(call: Call) -> ShellResult:
    props = call.phone.props
    if not call.args:
        return ok("".join(f"[{key}]: [{props[key]}]\n" for key in sorted(props)))
    default = call.args[1] if len(call.args) > 1 else ""
    return ok(props.get(call.args[0], default) + "\n")


async def setprop(call: Call) -> ShellResult:
    if len(call.args) != 2:
        return fail("usage: setprop NAME VALUE\n")
    key, value = call.args
    props = call.phone.props
    if key.startswith("ro.") and key in props:
        return fail(f"Failed to set property '{key}' to '{value}'.\n"
                    "See dmesg for error reason.\n")
    props[key] = value
    return ok()


def _setting_path(namespace: str, key: str) -> str:
    return _SETTINGS_DIR.format(namespace, key.replace("/", "_"))


def _default(call: Call, namespace: str, key: str) -> str:
    if (namespace, key) == ("system", "user_rotation"):
        return str(call.phone.rotation)
    if (namespace, key) == ("secure", "android_id"):
        return hashlib.sha1(call.phone.serial.encode()).hexdigest()[:16]
    return _DEFAULTS.get((namespace, key), "null")


def _namespace_key(call: Call, count: int) -> tuple[str, ...] | ShellResult:
    args = [a for a in call.args if not a.startswith("--")]  # --user 0, --lineLength
    if len(args) < count or args[0] not in _NAMESPACES:
        return fail(f"Invalid namespace '{args[0]}'\n" if args else
                    "Invalid arguments to settings\n", 255)
    return tuple(args[:count])


async def settings_get(call: Call) -> ShellResult:
    found = _namespace_key(call, 2)
    if isinstance(found, ShellResult):
        return found
    namespace, key = found
    fs, path = call.phone.fs, _setting_path(namespace, key)
    value = fs.read(path).decode() if fs.exists(path) else _default(call, namespace, key)
    return ok(value + "\n")


async def settings_put(call: Call) -> ShellResult:
    found = _namespace_key(call, 3)
    if isinstance(found, ShellResult):
        return found
    namespace, key, value = found
    if (namespace, key) == ("system", "user_rotation") and value in ("0", "1", "2", "3"):
        call.phone.rotation = int(value)
    call.phone.fs.write(_setting_path(namespace, key), value.encode())
    return ok()


async def settings_delete(call: Call) -> ShellResult:
    found = _namespace_key(call, 2)
    if isinstance(found, ShellResult):
        return found
    path = _setting_path(*found)
    existed = call.phone.fs.exists(path)
    if existed:
        call.phone.fs.remove(path)
    return ok(f"Deleted {int(existed)} rows\n")


async def wm_size(call: Call) -> ShellResult:
    return ok(f"Physical size: {call.phone.width}x{call.phone.height}\n")


async def wm_density(call: Call) -> ShellResult:
    return ok(f"Physical density: {call.phone.density}\n")


COMMANDS: dict[str, Handler] = {
    "getprop": getprop,
    "setprop": setprop,
    "settings": subcommand("settings", {
        "get": settings_get, "put": settings_put, "delete": settings_delete}),
    "wm": subcommand("wm", {"size": wm_size, "density": wm_density}),
}
