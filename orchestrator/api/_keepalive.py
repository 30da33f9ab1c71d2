"""Answers sent before their request's body was read to its end close the connection.

hypercorn does not skip what is left of a body the app did not read: the next request on
that kept-alive connection then waits for good (seen from `requests.Session`, and from an
API process's pool of connections to the core, after a 404 or a refused body). Closing
the connection after such an answer costs the client one new connection, no more.
"""

from __future__ import annotations

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    ASGISendEvent,
    HTTPScope,
    Scope,
)

from ._hot import ASGIApp

__all__ = ["CloseUnread", "announces_body"]

_CLOSE = (b"connection", b"close")


def announces_body(scope: HTTPScope) -> bool:
    """Whether the request says a body follows (a length above 0, or chunks)."""
    for key, value in scope["headers"]:
        name = key.lower()
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class CloseUnread:
    """ASGI middleware: `Connection: close` on an answer that starts while its request's
    body is still on its way."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] != "http" or not announces_body(scope):
            await self._app(scope, receive, send)
            return
        read = False

        async def receiving() -> ASGIReceiveEvent:
            nonlocal read
            event = await receive()
            read = read or event["type"] != "http.request" or not event.get("more_body")
            return event

        async def sending(event: ASGISendEvent) -> None:
            if event["type"] == "http.response.start" and not read:
                event = {**event, "headers": [*event.get("headers", ()), _CLOSE]}
            await send(event)

        await self._app(scope, receiving, sending)
