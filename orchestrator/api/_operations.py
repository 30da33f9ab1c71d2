"""Device operations on many phones at once (API.md "Running a farm"): a shell command,
an APK install, a reboot.

They go through `Phones` (a connection of their own, bounded on the host), beside
whatever task a phone runs: an operator's tool, like the console's input. Phones are
named by `serials` and/or `groups`; each gets a result of its own, so a phone that is
away (not connected, offline) or fails is said there and holds up none of the others.
Each operation is logged with who asked; a command only by its first word and length
(it may hold a password).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Annotated

import attrs
import trio
from quart import Blueprint, Response, request

from scripts.driver import AdbDriver, DriverError

from ..converter import Range
from ..errors import InvalidParams, Unavailable
from ._body import takes_body
from ._create import named_phones
from ._facade import Facade
from ._far import Far, OtherHosts, on_each_phone
from ._forward import Where, asked_from
from ._openapi import Doc
from ._phones import Phones
from ._wire import envelope, read_body, read_form

__all__ = ["listed", "operation_routes"]

log = logging.getLogger(__name__)

#: Bytes of output kept per phone; past them the command is cut off.
MAX_OUTPUT = 64 * 1024
MAX_COMMAND = 4096
#: An APK's bytes, at most.
MAX_APK_BYTES = 512 * 1024**2
APK_SECONDS = 600  # to receive one
INSTALL_SECONDS = 300.0  # per phone, for pm to install it (pushing it has its own bound)


@attrs.frozen(kw_only=True)
class ShellCommand:
    """A shell line for each phone named, run as the phone's shell reads it."""

    serials: list[str] | None = None
    groups: list[str] | None = None
    command: str
    #: Seconds each phone has to finish it.
    timeout: Annotated[int, Range(1, 300)] = 10


@attrs.frozen(kw_only=True)
class ShellDone:
    """One phone's result: `exit_code` null when it did not finish (`error` says why)
    or its output went past `MAX_OUTPUT` (`truncated`)."""

    serial: str
    exit_code: int | None
    output: str
    truncated: bool = False
    error: str | None = None


@attrs.frozen(kw_only=True)
class ShellResults:
    results: Sequence[ShellDone]


@attrs.frozen(kw_only=True)
class InstallForm:
    """The form fields of `POST /devices/install` beside its `apk` part: serials and
    group names, each separated by commas."""

    serials: str = ""
    groups: str = ""


@attrs.frozen(kw_only=True)
class Installed:
    """One phone's result: whether pm installed it, and what pm said (or why not)."""

    serial: str
    installed: bool
    output: str
    error: str | None = None


@attrs.frozen(kw_only=True)
class InstallResults:
    results: Sequence[Installed]


@attrs.frozen(kw_only=True)
class Rebooting:
    serial: str
    rebooting: bool = True


def _words(text: str) -> list[str] | None:
    found = [word.strip() for word in text.split(",") if word.strip()]
    return found or None


