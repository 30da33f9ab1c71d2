"""A fake ADB server: the smart-socket protocol on a loopback port, for a farm of phones.

adbutils and the real `adb` client talk to it as to the server on 5037. Host services
(`host:devices`, `host:track-devices`, `host-serial:<s>:get-state`, forwards...) are
answered here with the real server's words; after a transport switch the connection
is handed to `serve_device_service`, inside the phone's session so that unplugging
the phone cuts it. Every lookup is by dict, so 1,000 phones cost no more per request
than one.

`host:kill` is answered OKAY (so `adb kill-server` is content) but the server keeps
serving: its life belongs to the nursery that started it, not to a remote client.
Forwards are only recorded (`list-forward` shows them); no local port is opened.
"""

from __future__ import annotations

import logging
import re

import trio

from ._farm import Farm
from ._phone import Phone, PhoneUnplugged
from ._services import FEATURES, handles, serve_device_service
from ._wire import MAX_BLOCK, OKAY, ProtocolError, block, fail, okay, read_request

__all__ = ["ADB_SERVER_VERSION", "serve_adb_server"]

logger = logging.getLogger(__name__)

#: What `host:version` reports. The `adb` client (1.0.41) kills a server that reports
#: anything else and starts its own on the same port.
ADB_SERVER_VERSION = 41

_UNAUTHORIZED = (
    "device unauthorized.\n"
    "This adb server's $ADB_VENDOR_KEYS is not set\n"
    "Try 'adb kill-server' if that seems wrong.\n"
    "Otherwise check for a confirmation dialog on your device."
)
_STATE_REFUSALS = {"offline": "device offline", "unauthorized": _UNAUTHORIZED}
#: What may follow `host-serial:<serial>:`; serials hold colons, so the service is found
#: by what it looks like, as the real server does.
_TARGETED_SERVICE = re.compile(
    r"(get-state|get-serialno|get-devpath|features|list-forward|killforward-all|"
    r"forward:.*|killforward:.*|wait-for-.*|shell[,:].*|exec:.*|sync:.*)",
    re.DOTALL,
)
_ANY = "any"


class _Refused(Exception):
    """A request the real server answers with FAIL and this text."""


def _split_serial(rest: str) -> tuple[str, str]:
    """`127.0.0.1:5555:get-state` -> ("127.0.0.1:5555", "get-state")."""
    start = 0
    while (colon := rest.find(":", start)) != -1:
        if _TARGETED_SERVICE.fullmatch(rest, colon + 1):
            return rest[:colon], rest[colon + 1:]
        start = colon + 1
    raise _Refused("unknown host service")


def _sanitize(value: str, *, alphanumeric: bool) -> str:
    """As `adb devices -l` prints fields: the model with every non-alphanumeric as `_`."""
    if alphanumeric:
        return re.sub(r"[^0-9A-Za-z]", "_", value)
    return value.replace("\n", "_")


def _fit(lines: list[bytes]) -> bytes:
    """Whole lines, as many as one block holds (1,000 phones in `devices -l` would not)."""
    text = b"".join(lines)
    if len(text) <= MAX_BLOCK:
        return text
    return text[:text.rindex(b"\n", 0, MAX_BLOCK) + 1]


