"""The package manager: `pm list packages`, `pm path`, `pm clear`, `pm install`,
`pm uninstall`, `pm resolve-activity`, plus the facts about packages `dumpsys package`
shares."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
import zlib
from typing import TYPE_CHECKING

from .._shell import ShellResult
from ._base import Call, Handler, fail, ok, subcommand

if TYPE_CHECKING:
    from .._phone import Phone

__all__ = ["COMMANDS", "apk_dir", "apk_path", "pid_of", "version_code"]


def _token(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode()


def apk_dir(package: str) -> str:
    """The stable, realistic install folder of a third-party package."""
    return f"/data/app/~~{_token('dir:' + package)}/{package}-{_token(package)}"


def apk_path(phone: Phone, package: str) -> str | None:
    """Where `pm path` says the package's APK is; None if it is not installed."""
    if package in phone.apps or package in phone.installed:
        return f"{apk_dir(package)}/base.apk"
    if package == "android":
        return "/system/framework/framework-res.apk"
    if package in phone.packages:
        name = package.rsplit(".", 1)[-1].capitalize()
        return f"/system/priv-app/{name}/{name}.apk"
    return None


def version_code(version_name: str) -> int:
    """`33.2.4` -> 330204: a plausible code that grows with the version name."""
    code = 0
    for part in version_name.split(".")[:3]:
        code = code * 100 + (int(part) if part.isdigit() else 0)
    return code or 1


def pid_of(package: str) -> int:
    """A stable, plausible process id for a running package."""
    return 2000 + zlib.crc32(package.encode()) % 28000


async def list_packages(call: Call) -> ShellResult:
    """`pm list packages [-3|-s] [-f] [-i] [--user N] [FILTER]`."""
    phone = call.phone
    args = list(call.args)
    if "--user" in args:
        del args[args.index("--user"):args.index("--user") + 2]
    flags = {a for a in args if a.startswith("-")}
    text_filter = next((a for a in args if not a.startswith("-")), "")
    own = [*phone.apps, *sorted(phone.installed)]
    names = own if "-3" in flags else \
        [p for p in phone.packages if p not in own] if "-s" in flags else phone.packages
    lines = []
    for name in names:
        if text_filter not in name:
            continue
        shown = f"{apk_path(phone, name)}={name}" if "-f" in flags else name
        lines.append(f"package:{shown}" + ("  installer=null" if "-i" in flags else "") + "\n")
    return ok("".join(lines))


async def path(call: Call) -> ShellResult:
    found = apk_path(call.phone, call.args[-1]) if call.args else None
    return ok(f"package:{found}\n") if found else ShellResult(exit_code=1)


async def clear(call: Call) -> ShellResult:
    package = call.args[-1] if call.args else ""
    if package not in call.phone.packages:
        return fail("Failed\n")
    call.phone.force_stop(package)
    return ok("Success\n")


async def uninstall(call: Call) -> ShellResult:
    package = call.args[-1] if call.args else ""
    if package in call.phone.installed:
        call.phone.installed.discard(package)
        return ok("Success\n")
    if package not in call.phone.apps:
        return ShellResult(stdout=b"Failure [DELETE_FAILED_INTERNAL_ERROR]\n", exit_code=1)
    call.phone.force_stop(package)
    del call.phone.apps[package]
    return ok("Success\n")


_PACKAGE = re.compile(rb'package="([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+)"')


def _package_of(apk: bytes) -> str | None:
    """The package an APK declares; the simulator reads a manifest kept as text (a real
    APK's is binary XML, which it does not parse)."""
    try:
        with zipfile.ZipFile(io.BytesIO(apk)) as archive:
            manifest = archive.read("AndroidManifest.xml")
    except (zipfile.BadZipFile, KeyError):
        return None
    found = _PACKAGE.search(manifest)
    return found[1].decode() if found else None


async def install(call: Call) -> ShellResult:
    """`pm install [-r] [-t] [-g] PATH`: the APK pushed to PATH, as pm words it."""
    paths = [arg for arg in call.args if not arg.startswith("-")]
    if len(paths) != 1:
        return fail("Error: APK content must be streamed\n", 255)
    try:
        apk = call.phone.fs.read(paths[0])
    except OSError:
        return ShellResult(stdout=b"Failure [INSTALL_FAILED_INVALID_URI]\n", exit_code=1)
    package = _package_of(apk)
    if package is None:
        return ShellResult(stdout=b"Failure [INSTALL_PARSE_FAILED_NOT_APK: Failed to parse "
                           b"APK: not a zip with a manifest]\n", exit_code=1)
    if package in call.phone.packages and "-r" not in call.args:
        return ShellResult(stdout=f"Failure [INSTALL_FAILED_ALREADY_EXISTS: Attempt to "
                           f"re-install {package} without first uninstalling.]\n".encode(),
                           exit_code=1)
    call.phone.installed.add(package)
    return ok("Success\n")


async def resolve_activity(call: Call) -> ShellResult:
    """`pm resolve-activity --brief PKG`, as uiautomator2 and others launch apps."""
    app = call.phone.apps.get(call.args[-1]) if call.args else None
    if app is None:
        return ok("No activity found\n")
    return ok("priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=true\n"
              f"{app.package}/{app.launcher_activity}\n")


PM = subcommand("pm", {
    "list": subcommand("pm list", {"packages": list_packages}),
    "path": path,
    "clear": clear,
    "install": install,
    "uninstall": uninstall,
    "resolve-activity": resolve_activity,
})

COMMANDS: dict[str, Handler] = {"pm": PM}