def operation_routes(facade: Facade, phones: Phones, others: OtherHosts) -> Blueprint:
    routes = Blueprint("operations", __name__)

    async def targets(serials: list[str] | None, groups: list[str] | None
                      ) -> tuple[list[str], dict[str, str], Far]:
        """The phones named (each once, in order); of them, those that are not online
        here, with why; and those another host sees (`others`), done there."""
        if not serials and not groups:
            raise InvalidParams("$.serials: name at least one phone (serials or groups)")
        named = await named_phones(serials, groups, facade.store.groups)
        if not named:
            raise InvalidParams("$.groups: the groups named hold no phone")
        devices = await facade.devices()
        states = {serial: device.state for serial, device in devices.items()}
        far = await others.far(named, here=devices)
        away = {serial: f"phone {serial} is {states.get(serial, 'not connected')}"
                for serial in named if states.get(serial) != "device"
                and serial not in far.serials}
        return named, away, far

    @routes.post("/devices/shell")
    @Doc(summary="A shell command on many phones at once; each phone's exit code and output",
         body=ShellCommand, answer=ShellResults, errors=(Unavailable,))
    async def shell() -> Response:
        given = await read_body(ShellCommand)
        command = given.command.strip()
        if not command or len(command) > MAX_COMMAND or "\0" in command:
            raise InvalidParams(f"$.command: 1 to {MAX_COMMAND} characters, no NUL")
        serials, away, far = await targets(given.serials, given.groups)
        log.info("shell `%s …` (%d characters) on %s (asked from %s)",
                 command.split()[0], len(command), listed(serials), asked_from())

        async def run(serial: str) -> ShellDone:
            done = await phones.call(serial, lambda driver: driver.run_line(
                command, limit=MAX_OUTPUT, deadline=given.timeout))
            return ShellDone(serial=serial, exit_code=done.exit_code,
                             output=done.output.decode(errors="replace"),
                             truncated=done.truncated)

        async def there(where: Where, part: Sequence[str]) -> Sequence[ShellDone] | str:
            got = await far.ask(where, ShellResults, per_phone=given.timeout,
                                body=attrs.evolve(given, serials=list(part), groups=None))
            return got if isinstance(got, str) else got.results

        results = await on_each_phone(serials, away, far, run, lambda serial, why: ShellDone(
            serial=serial, exit_code=None, output="", error=why), there)
        return envelope(ShellResults(results=results))

    @routes.post("/devices/install")
    @Doc(summary="Install an APK on many phones at once (multipart: `apk`, serials, groups)",
         form=InstallForm, files="apk", answer=InstallResults, errors=(Unavailable,))
    @takes_body(MAX_APK_BYTES, seconds=APK_SECONDS)
    async def install() -> Response:
        form = await read_form(InstallForm)
        parts = (await request.files).getlist("apk")
        if len(parts) != 1:
            raise InvalidParams("$.apk: a multipart/form-data body with one `apk` part is "
                                "required")
        apk = parts[0].stream.read()
        if not apk.startswith(b"PK\x03\x04"):
            raise InvalidParams("$.apk: not an APK (an APK is a zip file)")
        name = parts[0].filename or "an APK"
        serials, away, far = await targets(_words(form.serials), _words(form.groups))
        log.info("install %s (%d bytes) on %s (asked from %s)", name, len(apk),
                 listed(serials), asked_from())

        async def push_and_install(driver: AdbDriver) -> Installed:
            remote = f"/data/local/tmp/orchestrator-{uuid.uuid4().hex}.apk"
            try:
                await driver.push(apk, remote)
                said = await driver.run_line(f"pm install -r -t {remote}", limit=MAX_OUTPUT,
                                             deadline=INSTALL_SECONDS)
            finally:
                with trio.CancelScope(shield=True), trio.move_on_after(5):
                    await driver.shell("rm", "-f", remote)
            output = said.output.decode(errors="replace").strip()
            return Installed(serial=driver.serial, installed=said.exit_code == 0
                             and "Success" in output, output=output)

        async def run(serial: str) -> Installed:
            return await phones.call(serial, push_and_install)

        async def there(where: Where, part: Sequence[str]) -> Sequence[Installed] | str:
            got = await far.ask(where, InstallResults,
                                per_phone=APK_SECONDS + INSTALL_SECONDS,
                                form={"serials": ",".join(part)}, files={"apk": (name, apk)})
            return got if isinstance(got, str) else got.results

        results = await on_each_phone(serials, away, far, run, lambda serial, why: Installed(
            serial=serial, installed=False, output="", error=why), there)
        return envelope(InstallResults(results=results))

    @routes.post("/devices/<serial>/reboot")
    @Doc(summary="Restart the phone (its running task, if any, fails: phone lost)",
         answer=Rebooting, errors=(Unavailable,))
    async def reboot(serial: str) -> Response:
        await facade.online(serial)
        log.info("reboot %s (asked from %s)", serial, asked_from())
        try:
            await phones.call(serial, lambda driver: driver.reboot())
        except DriverError as exc:
            raise Unavailable(f"phone {serial} did not take it: {exc.reason}") from None
        return envelope(Rebooting(serial=serial))

    return routes


def listed(serials: Sequence[str]) -> str:
    """Up to ten serials, for the log."""
    more = f" and {len(serials) - 10} more" if len(serials) > 10 else ""
    return ", ".join(serials[:10]) + more
