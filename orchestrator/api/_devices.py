"""The `/devices` routes: the farm's phones, one phone, its screen, and input.

The list and one phone's row cover every host of the farm. A phone's screen and input are
its host's to give: another host's phone is passed on to it (`ForwardToHost`, and
`OtherHosts` for input to many). They go through `Phones` (a connection of their own,
bounded on the host), never through the phone's task. A phone must be online for them:
one no host knows is 40401, one offline or unauthorized 40001; one that does not answer in
time is 50301 (try again). Each input is logged, with who asked (never the text typed: it
may be a password).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from typing import Annotated, TypeVar

import attrs
from quart import Blueprint, Response, request

from scripts.driver import AdbDriver, DriverError

from ..converter import Range
from ..errors import InvalidParams, NotFound, Unavailable
from ._create import named_phones
from ._facade import Facade
from ._far import OtherHosts, on_each_phone
from ._forward import FROM_HOST, Where, asked_from
from ._groups import GroupsOfPhones
from ._openapi import Doc
from ._operations import listed
from ._phones import CALL_TIMEOUT, Phones
from ._render import Devices, DeviceView
from ._wire import envelope, read_body, read_query

__all__ = ["device_routes"]

T = TypeVar("T")

log = logging.getLogger(__name__)


class ImageFormat(enum.StrEnum):
    PNG = "png"
    JPEG = "jpeg"


@attrs.frozen(kw_only=True)
class ScreenshotQuery:
    """`format=jpeg` and `max_width` make a thumbnail (the console's wall)."""

    format: ImageFormat = ImageFormat.PNG
    max_width: Annotated[int, Range(16, 4096)] | None = None


class Action(enum.StrEnum):
    TAP = "tap"
    SWIPE = "swipe"
    TEXT = "text"
    KEY = "key"


class Key(enum.StrEnum):
    BACK = "back"
    HOME = "home"
    RECENTS = "recents"
    ENTER = "enter"

    @property
    def code(self) -> int:
        """Android's key code."""
        return {Key.BACK: 4, Key.HOME: 3, Key.RECENTS: 187, Key.ENTER: 66}[self]


Coordinate = Annotated[int, Range(0, 100_000)]
#: Characters one `text` input may type, at most.
MAX_TEXT = 10_000

#: The fields each action needs.
_NEEDS: dict[Action, tuple[str, ...]] = {
    Action.TAP: ("x", "y"), Action.SWIPE: ("x1", "y1", "x2", "y2"),
    Action.TEXT: ("text",), Action.KEY: ("key",)}


@attrs.frozen(kw_only=True)
class Input:
    """One touch, text or key, at a point of the real screen (pixels)."""

    action: Action
    x: Coordinate | None = None
    y: Coordinate | None = None
    x1: Coordinate | None = None
    y1: Coordinate | None = None
    x2: Coordinate | None = None
    y2: Coordinate | None = None
    duration_ms: Annotated[int, Range(1, 10_000)] = 300
    text: str | None = None
    key: Key | None = None

    def check(self) -> None:
        """Raises InvalidParams naming the fields the action lacks, or the one at fault."""
        missing = [name for name in _NEEDS[self.action] if getattr(self, name) is None]
        if missing:
            raise InvalidParams(f"action {self.action} needs {', '.join(missing)}")
        if self.text is not None and len(self.text) > MAX_TEXT:
            raise InvalidParams(f"text: at most {MAX_TEXT} characters, got {len(self.text)}")

    def summary(self) -> str:
        """What it does, for the log: never the text itself."""
        match self.action:
            case Action.TAP:
                return f"tap at {self.x},{self.y}"
            case Action.SWIPE:
                return (f"swipe {self.x1},{self.y1} -> {self.x2},{self.y2} in "
                        f"{self.duration_ms} ms")
            case Action.TEXT:
                return f"text of {len(_given(self.text))} character(s)"
            case Action.KEY:
                return f"key {self.key}"

    async def send(self, driver: AdbDriver) -> None:
        match self.action:
            case Action.TAP:
                await driver.tap(_given(self.x), _given(self.y))
            case Action.SWIPE:
                await driver.swipe(_given(self.x1), _given(self.y1), _given(self.x2),
                                   _given(self.y2), self.duration_ms / 1000)
            case Action.TEXT:
                await driver.type_text(_given(self.text))
            case Action.KEY:
                await driver.key(_given(self.key).code)


@attrs.frozen(kw_only=True)
class ManyInput(Input):
    """The same input to each phone of `serials` and `groups`."""

    serials: list[str] | None = None
    groups: list[str] | None = None

    def check(self) -> None:
        super().check()
        if not self.serials and not self.groups:
            raise InvalidParams("serials: name at least one phone (serials or groups)")


@attrs.frozen(kw_only=True)
class InputFailed:
    serial: str
    reason: str


@attrs.frozen(kw_only=True)
class InputSent:
    """Which phones took the input, and why the others did not."""

    sent: Sequence[str]
    failed: Sequence[InputFailed]


def _given(value: T | None) -> T:
    assert value is not None  # `Input.check` has made sure
    return value


def device_routes(facade: Facade, phones: Phones, held: GroupsOfPhones,
                  others: OtherHosts) -> Blueprint:
    routes = Blueprint("devices", __name__)

    @routes.get("/devices")
    @Doc(summary="The phones of the farm: this host's and the other hosts'", answer=Devices,
         errors=(Unavailable,))
    async def every() -> Response:
        found, groups = await facade.farm_devices(), await held.of()
        return envelope(Devices(devices=[DeviceView.of(
            device, host=host, groups=groups.get(device.serial, []))
            for host, device in found], total=len(found)))

    @routes.get("/devices/<serial>")
    @Doc(summary="One phone of the farm, with what it says of itself (Android, battery) "
         "when online", answer=DeviceDetail, errors=(Unavailable,))
    async def one(serial: str) -> Response:
        host, device = await facade.farm_device(serial)  # (its host answers, if it listens)
        view = DeviceView.of(device, host=host, groups=(await held.of()).get(serial, []))
        facts = PhoneFacts()
        if device.state == "device" and host == facade.host_id:  # another's: not asked
            facts = await _facts(phones, serial)
        return envelope(DeviceDetail(
            **attrs.asdict(view, recurse=False), **attrs.asdict(facts, recurse=False),
            connection="network" if ":" in serial else "usb"))

    @routes.get("/devices/<serial>/screenshot")
    @Doc(summary="The phone's screen, as PNG (or a JPEG thumbnail)", query=ScreenshotQuery,
         raw=("image/png", "image/jpeg"), errors=(Unavailable,))
    async def screenshot(serial: str) -> Response:
        query = read_query(ScreenshotQuery)
        await facade.online(serial)
        jpeg = query.format is ImageFormat.JPEG
        try:
            image = await phones.screenshot(serial, jpeg=jpeg, max_width=query.max_width)
        except DriverError as exc:
            raise Unavailable(f"phone {serial} gave no screen: {exc.reason}") from None
        answer = Response(image, mimetype="image/jpeg" if jpeg else "image/png")
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @routes.post("/devices/<serial>/input")
    @Doc(summary="A tap, swipe, text or key on the phone", body=Input, answer=InputSent,
         errors=(Unavailable,))
    async def input_one(serial: str) -> Response:
        given = await read_body(Input)
        given.check()
        await facade.online(serial)
        _log_input(given, [serial])
        try:
            await phones.call(serial, given.send)
        except DriverError as exc:
            raise Unavailable(f"phone {serial} did not take it: {exc.reason}") from None
        return envelope(InputSent(sent=[serial], failed=[]))

    @routes.post("/devices/input")
    @Doc(summary="The same input on many phones (sync control)", body=ManyInput,
         answer=InputSent, errors=(NotFound, Unavailable))
    async def input_many() -> Response:
        given = await read_body(ManyInput)
        given.check()
        serials = await named_phones(given.serials, given.groups, facade.store.groups)
        devices = await facade.devices()
        far = await others.far(serials, here=devices)
        unknown = [serial for serial in serials
                   if serial not in devices and serial not in far.serials]
        if unknown and FROM_HOST not in request.headers:  # (passed on: said per phone)
            raise NotFound(f"no phone {', '.join(unknown)}")
        _log_input(given, serials)

        async def send(serial: str) -> InputFailed:
            await phones.call(serial, given.send)
            return InputFailed(serial=serial, reason="")

        async def there(where: Where, part: Sequence[str]) -> Sequence[InputFailed] | str:
            got = await far.ask(where, InputSent, per_phone=CALL_TIMEOUT,
                                body=attrs.evolve(given, serials=list(part), groups=None))
            return got if isinstance(got, str) else [
                *(InputFailed(serial=serial, reason="") for serial in got.sent), *got.failed]

        results = await on_each_phone(
            serials, {serial: f"no phone {serial}" for serial in unknown}, far, send,
            lambda serial, why: InputFailed(serial=serial, reason=why or "it did not take it"),
            there)  # reason "": taken
        return envelope(InputSent(sent=[done.serial for done in results if not done.reason],
                                  failed=[done for done in results if done.reason]))

    return routes


#: What a phone is asked about itself, in one shell line, and how long it has to answer.
_FACTS = "getprop ro.build.version.release; getprop ro.build.version.sdk; dumpsys battery"
FACTS_WITHIN = 2.0


@attrs.frozen(kw_only=True, slots=False)  # slots of its own would clash in DeviceDetail
class PhoneFacts:
    """What a phone says of itself; null when it is not online or does not say in time."""

    android_version: str | None = None
    sdk: int | None = None
    battery_level: int | None = None
    charging: bool | None = None


@attrs.frozen(kw_only=True)
class DeviceDetail(PhoneFacts, DeviceView):
    """One phone: its device object, how it is connected (`usb`, or `network` for a
    phone reached with `adb connect host:port`), and what it says of itself."""

    connection: str


async def _facts(phones: Phones, serial: str) -> PhoneFacts:
    try:
        said = await phones.call(serial, lambda driver: driver.run_line(
            _FACTS, limit=16_384, deadline=FACTS_WITHIN))
    except DriverError:
        return PhoneFacts()
    lines = said.output.decode(errors="replace").splitlines()
    release, sdk = [*lines, "", ""][:2]
    battery = lines[2:]
    fields = dict(line.strip().partition(": ")[::2] for line in battery if ": " in line)
    status = fields.get("status", "")
    return PhoneFacts(android_version=release.strip() or None,
                      sdk=int(sdk) if sdk.strip().isdigit() else None,
                      battery_level=int(fields["level"]) if fields.get("level", "").isdigit()
                      else None,
                      charging=status in ("2", "5") if status.isdigit() else None)


def _log_input(given: Input, serials: Sequence[str]) -> None:
    log.info("%s on %s (asked from %s)", given.summary(), listed(serials), asked_from())
