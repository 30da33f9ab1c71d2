"""Requests passed on as they came: from an API process to the core, and from one host of
a farm to another.

An API process answers the task reads itself and forwards everything else to the core.
The reads that dashboards poll (a page of tasks, one task, the stats) need only the
store, which every process can open. Everything else changes state or asks the actors
(creating, stopping, deleting, retrying tasks; devices; accounts; materials), and only
the core process has those: the request goes there as it came, over a Unix socket,
body streamed both ways, and its answer comes back as it went. Forwarding is always
right; answering here is only faster, so the rule for what stays here can stay narrow.

The core, in a farm of several hosts, passes a request about one phone that another host
sees (its object, screen, input, reboot) to that host's API the same way (`ForwardToHost`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Scope,
)
from quart import request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RoutingException

from ..errors import InternalError, OrchestratorError, Unavailable
from ._access import session_cookie
from ._hot import ASGIApp, send_json
from ._keepalive import announces_body
from ._wire import envelope_body

__all__ = ["FROM_HOST", "ForwardToCore", "ForwardToHost", "Where", "answered_here",
           "asked_from"]

log = logging.getLogger(__name__)

#: Headers about one hop (RFC 9110 7.6.1), not the message: never passed on.
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te",
                         b"trailer", b"transfer-encoding", b"upgrade"})
#: Not passed back: the hop-by-hop headers, and what the API process's own server adds
#: to every answer (the core's would come twice).
_NOT_PASSED_BACK = _HOP_BY_HOP | {b"date", b"server"}
_BODILESS = frozenset({"GET", "HEAD"})
#: The header that tells the core who asked an API process (any a client sent is dropped).
_CLIENT = b"x-forwarded-for"
#: The header that says another host passed a request on: it is answered where it lands.
FROM_HOST = "x-orchestrator-from-host"
_FROM_HOST = FROM_HOST.encode()
#: A host of the farm, and the root URL of its API.
Where = tuple[str, str]


class _ClientGone(Exception):
    """The client went away while its request's body was on its way to the core."""


def asked_from() -> str:
    """Who sent the request being answered: its client's address, or, for a request an
    API process forwarded (over the core's private Unix socket), the client it names."""
    if request.remote_addr == "<local>":
        return request.headers.get(_CLIENT.decode(), "an API process")
    return request.remote_addr or "unknown"


def answered_here(url_map: Map) -> Callable[[str, str], bool]:
    """Whether an API process answers a request (`method`, `path`) itself: it matches a
    route of `url_map` (its app has only the reads). Anything else goes to the core."""
    adapter = url_map.bind("localhost")

    def here(method: str, path: str) -> bool:
        try:
            adapter.match(path, method)
        except (HTTPException, RoutingException):
            return False
        return True

    return here


class ForwardToCore:
    """ASGI middleware: requests `here` says are answered here go to `app`, the rest to
    the core's API over `core` (an httpx client whose base URL is the core)."""

    def __init__(self, app: ASGIApp, core: httpx.AsyncClient,
                 here: Callable[[str, str], bool]) -> None:
        self._app = app
        self._core = core
        self._here = here

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] != "http" or self._here(scope["method"], scope["path"]):
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        headers = [(k, v) for k, v in scope["headers"]
                   if k.lower() not in _HOP_BY_HOP and k.lower() != _CLIENT]
        headers.append((_CLIENT, (client[0] if client else "unknown").encode()))
        await _pass_on(scope, receive, send, self._core, self._core.base_url, headers,
                       lambda exc: InternalError(f"internal error: the core did not answer "
                                                 f"({exc!r})"))


