"""The console: the web page at `/` (`orchestrator/console/`), and its session.

The page is static files shipped in the package (ES modules, Preact and htm vendored):
no build step, no CDN, working offline. It speaks to the API as any client does, so it
can do nothing a client cannot.

With a token set, a browser without it gets the page that asks for it (`login`, from
`Guard`); `POST /console/session` checks the token given there and answers with the
session cookie (`Access.session`: HttpOnly, so no script reads it; SameSite=Strict, so
no other site's page sends it), which every route then takes as the token.
"""

from __future__ import annotations

import html
import string
from pathlib import Path

import attrs
from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from quart import Blueprint, Response, request, send_from_directory

from ..errors import NotFound
from ._access import SESSION_COOKIE, SESSION_PATH, Access
from ._hot import send_body
from ._openapi import Doc
from ._wire import envelope, read_form

__all__ = ["CONSOLE", "console_routes", "login"]

#: The page's files.
CONSOLE = Path(__file__).resolve().parent.parent / "console"
#: What a page of ours may load and do: its own files, its own API, nothing inline; and
#: no other site may frame it (a click taken over would be a tap on a phone).
_POLICY = {
    "content-security-policy": "default-src 'self'; img-src 'self' blob: data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    # not `no-referrer`: a form's post would then carry `Origin: null`, refused (`_access`)
    "referrer-policy": "same-origin",
}
_LOGIN_POLICY = {**_POLICY, "content-security-policy":
                 "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                 "base-uri 'none'; frame-ancestors 'none'"}
#: The files `/console/{file}` serves, by suffix: not the pages (`/` and `login` serve
#: those), nor anything else in the folder.
_MEDIA = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@attrs.frozen
class Login:
    """The form of `POST /console/session`."""

    token: str


def _login_page(message: str = "") -> bytes:
    page = string.Template((CONSOLE / "login.html").read_text())
    return page.substitute(message=html.escape(message)).encode()


async def login(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """ASGI: the page that asks for the token (HTTP 401)."""
    await send_body(send, 401, _login_page(), "text/html; charset=utf-8",
                    [(k.encode(), v.encode()) for k, v in _LOGIN_POLICY.items()])


def console_routes(access: Access) -> Blueprint:
    """`GET /` (the page), `GET /console/{file}` (its files), and the session
    (`POST`, `DELETE /console/session`) for a server that `access` guards."""
    routes = Blueprint("console", __name__)

    @routes.get("/")
    @Doc(summary="The console: a web page to watch and drive the farm", raw=("text/html",))
    async def page() -> Response:
        # every file asked again each time (a 304 when unchanged): after an upgrade, no
        # page runs with modules of two versions
        answer = await send_from_directory(CONSOLE, "index.html", mimetype="text/html",
                                           cache_timeout=0)
        answer.headers.update(_POLICY)
        return answer

    @routes.get("/console/<path:name>")
    @Doc(summary="A file of the console page",
         raw=tuple(sorted(set(_MEDIA.values()))))
    async def asset(name: str) -> Response:
        media = _MEDIA.get(Path(name).suffix)
        if media is None:
            raise NotFound(f"no such file of the console: {name}")
        answer = await send_from_directory(CONSOLE, name, mimetype=media, cache_timeout=0)
        answer.headers.update(_POLICY)
        return answer

    @routes.post(SESSION_PATH)
    @Doc(summary="Start a console session: the token (form field `token`) for a cookie",
         form=Login, raw=("text/html",))
    async def start() -> Response:
        given = await read_form(Login)
        if not access.admits(given.token):
            said = _login_page("That is not the token this server was given.")
            return Response(said, status=401, mimetype="text/html", headers=_LOGIN_POLICY)
        answer = Response("", status=303, headers={"location": "/"})
        if access.token is not None:
            answer.set_cookie(SESSION_COOKIE, access.session(), httponly=True,
                              samesite="Strict", secure=request.scheme == "https")
        return answer

    @routes.delete(SESSION_PATH)
    @Doc(summary="End the console session (its cookie is cleared)", answer=type(None))
    async def end() -> Response:
        answer = envelope(None)
        answer.delete_cookie(SESSION_COOKIE, httponly=True, samesite="Strict")
        return answer

    return routes
