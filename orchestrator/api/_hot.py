"""Hot reads answered at the ASGI layer, ahead of Quart's per-request machinery.

`GET /task/stats` is what dashboards poll, many times a second per client. Through
Quart, a request costs a request context, before-request hooks, URL matching and a
response object: more than the answer itself (the stats are kept in memory by the
store). Here a hot route's answer is built by the same `envelope_body` as every other
answer, with the same headers; anything unusual (another method, a gated plan, an
error) falls through to Quart, which answers it as it answers everything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping

from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Scope,
)

__all__ = ["ASGIApp", "HotRoutes", "send_body", "send_json"]

ASGIApp = Callable[[Scope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]
#: A hot route's answer as JSON bytes, or None to leave the request to Quart.
Answer = Callable[[], Awaitable[bytes | None]]


class HotRoutes:
    """ASGI middleware: `GET` of an exact path in `routes` is answered by its `Answer`."""

    def __init__(self, app: ASGIApp, routes: Mapping[str, Answer]) -> None:
        self._app = app
        self._routes = routes

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        answer = (self._routes.get(scope["path"])
                  if scope["type"] == "http" and scope["method"] == "GET" else None)
        body = await answer() if answer is not None else None
        if body is None:
            await self._app(scope, receive, send)
            return
        await send_json(send, 200, body)


async def send_json(send: ASGISendCallable, status: int, body: bytes,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer `body` (JSON) with `status` at the ASGI layer, with Quart's headers (and
    `headers`)."""
    await send_body(send, status, body, "application/json", headers)


async def send_body(send: ASGISendCallable, status: int, body: bytes, media: str,
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer `body` of type `media` with `status` at the ASGI layer (and `headers`)."""
    await send(HTTPResponseStartEvent(
        type="http.response.start", status=status,
        headers=[(b"content-type", media.encode()),
                 (b"content-length", str(len(body)).encode()), *headers]))
    await send(HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False))