class ForwardToHost:
    """ASGI middleware: a request about one phone (a route of `url_map` among `routes`,
    with its `serial`) that another host of the farm sees goes to that host's API
    (`api_of` says which, and where), as it came but for what this hop checked (`Host`,
    `Origin`: the other host checks its own, and the token again) and the cookies other
    than the console's session; anything else, and what another host passed on (never
    passed on again), to `app`. That host refusing the caller's token (401) is this
    farm's fault, not the caller's: it is answered as such."""

    def __init__(self, app: ASGIApp, url_map: Map, *, client: httpx.AsyncClient,
                 routes: frozenset[str], api_of: Callable[[str], Awaitable[Where | None]],
                 host_id: str) -> None:
        self._app = app
        self._client = client
        self._adapter = url_map.bind("localhost")
        self._routes = routes
        self._api_of = api_of
        self._from = (_FROM_HOST, host_id.encode())

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if (scope["type"] != "http" or (serial := self._serial(scope)) is None
                or (found := await self._api_of(serial)) is None):
            await self._app(scope, receive, send)
            return
        host, url = found
        log.log(logging.DEBUG if scope["method"] in _BODILESS else logging.INFO,
                "%s %s: passed on to host %s, which phone %s is on (asked from %s)",
                scope["method"], scope["path"], host, serial, _asker(scope))
        headers = [(k, v) for k, v in scope["headers"]
                   if k.lower() not in _HOP_BY_HOP | {b"host", b"origin", b"cookie"}]
        sessions = [session_cookie(v.decode("latin-1")) for k, v in scope["headers"]
                    if k.lower() == b"cookie"]  # of the cookies, the console's session
        headers += [(b"cookie", session.encode()) for session in sessions if session]
        headers.append(self._from)
        await _pass_on(scope, receive, send, self._client, httpx.URL(url), headers,
                       lambda exc: Unavailable(f"host {host}, which phone {serial} is on, did "
                                               f"not answer ({exc!r})"),
                       lambda status: InternalError(
                           f"internal error: host {host}, which phone {serial} is on, refused "
                           "this host's credentials: give the hosts of a farm one token")
                       if status == 401 else None)

    def _serial(self, scope: HTTPScope) -> str | None:
        """The phone a request is about, if it may be passed on."""
        if any(k.lower() == _FROM_HOST for k, _ in scope["headers"]):
            return None
        try:
            endpoint, args = self._adapter.match(scope["path"], scope["method"])
        except (HTTPException, RoutingException):
            return None
        return str(args["serial"]) if endpoint in self._routes else None


async def _pass_on(scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable,
                   client: httpx.AsyncClient, base: httpx.URL,
                   headers: list[tuple[bytes, bytes]],
                   unanswered: Callable[[Exception], OrchestratorError],
                   refused: Callable[[int], OrchestratorError | None] = lambda _: None
                   ) -> None:
    """Send the request of `scope` with `headers` to `base` (its path and query as they
    came, its body streamed), and its answer back as it comes; the envelope of
    `unanswered` if nothing answers at `base`, or of `refused` (given the answer's status,
    if it says so) instead of the answer. An answer cut off midway is cut off here too."""
    # A body comes with a length or in chunks (sent on in chunks, by httpx), or, over
    # HTTP/2, with neither: every method but GET and HEAD may have one.
    has_body = scope["method"] not in _BODILESS or announces_body(scope)
    target = scope["raw_path"] + (b"?" + scope["query_string"] if scope["query_string"]
                                  else b"")
    request = client.build_request(
        scope["method"], httpx.URL(base, raw_path=target),
        headers=headers, content=_body(receive) if has_body else None)
    try:
        response = await client.send(request, stream=True)
    except _ClientGone:  # nobody to answer
        return
    except httpx.TransportError as exc:
        silence = unanswered(exc)
        log.warning("%s %s: %s", scope["method"], scope["path"], silence.message)
        await _send_error(send, silence)
        return
    try:
        if (error := refused(response.status_code)) is not None:
            await _send_error(send, error)
            return
        async with trio.open_nursery() as nursery:
            if not has_body:  # its receive is free: it says when the client goes
                nursery.start_soon(_cancel_when_gone, receive, nursery.cancel_scope)
            await send(HTTPResponseStartEvent(
                type="http.response.start", status=response.status_code,
                headers=[(k, v) for k, v in response.headers.raw
                         if k.lower() not in _NOT_PASSED_BACK]))
            try:
                async for chunk in response.aiter_raw():
                    await send(HTTPResponseBodyEvent(type="http.response.body", body=chunk,
                                                     more_body=True))
            except httpx.TransportError as exc:  # the client sees its answer end short
                log.warning("the answer to %s %s was cut off: %r", scope["method"],
                            scope["path"], exc)
                nursery.cancel_scope.cancel()
                return
            await send(HTTPResponseBodyEvent(type="http.response.body", body=b"",
                                             more_body=False))
            nursery.cancel_scope.cancel()
    finally:
        await response.aclose()


def _asker(scope: HTTPScope) -> str:
    """Who sent a request, as `asked_from` says it (outside Quart)."""
    client = scope.get("client")
    if client:
        return str(client[0])
    named = dict(scope["headers"]).get(_CLIENT)  # over the core's socket: an API process's
    return named.decode("latin-1") if named else "an API process"


async def _send_error(send: ASGISendCallable, error: OrchestratorError) -> None:
    await send_json(send, error.http_status, envelope_body(
        error.data, code=error.code, message=error.message))


async def _cancel_when_gone(receive: ASGIReceiveCallable, scope: trio.CancelScope) -> None:
    """Cancel `scope` once the client has gone: an answer that never ends (the event
    stream) stops being read from the core then, not at its next write."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def _body(receive: ASGIReceiveCallable) -> AsyncIterator[bytes]:
    while True:
        event = await receive()
        if event["type"] != "http.request":  # the client went away: so does the request
            raise _ClientGone()
        yield event.get("body", b"")
        if not event.get("more_body", False):
            return

