"""The activity manager and friends: `am start|force-stop|broadcast`, `monkey`.

Output follows `ActivityManagerShellCommand`: `Starting: Intent {...}` on stdout,
errors on stderr (on stdout with `-W`) and exit code 1. Broadcasts of ADBKeyBoard
(`ADB_INPUT_TEXT`, `ADB_INPUT_B64`, `ADB_INPUT_CODE`, `ADB_EDITOR_CODE`) type into
the focused field, as that keyboard does when it is the active IME.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from .._app import App, Intent
from .._phone import ActivityNotFound, Phone
from .._shell import ShellResult
from ._base import Call, Handler, fail, ok, subcommand
from ._intent import (
    FLAG_ACTIVITY_NEW_TASK,
    IntentArgs,
    component_long,
    component_short,
    describe,
    parse_intent,
)

__all__ = ["COMMANDS"]

FLAG_RECEIVER_FOREGROUND = 0x400000
KEYCODE_ENTER = 66
_TASK_TO_FRONT = "Warning: Activity not started, its current task has been brought to the front\n"
_DELIVERED = ("Warning: Activity not started, intent has been delivered to currently running"
              " top-most instance.\n")
_LAUNCH_TIMES = {"COLD": 412, "WARM": 187, "HOT": 63}


def _parse(call: Call, verb: str) -> IntentArgs | ShellResult:
    try:
        return parse_intent(call.args)
    except ValueError as error:
        return fail(f"Exception occurred while executing '{verb}':\n"
                    f"java.lang.IllegalArgumentException: {error}\n", 255)


def _launch_state(phone: Phone, package: str | None) -> str:
    app = phone.apps.get(package or "")
    if app is None or not app.running:
        return "COLD"
    return "HOT" if phone.foreground is app else "WARM"


def _not_started(intent: Intent) -> str:
    if intent.component:
        return ("Error type 3\nError: Activity class "
                f"{component_long(intent.component)} does not exist.\n")
    return ("Error: Activity not started, unable to resolve "
            f"{describe(intent, extra_flags=FLAG_ACTIVITY_NEW_TASK)}\n")


def _waited(app: App, state: str) -> str:
    activity = component_short(f"{app.package}/{app.current_activity()}")
    total = _LAUNCH_TIMES[state]
    return (f"Status: ok\nLaunchState: {state}\nActivity: {activity}\nTotalTime: {total}\n"
            f"WaitTime: {total + 4}\nComplete\n")


async def start(call: Call) -> ShellResult:
    parsed = _parse(call, "start")
    if isinstance(parsed, ShellResult):
        return parsed
    intent, wait, phone = parsed.intent, "-W" in parsed.switches, call.phone
    if "-S" in parsed.switches and intent.target_package:
        phone.force_stop(intent.target_package)
    state = _launch_state(phone, intent.target_package)
    starting = f"Starting: {describe(intent)}\n"
    try:
        app = phone.start_activity(intent)
    except ActivityNotFound:
        message = _not_started(intent)
        if wait:
            return ShellResult(stdout=(starting + message).encode(), exit_code=1)
        return fail(message, stdout=starting)
    warning = ""
    if state == "HOT":
        warning = _TASK_TO_FRONT if intent.action in (None, "android.intent.action.MAIN") \
            else _DELIVERED
    if wait:
        return ok(starting + warning + _waited(app, state))
    return ShellResult(stdout=starting.encode(), stderr=warning.encode())


async def force_stop(call: Call) -> ShellResult:
    for package in call.args:
        if not package.startswith("-"):
            call.phone.force_stop(package)
    return ok()


def _typed_b64(phone: Phone, extras: dict[str, str]) -> None:
    try:
        phone.type_text(base64.b64decode(extras.get("msg", ""), validate=True).decode())
    except (binascii.Error, UnicodeDecodeError):
        return


def _key_code(phone: Phone, extras: dict[str, str]) -> None:
    code = extras.get("code", "")
    if code.isdigit():
        phone.key(int(code))


_KEYBOARD: dict[str, Callable[[Phone, dict[str, str]], None]] = {
    "ADB_INPUT_TEXT": lambda phone, extras: phone.type_text(extras.get("msg", "")),
    "ADB_INPUT_B64": _typed_b64,
    "ADB_INPUT_CODE": _key_code,
    "ADB_EDITOR_CODE": lambda phone, extras: phone.key(KEYCODE_ENTER),
}


async def broadcast(call: Call) -> ShellResult:
    parsed = _parse(call, "broadcast")
    if isinstance(parsed, ShellResult):
        return parsed
    intent = parsed.intent
    receiver = _KEYBOARD.get(intent.action or "")
    if receiver is not None:
        receiver(call.phone, dict(intent.extras))
    return ok(f"Broadcasting: {describe(intent, extra_flags=FLAG_RECEIVER_FOREGROUND)}\n"
              "Broadcast completed: result=0\n")


async def monkey(call: Call) -> ShellResult:
    """`monkey -p PKG -c android.intent.category.LAUNCHER 1`: launches the app."""
    args = call.args
    packages = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-p"]
    echoed = "".join(f"  bash arg: {arg}\n" for arg in args)
    launchable = [p for p in packages if p in call.phone.apps]
    if not launchable:
        return fail("** No activities found to run, monkey aborted.\n", 252, stdout=echoed)
    call.phone.launch(launchable[0])
    data = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg in ("-p", "-c")]
    count = args[-1] if args and args[-1].isdigit() else "0"
    return ok(echoed + f"args: [{', '.join(args)}]\n"
              + "".join(f' arg: "{arg}"\n' for arg in args)
              + "".join(f'data="{value}"\n' for value in data)
              + f"Events injected: {count}\n"
              "## Network stats: elapsed time=18ms (0ms mobile, 0ms wifi, 18ms not connected)\n")


AM = subcommand("am", {
    "start": start, "start-activity": start, "force-stop": force_stop, "kill": force_stop,
    "broadcast": broadcast,
})

COMMANDS: dict[str, Handler] = {"am": AM, "monkey": monkey}
