"""The part of a request on many phones that other hosts' phones take (`POST
/devices/shell`, `/devices/install`, `/devices/input`): sent to each such host's API as
one request naming its phones, with the caller's token, and each phone's result put back
into this host's answer, as if it had done it. A request another host sent is done where
it lands (those phones are its own), never sent on; a host that does not answer is each of
its phones' result."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs
import httpx
import trio
from quart import request

from actors.messages import DeviceSnapshot
from scripts.driver import DriverError

from ..errors import InvalidParams
from ._access import session_cookie
from ._facade import Facade
from ._forward import FROM_HOST, Where
from ._phones import AT_ONCE
from ._wire import json_data, load_json

__all__ = ["Far", "OtherHosts", "on_each_phone"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _OnePhone(Protocol):
    """A phone's result of an operation."""

    @property
    def serial(self) -> str: ...


R = TypeVar("R", bound=_OnePhone)

_CONNECT = 5.0  # seconds another host has to take the connection
_MARGIN = 30.0  # seconds it has to answer beyond the work it was given


@attrs.frozen
class Far:
    """The phones of a request that other hosts see, by host (in the request's order),
    and how to ask those hosts."""

    parts: Mapping[Where, Sequence[str]]
    _client: httpx.AsyncClient | None
    _path: str  # of the route asked: the other hosts are asked the same
    _headers: Mapping[str, str]
    #: Every phone of `parts` (each request asks it once per phone named).
    serials: frozenset[str] = attrs.field(init=False)

    @serials.default
    def _every_part(self) -> frozenset[str]:
        return frozenset(serial for part in self.parts.values() for serial in part)

    async def ask(self, where: Where, answer: type[T], *, per_phone: float,
                  body: object = None, form: Mapping[str, str] | None = None,
                  files: Mapping[str, tuple[str, bytes]] | None = None) -> T | str:
        """POST `body` (JSON), or `form` and `files` (multipart), to the route asked here
        on the API of `where`; the answer as `answer`, or why there is none. That host
        does its phones `AT_ONCE` at a time, each within `per_phone` seconds: it is given
        as long as that takes, and a little more."""
        host, url = where
        assert self._client is not None  # there are parts only with a client
        headers = dict(self._headers)
        if body is not None:
            headers["content-type"] = "application/json"
        rounds = math.ceil(len(self.parts[where]) / AT_ONCE)
        try:
            response = await self._client.post(
                f"{url}{self._path}", headers=headers,
                timeout=httpx.Timeout(_MARGIN + rounds * per_phone, connect=_CONNECT),
                content=None if body is None else json_data(body), data=form, files=files)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            log.warning("host %s did not answer %s: %r", host, self._path, exc)
            return f"host {host}, which the phone is on, did not answer ({exc!r})"
        try:
            said: Any = response.json()
            if said["code"] != 0:
                return f"host {host} refused it: {said['message']}"
            return load_json(said["data"], answer)
        except (ValueError, LookupError, TypeError, InvalidParams) as exc:
            log.warning("host %s answered %s with what this host cannot read: %r", host,
                        self._path, exc)
            return (f"host {host} answered what this host cannot read "
                    f"(HTTP {response.status_code})")


@attrs.frozen
class OtherHosts:
    """The other hosts of the farm, reached through `client` (None: one host alone)."""

    client: httpx.AsyncClient | None
    facade: Facade

    async def far(self, serials: Sequence[str], *,
                  here: Mapping[str, DeviceSnapshot]) -> Far:
        """Those of `serials` not ready here (in `here`, this host's phones) that another
        host sees; none for a request another host sent."""
        parts: dict[Where, list[str]] = {}
        if self.client is not None and FROM_HOST not in request.headers:
            found = await self.facade.apis_of([
                serial for serial in serials
                if serial not in here or here[serial].state != "device"])
            for serial in serials:
                if serial in found:
                    parts.setdefault(found[serial], []).append(serial)
        headers = {FROM_HOST: self.facade.host_id}
        if (token := request.headers.get("authorization")) is not None:
            headers["authorization"] = token
        if (cookie := session_cookie(request.headers.get("cookie", ""))) is not None:
            headers["cookie"] = cookie
        return Far(parts, self.client, request.path, headers)


async def on_each_phone(serials: Sequence[str], away: Mapping[str, str], far: Far,
                        work: Callable[[str], Awaitable[R]],
                        failed: Callable[[str, str], R],
                        there: Callable[[Where, Sequence[str]], Awaitable[Sequence[R] | str]]
                        ) -> list[R]:
    """Each of `serials`' result, in their order: `work` on each phone here that is not
    `away`, and `there` on the other hosts' (`far`: each host's part in one request, its
    phones' results, or why none), all at once; `failed` for the rest, and for a phone
    whose `work` the phone refused (`DriverError`)."""
    done: dict[str, R] = {serial: failed(serial, why) for serial, why in away.items()}

    async def one(serial: str) -> None:
        try:
            done[serial] = await work(serial)
        except DriverError as exc:
            done[serial] = failed(serial, exc.reason)

    async def part(where: Where, serials_there: Sequence[str]) -> None:
        got = await there(where, serials_there)
        said = {} if isinstance(got, str) else {result.serial: result for result in got}
        for serial in serials_there:
            done[serial] = said[serial] if serial in said else failed(
                serial, got if isinstance(got, str) else f"host {where[0]} said nothing of it")

    async with trio.open_nursery() as nursery:
        for serial in serials:
            if serial not in away and serial not in far.serials:
                nursery.start_soon(one, serial)
        for where, serials_there in far.parts.items():
            nursery.start_soon(part, where, serials_there)
    return [done[serial] for serial in serials]
