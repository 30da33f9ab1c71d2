"""`dumpsys`: the lines of each service that adbutils and scripts read.

Each service is a function returning its text; only the lines tools grep for are
real (rotation, focused window, battery, power, package facts), in the real layout.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

from .._shell import ShellResult
from ._base import Call, Handler, fail, ok
from ._intent import component_short
from ._pm import apk_dir, pid_of, version_code

__all__ = ["COMMANDS"]


def _hex(text: str) -> str:
    """A stable object hash, as Java prints `Object{4d5e6f7 ...}`."""
    return f"{zlib.crc32(text.encode()):07x}"[:7]


def _focus(call: Call) -> str:
    """The focused component, short form (`pkg/.Main`) as window titles show it."""
    return component_short(call.phone.current_focus())


def _record(call: Call) -> str:
    focus = _focus(call)
    return f"ActivityRecord{{{_hex(focus)} u0 {focus} t{pid_of(focus) % 90 + 10}}}"


def display(call: Call) -> str:
    p = call.phone
    w, h = (p.height, p.width) if p.rotation % 2 else (p.width, p.height)
    return (
        "DISPLAY MANAGER (dumpsys display)\n"
        f"  mViewports=[DisplayViewport{{type=INTERNAL, valid=true, isActive=true, displayId=0,"
        f" uniqueId='local:4619827259835644672', physicalPort=0, orientation={p.rotation},"
        f" logicalFrame=Rect(0, 0 - {w}, {h}), physicalFrame=Rect(0, 0 - {w}, {h}),"
        f" deviceWidth={w}, deviceHeight={h}}}]\n"
        f"  mBaseDisplayInfo=DisplayInfo{{\"Built-in Screen\", displayId 0, real {p.width} x"
        f" {p.height}, rotation 0, density {p.density}}}\n"
        f"  mOverrideDisplayInfo=DisplayInfo{{\"Built-in Screen\", displayId 0, real {w} x {h},"
        f" rotation {p.rotation}, density {p.density}}}\n")


def input_(call: Call) -> str:
    p = call.phone
    return ("INPUT MANAGER (dumpsys input)\n\nInput Reader State:\n"
            f"    Viewport INTERNAL: displayId=0, uniqueId=local:4619827259835644672,"
            f" port=0, orientation={p.rotation}, logicalFrame=[0, 0, {p.width}, {p.height}]\n"
            f"      SurfaceOrientation: {p.rotation}\n")


def window(call: Call) -> str:
    focus = _focus(call)
    return ("WINDOW MANAGER WINDOWS (dumpsys window windows)\n"
            f"  Window #0 Window{{{_hex(focus + 'w')} u0 {focus}}}:\n"
            f"  mCurrentFocus=Window{{{_hex(focus + 'w')} u0 {focus}}}\n"
            f"  mFocusedApp={_record(call)}\n"
            f"  mRotation={call.phone.rotation}\n")


def activity(call: Call) -> str:
    focus = _focus(call)
    return ("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)\n"
            f"  mResumedActivity: {_record(call)}\n"
            f"  ResumedActivity: {_record(call)}\n"
            "TASK 10 id=10\n"
            f"  ACTIVITY {focus} {_hex(focus + 'a')} pid={pid_of(focus.split('/')[0])}\n")


def battery(call: Call) -> str:
    return ("Current Battery Service state:\n  AC powered: false\n  USB powered: true\n"
            "  Wireless powered: false\n  Dock powered: false\n"
            "  Max charging current: 500000\n  Max charging voltage: 5000000\n"
            "  Charge counter: 2780000\n  status: 2\n  health: 2\n  present: true\n"
            f"  level: {call.phone.battery_level}\n  scale: 100\n  voltage: 4208\n"
            "  temperature: 250\n  technology: Li-ion\n")


def power(call: Call) -> str:
    return ("POWER MANAGER (dumpsys power)\nPower Manager State:\n  mWakefulness=Awake\n"
            "  mWakefulnessChanging=false\n  mIsPowered=true\n  mPlugType=2\n"
            "  mHoldingWakeLockSuspendBlocker=false\n  mHoldingDisplaySuspendBlocker=true\n"
            "Display Power: state=ON\n")


def surface_flinger(call: Call) -> str:
    return ('Display 4619827259835644672 (HWC display 0): port=0 pnpId=GGL'
            ' displayName="Built-in Screen"\n')


def package(call: Call) -> str:
    name = call.args[0] if call.args else ""
    app = call.phone.apps.get(name)
    if app is None:
        return ""
    installed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1_700_000_000))
    return (f"Packages:\n  Package [{name}] ({_hex(name)}):\n"
            f"    userId={10000 + pid_of(name) % 300}\n"
            f"    pkg=Package{{{_hex(name + 'p')} {name}}}\n"
            f"    codePath={apk_dir(name)}\n"
            f"    versionCode={version_code(app.version_name)} minSdk=21 targetSdk=33\n"
            f"    versionName={app.version_name}\n"
            f"    signatures=PackageSignatures{{{_hex(name + 's')} [{_hex(name + 'k')}]}}\n"
            "    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP ]\n"
            f"    timeStamp={installed}\n"
            f"    firstInstallTime={installed}\n"
            f"    lastUpdateTime={installed}\n")


_SERVICES: dict[str, Callable[[Call], str]] = {
    "display": display, "input": input_, "window": window, "activity": activity,
    "battery": battery, "power": power, "package": package, "SurfaceFlinger": surface_flinger,
}


async def dumpsys(call: Call) -> ShellResult:
    service = _SERVICES.get(call.args[0]) if call.args else None
    if service is None:
        name = call.args[0] if call.args else ""
        return fail(f"Can't find service: {name}\n")
    return ok(service(call.shift()))


COMMANDS: dict[str, Handler] = {"dumpsys": dumpsys}
