"""The part of a request on many phones that other hosts' phones take (`POST
/devices/shell`, `/devices/install`, `/devices/input`): sent to each such host's API as
one request naming its phones, with the caller's token, and each phone's result put back
into this host's answer, as if it had done it. A request another host sent is done where
it lands (those phones are its own), never sent on; a host that does not answer is each of
its phones' result."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs
import httpx
import trio
from quart import request

from scripts.driver import DriverError

from ._facade import Facade
from ._forward import FROM_HOST
from ._wire import json_data, load_json

__all__ = ["Far", "OtherHosts", "Where", "on_each_phone"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class _OnePhone(Protocol):
    """A phone's result of an operation."""

    @property
    def serial(self) -> str: ...


R = TypeVar("R", bound=_OnePhone)

#: A host of the farm, and the root URL of its API.
Where = tuple[str, str]
#: What goes on with a request: the caller's credentials, which the other host checks.
_CREDENTIALS = ("authorization", "cookie")


@attrs.frozen
class Far:
    """The phones of a request that other hosts see, by host (in the request's order),
    and how to ask those hosts."""

    parts: Mapping[Where, Sequence[str]]
    _client: httpx.AsyncClient | None
    _headers: Mapping[str, str]

    @property
    def serials(self) -> set[str]:
        return {serial for part in self.parts.values() for serial in part}

    async def ask(self, where: Where, path: str, answer: type[T], *, wait: float,
                  body: object = None, form: Mapping[str, str] | None = None,
                  files: Mapping[str, tuple[str, bytes]] | None = None) -> T | str:
        """POST `body` (JSON), or `form` and `files` (multipart), to `path` of the API of
        `where`, waiting up to `wait` seconds for each part of its answer; the answer as
        `answer`, or why there is none."""
        host, url = where
        assert self._client is not None  # there are parts only with a client
        headers = dict(self._headers)
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = await self._client.post(
                f"{url}/api/v1{path}", headers=headers, timeout=wait,
                content=None if body is None else json_data(body), data=form, files=files)
            said: Any = response.json()
            if said["code"] != 0:
                return f"host {host} refused it: {said['message']}"
            return load_json(said["data"], answer)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("host %s did not answer %s: %r", host, path, exc)
            return f"host {host}, which the phone is on, did not answer ({exc!r})"


@attrs.frozen
class OtherHosts:
    """The other hosts of the farm, reached through `client` (None: one host alone)."""

    client: httpx.AsyncClient | None
    facade: Facade

    async def far(self, serials: Sequence[str], *, ready_here: Collection[str]) -> Far:
        """Those of `serials` not ready here that another host sees; none for a request
        another host sent."""
        parts: dict[Where, list[str]] = {}
        if self.client is not None and FROM_HOST not in request.headers:
            found = await self.facade.apis_of([s for s in serials if s not in ready_here])
            for serial in serials:
                if serial in found:
                    parts.setdefault(found[serial], []).append(serial)
        headers = {name: value for name in _CREDENTIALS
                   if (value := request.headers.get(name)) is not None}
        headers[FROM_HOST] = self.facade.host_id
        return Far(parts, self.client, headers)


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

    far_serials = far.serials
    async with trio.open_nursery() as nursery:
        for serial in serials:
            if serial not in away and serial not in far_serials:
                nursery.start_soon(one, serial)
        for where, serials_there in far.parts.items():
            nursery.start_soon(part, where, serials_there)
    return [done[serial] for serial in serials]
