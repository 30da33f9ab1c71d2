"""Who may talk to the API: the `Host` it is asked under, the browser page that asks, and
the token.

Checked ahead of everything else (the hot routes, the forwarding of an API process,
Quart), in this order, each refusal the envelope:

- `Host` (DNS rebinding: a page of `evil.example` whose name then resolves to 127.0.0.1
  reaches this port with `Host: evil.example`): a loopback name or address, the bound
  address, or an `--allow-host` name; any IP address when bound to all of them (a
  rebinding needs a name). No `Host` at all (HTTP/1.0) is no browser. Else 40301.
- `Origin` (a page of another site posting `text/plain`, which needs no CORS preflight):
  when a browser sends one, it is the server's own (`scheme://Host`) or an
  `--allow-origin` one. Clients that send none (curl, requests) are unaffected. Else 40301.
- The token, when one is set: `Authorization: Bearer T`, or the console's session
  cookie (`SESSION_COOKIE`: an HMAC of the token, HttpOnly and SameSite=Strict, set by
  `POST /console/session` once the token is given there), else 40101 with
  `WWW-Authenticate: Bearer`. It is compared in constant time, and never logged. Two
  requests pass without it: that `POST /console/session`, which checks the token it is
  given, and a browser's `GET /` (the console), answered with the page that asks for the
  token (`Guard`'s `login_page`) and nothing of the console.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

import attrs
import httpx
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPScope,
    Scope,
    WebsocketCloseEvent,
)
from werkzeug.http import parse_cookie

from ..errors import Forbidden, OrchestratorError, Unauthorized
from ._hot import ASGIApp, send_json
from ._wire import envelope_body

__all__ = ["OPEN", "SESSION_COOKIE", "SESSION_PATH", "Access", "Guard", "is_http_url",
           "is_loopback", "is_origin", "is_wildcard", "session_cookie"]

#: The console's cookie, and the route that sets it (`_console`).
SESSION_COOKIE = "orchestrator_session"
SESSION_PATH = "/console/session"

_WILDCARDS = frozenset({"", "0.0.0.0", "::"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def session_cookie(cookie: str) -> str | None:
    """Of a `Cookie` header, the console's session alone (as a `Cookie` header), if it is
    there: what another host of the farm needs of it (cookies know no ports, so the
    others may be another app's on this host name)."""
    session = _session(cookie)
    if session is None or not (session.isascii() and session.isalnum()):  # (ours is hex)
        return None
    return f"{SESSION_COOKIE}={session}"


def _session(cookie: str | None) -> str | None:
    """The console's session in a `Cookie` header, if it is there."""
    # werkzeug's parser: the stdlib's stops at the first cookie it cannot read, and
    # cookies know no ports: another app on this host name may have set odd ones
    return parse_cookie(cookie or "").get(SESSION_COOKIE)


def is_wildcard(host: str) -> bool:
    """Whether `host` binds every address of the machine."""
    return host in _WILDCARDS


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address, or `localhost`: what a server may bind
    without a token (a name below `.localhost` is looked up like any other name by the
    resolver, which may answer a public address)."""
    name = host.strip().lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_loopback_name(name: str) -> bool:
    """Whether a browser reaches `name` on loopback: `is_loopback`, and every name below
    `.localhost`, which browsers keep on loopback themselves (RFC 6761)."""
    return is_loopback(name) or name.endswith(".localhost")


def is_origin(text: str) -> bool:
    """Whether `text` is a browser origin, `scheme://host[:port]`."""
    return _normal_origin(text) is not None


def is_http_url(text: str) -> bool:
    """Whether `text` is an `http://` or `https://` URL with a host (one we call)."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _origin(scheme: str, authority: str) -> tuple[str, str, int] | None:
    """`(scheme, host, port)` of `scheme://authority`, the port spelled out; None if it
    does not parse."""
    try:
        parts = urlsplit(f"{scheme}://{authority}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.path or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.rstrip("."), port or _DEFAULT_PORTS.get(parts.scheme, 0)


def _normal_origin(origin: str) -> tuple[str, str, int] | None:
    scheme, _, authority = origin.strip().lower().partition("://")
    return _origin(scheme, authority) if authority else None


@attrs.frozen(kw_only=True)
class Access:
    """The rules of the module docstring, for a server bound to `bound_host`.

    `origins` are whole origins (`http://farm.lan:8080`), `hosts` bare names.
    """

    token: str | None = attrs.field(default=None, repr=False)
    bound_host: str = "127.0.0.1"
    origins: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    _allowed_origins: frozenset[tuple[str, str, int]] = attrs.field(init=False, repr=False)
    _allowed_hosts: frozenset[str] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        origins = {_normal_origin(origin) for origin in self.origins}
        object.__setattr__(self, "_allowed_origins", frozenset(o for o in origins if o))
        names = [self.bound_host, *self.hosts]
        object.__setattr__(self, "_allowed_hosts", frozenset(
            name.strip().lower().strip("[]").rstrip(".") for name in names))

    def _host_refused(self, host: str) -> str | None:
        parts = _origin("http", host.strip().lower())
        name = parts[1].strip("[]") if parts else None
        if name is None:
            return f"the Host header {host!r} is not a host name"
        if (_is_loopback_name(name) or name in self._allowed_hosts
                or (is_wildcard(self.bound_host) and _is_address(name))):
            return None
        return (f"the Host header {host!r} is not served here (DNS rebinding?); "
                "start the server with --allow-host NAME to serve that name")

    def _origin_refused(self, origin: str, scheme: str, host: str | None) -> str | None:
        wanted = _normal_origin(origin)
        own = _origin(scheme, host.strip().lower()) if host else None
        if wanted is not None and (wanted == own or wanted in self._allowed_origins):
            return None
        return (f"requests from the page at {origin!r} are not allowed; start the server "
                "with --allow-origin ORIGIN to allow that page")

    def admits(self, token: str) -> bool:
        """Whether `token` is the server's token (or none is needed)."""
        return self.token is None or hmac.compare_digest(token.encode(), self.token.encode())

    def session(self) -> str:
        """The console cookie's value: the token's HMAC, so the cookie is not the token,
        and a new token ends every session."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"console session", hashlib.sha256).hexdigest()

    def _has_token(self, authorization: str | None, cookie: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, given = (authorization or "").strip().partition(" ")
        if scheme.lower() == "bearer" and self.admits(given.strip()):
            return True
        session = _session(cookie)
        return session is not None and hmac.compare_digest(
            session.encode(), self.session().encode())

    def refusal(self, scope: HTTPScope) -> OrchestratorError | None:
        """Why the request of `scope` is refused, or None."""
        headers: dict[str, str] = {}
        for key, value in scope["headers"]:
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        host = headers.get("host")
        if host is not None and (why := self._host_refused(host)):
            return Forbidden(why)
        origin = headers.get("origin")
        if origin is not None and (why := self._origin_refused(origin, scope["scheme"], host)):
            return Forbidden(why)
        if (scope["path"], scope["method"]) == (SESSION_PATH, "POST"):
            return None  # the token is in its body, and checked there
        if not self._has_token(headers.get("authorization"), headers.get("cookie")):
            return Unauthorized("this server needs a token: send the header "
                                "`Authorization: Bearer <token>`")
        return None


#: Loopback without a token: as open as the product.
OPEN = Access()


class Guard:
    """ASGI middleware: a request `access` refuses is answered here, with the envelope;
    but a `GET /` without the token goes to `login`, which asks for it (the console's).

    No route speaks WebSocket: an upgrade is refused here (HTTP 403 from hypercorn),
    before anything else could take it unchecked.
    """

    def __init__(self, app: ASGIApp, access: Access, login: ASGIApp) -> None:
        self._app = app
        self._access = access
        self._login = login

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable,
                       send: ASGISendCallable) -> None:
        if scope["type"] == "websocket":
            await send(WebsocketCloseEvent(type="websocket.close", code=1008,
                                           reason="no WebSocket here"))
            return
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        error = self._access.refusal(scope)
        if error is None:
            await self._app(scope, receive, send)
            return
        if isinstance(error, Unauthorized) and scope["path"] == "/" \
                and scope["method"] in ("GET", "HEAD"):
            await self._login(scope, receive, send)
            return
        await send_json(send, error.http_status,
                        envelope_body(error.data, code=error.code, message=error.message),
                        headers=error.headers)