class _AdbServer:
    """State shared by the connections: transport ids and forwards."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self._ids: dict[Phone, int] = {}
        self._by_id: dict[int, Phone] = {}
        self._next_id = 1
        self._forwards: dict[str, tuple[Phone, str]] = {}  # local -> (phone, remote)
        self._listings: dict[bool, tuple[int, bytes]] = {}

    # --- transports --------------------------------------------------------
    def transport_id(self, phone: Phone) -> int:
        """Stable per phone while it stays plugged in, numbered in order of first sight."""
        tid = self._ids.get(phone)
        if tid is None:
            tid = self._ids[phone] = self._next_id
            self._by_id[tid] = phone
            self._next_id += 1
        return tid

    def _plugged(self, phone: Phone | None) -> bool:
        return phone is not None and self.farm.get(phone.serial) is phone

    def acquire(self, target: str | int, *, any_state: bool = False) -> Phone:
        """The phone a request names (a serial, a transport id, or `_ANY` for the only one).

        Raises `_Refused` with the real server's text when there is none, or when it is
        not online and the service needs it to be.
        """
        phone: Phone | None
        if isinstance(target, int):
            phone = self._by_id.get(target)
            if not self._plugged(phone):
                raise _Refused(f"no device with transport id '{target}'")
        elif target != _ANY:
            phone = self.farm.get(target)
            if phone is None:
                raise _Refused(f"device '{target}' not found")
        elif len(self.farm) == 1:
            phone = next(iter(self.farm))
        else:
            raise _Refused("no devices/emulators found" if not len(self.farm)
                           else "more than one device/emulator")
        assert phone is not None
        if not any_state and phone.state in _STATE_REFUSALS:
            raise _Refused(_STATE_REFUSALS[phone.state])
        return phone

    def listing(self, *, long: bool) -> bytes:
        """`host:devices` (or `-l`) text, sorted by serial as the real server sorts it."""
        cached = self._listings.get(long)
        if cached is not None and cached[0] == self.farm.version:
            return cached[1]
        phones = sorted(self.farm, key=lambda p: p.serial)
        if len(self._ids) > 2 * len(phones) + 64:  # forget phones long unplugged
            self._ids = {p: tid for p, tid in self._ids.items() if self._plugged(p)}
            self._by_id = {tid: p for p, tid in self._ids.items()}
        lines = [self._line(phone, long=long) for phone in phones]
        text = _fit(lines)
        self._listings[long] = (self.farm.version, text)
        return text

    def _line(self, phone: Phone, *, long: bool) -> bytes:
        if not long:
            return f"{phone.serial}\t{phone.state}\n".encode()
        line = f"{phone.serial:<22} {phone.state}"
        if phone.state == "device":  # the rest comes from the device's banner
            line += (f" product:{_sanitize(phone.props['ro.product.name'], alphanumeric=False)}"
                     f" model:{_sanitize(phone.model, alphanumeric=True)}"
                     f" device:{_sanitize(phone.props['ro.product.device'], alphanumeric=False)}")
        return f"{line} transport_id:{self.transport_id(phone)}\n".encode()

    # --- connections -------------------------------------------------------
    async def serve_client(self, stream: trio.SocketStream) -> None:
        """One client connection: host requests until one ends it or opens a device service."""
        async with stream:
            try:
                await self._converse(stream)
            except* (ProtocolError, trio.BrokenResourceError, PhoneUnplugged):
                pass  # the client hung up or garbled; nothing to answer
            except* Exception:  # one connection's failure must not stop the server
                logger.exception("adb server: a client connection failed")

    async def _converse(self, stream: trio.SocketStream) -> None:
        switched: Phone | None = None
        while (request := await read_request(stream)) is not None:
            try:
                if switched is not None and not request.startswith("host"):
                    # After a transport switch, the next request goes to the device.
                    if not self._plugged(switched):
                        return
                    await self._open_device_service(stream, switched, request)
                    return
                target, service = self._target_of(request)
                switched = await self._host(stream, target, service)
            except _Refused as refusal:
                await stream.send_all(fail(str(refusal)))
                return
            if switched is None:
                return

    @staticmethod
    def _target_of(request: str) -> tuple[str | int, str]:
        """Which phone a request names, and the service asked of it."""
        prefix, _, rest = request.partition(":")
        if prefix == "host-serial":
            return _split_serial(rest)
        if prefix == "host-transport-id":
            tid, _, service = rest.partition(":")
            if not tid.isdigit():
                raise _Refused("invalid transport id")
            return int(tid), service
        if prefix in ("host", "host-usb", "host-local"):
            return _ANY, rest
        return _ANY, request  # a device service on a fresh connection: the only phone

    async def _host(self, stream: trio.SocketStream, target: str | int,
                    service: str) -> Phone | None:
        """Answer one host service; the phone when the connection switched to it."""
        send = stream.send_all
        match service:
            case "version":
                await send(okay(f"{ADB_SERVER_VERSION:04x}"))
            case "kill":
                await send(OKAY)
            case "devices" | "devices-l":
                await send(okay(self.listing(long=service == "devices-l")))
            case "track-devices" | "track-devices-l":
                await self._track(stream, long=service == "track-devices-l")
            case "host-features":
                await send(okay(",".join(FEATURES)))
            case "features":
                self.acquire(target)
                await send(okay(",".join(FEATURES)))
            case "get-state" | "get-serialno" | "get-devpath":
                phone = self.acquire(target)
                answer = {"get-state": phone.state, "get-serialno": phone.serial,
                          "get-devpath": "unknown"}[service]
                await send(okay(answer))
            case "list-forward":
                await send(okay(self._forward_listing()))
            case "killforward-all":
                self._forwards.clear()
                await send(OKAY + OKAY)  # on the host: connect, then status
            case _ if service.startswith(("forward:", "killforward:")):
                await send(self._forward(self.acquire(target), service))
            case _ if service.startswith("connect:"):
                await send(okay(self._connect(service.removeprefix("connect:"))))
            case _ if service.startswith("disconnect:"):
                await send(okay(self._disconnect(service.removeprefix("disconnect:"))))
            case _ if service.startswith("wait-for-"):
                await self._wait_for(stream, target, service.removeprefix("wait-for-"))
            case _ if service.startswith(("transport", "tport:")):
                return await self._switch(stream, service)
            case _ if handles(service):
                await self._open_device_service(stream, self.acquire(target), service)
            case _:
                raise _Refused("unknown host service")
        return None

    async def _switch(self, stream: trio.SocketStream, service: str) -> Phone:
        """`transport:<s>`, `transport-id:<n>`, `transport-any`, `tport:serial:<s>`..."""
        tport = service.startswith("tport:")
        selector = service.removeprefix("tport:")
        target: str | int
        if selector.startswith(("transport:", "serial:")):
            target = selector.partition(":")[2]
        elif selector.startswith("transport-id:"):
            tid = selector.removeprefix("transport-id:")
            if not tid.isdigit():
                raise _Refused("invalid transport id")
            target = int(tid)
        elif selector in ("transport-any", "transport-usb", "transport-local",
                          "any", "usb", "local"):
            target = _ANY
        else:
            raise _Refused("unknown host service")
        phone = self.acquire(target)
        reply = OKAY
        if tport:
            reply += self.transport_id(phone).to_bytes(8, "little")
        await stream.send_all(reply)
        return phone

    async def _open_device_service(self, stream: trio.SocketStream, phone: Phone,
                                   service: str) -> None:
        if phone.state in _STATE_REFUSALS:
            raise _Refused(_STATE_REFUSALS[phone.state])
        if not handles(service) or phone.faults.unreachable:
            raise _Refused("closed")  # adbd refused the OPEN
        with phone.session():
            await stream.send_all(OKAY)
            await serve_device_service(phone, service, stream)

    async def _track(self, stream: trio.SocketStream, *, long: bool) -> None:
        """The full list now, then again whenever it changes, until the client hangs up."""
        await stream.send_all(OKAY)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_on_hangup, stream, nursery.cancel_scope)
            sent: bytes | None = None
            while True:
                seen = self.farm.version
                text = self.listing(long=long)
                if text != sent:
                    await stream.send_all(block(text))
                    sent = text
                await self.farm.wait_changed(seen)

    async def _wait_for(self, stream: trio.SocketStream, target: str | int, what: str) -> None:
        """`wait-for-<transport>-<state>`: OKAY now, OKAY again once the state is reached."""
        state = what.rpartition("-")[2]
        await stream.send_all(OKAY)
        if target == _ANY and len(self.farm) > 1:
            raise _Refused("more than one device/emulator")
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_cancel_on_hangup, stream, nursery.cancel_scope)
            while not self._reached(target, state):
                await self.farm.wait_changed(self.farm.version)
            await stream.send_all(OKAY)
            nursery.cancel_scope.cancel()

    def _reached(self, target: str | int, state: str) -> bool:
        try:
            phone = self.acquire(target, any_state=True)
        except _Refused:
            return state == "disconnect"
        return state in (phone.state, "any") and state != "disconnect"

    # --- forwards, connect -------------------------------------------------
    def _forward(self, phone: Phone, service: str) -> bytes:
        """Record `forward:[norebind:]<local>;<remote>` or drop `killforward:<local>`."""
        if service.startswith("killforward:"):
            local = service.removeprefix("killforward:")
            if self._forwards.pop(local, None) is None:
                raise _Refused(f"listener '{local}' not found")
            return OKAY + OKAY
        spec = service.removeprefix("forward:")
        norebind = spec.startswith("norebind:")
        spec = spec.removeprefix("norebind:")
        local, _, remote = spec.partition(";")
        if not local or not remote or remote.startswith("*") or ";" in remote:
            raise _Refused(f"bad forward: {spec}")
        if norebind and local in self._forwards:
            raise _Refused("cannot rebind existing socket")
        self._forwards[local] = (phone, remote)
        return OKAY + OKAY  # on the host: connect, then status

    def _forward_listing(self) -> bytes:
        """Every forward, of every phone (as the real server lists them); a phone's go with it."""
        self._forwards = {local: (phone, remote) for local, (phone, remote)
                          in self._forwards.items() if self._plugged(phone)}
        return _fit([f"{phone.serial} {local} {remote}\n".encode()
                     for local, (phone, remote) in self._forwards.items()])

    def _connect(self, address: str) -> str:
        serial = address if ":" in address else f"{address}:5555"
        if serial in self.farm:
            return f"already connected to {serial}"
        return f"failed to connect to '{serial}': Connection refused"

    def _disconnect(self, address: str) -> str:
        """Kick a phone off the bus as the real server kicks a TCP transport."""
        if not address:
            for phone in self.farm:
                if ":" in phone.serial:  # the ones reached over TCP
                    self.farm.unplug(phone.serial)
            return "disconnected everything"
        serial = address if ":" in address else f"{address}:5555"
        if serial not in self.farm:
            raise _Refused(f"no such device '{serial}'")
        self.farm.unplug(serial)
        return f"disconnected {address}"


async def _cancel_on_hangup(stream: trio.SocketStream, scope: trio.CancelScope) -> None:
    """Long-lived answers (track-devices, wait-for) end when the client closes its side."""
    try:
        while await stream.receive_some():
            pass
    except trio.BrokenResourceError:
        pass
    scope.cancel()


async def serve_adb_server(farm: Farm, *, host: str = "127.0.0.1", port: int = 5037,
                           task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve the farm on `host:port` until cancelled; `port=0` picks a free port.

    Reports the bound port through `task_status` once clients can connect.
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    server = _AdbServer(farm)
    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, server.serve_client, listeners)
        task_status.started(listeners[0].socket.getsockname()[1])
