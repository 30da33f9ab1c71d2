"""`/devices/{serial}/proxy`: a phone's proxy rotation (`actors._proxy`), set on the
device, which a task created with `rotate_proxy` calls before its script.

A phone's rotation is a setting: it may be set while the phone is away. An answer never
holds what may be a key: header values and a body are masked, and of the URL only its
origin is shown. A `PUT` changes the fields it names; the first needs `rotation_url`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Annotated

import attrs
from quart import Blueprint, Response

from actors import ProxyRotation

from ..converter import Range
from ..errors import InvalidParams, NotFound
from ._access import is_http_url
from ._facade import Facade
from ._forward import asked_from
from ._openapi import Doc
from ._wire import envelope, load_json, read_object

__all__ = ["proxy_routes"]

log = logging.getLogger(__name__)

MASK = "***"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110)
_VALUE = re.compile(r"[\x20-\x7e\t]*")  # what every HTTP library sends as it is
MAX_HEADERS = 32
MAX_BODY = 64 * 1024
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@attrs.frozen(kw_only=True)
class ProxyBody:
    """A phone's rotation on the wire: the request that rotates its proxy."""

    rotation_url: str
    method: str = "GET"
    headers: dict[str, str] = attrs.Factory(dict)
    body: str = ""
    timeout_ms: Annotated[int, Range(100, 120_000)] = 10_000

    def to_rotation(self) -> ProxyRotation:
        """Raises InvalidParams: a field at fault (named)."""
        if not is_http_url(self.rotation_url):
            raise InvalidParams("$.rotation_url: expected an http:// or https:// URL")
        method = self.method.upper()
        if method not in _METHODS:
            raise InvalidParams(f"$.method: one of {', '.join(_METHODS)}, got {self.method!r}")
        if len(self.headers) > MAX_HEADERS:
            raise InvalidParams(f"$.headers: at most {MAX_HEADERS}")
        for name, value in self.headers.items():
            if not _TOKEN.fullmatch(name):
                raise InvalidParams(f"$.headers: {name!r} is no header name")
            if not _VALUE.fullmatch(value):
                raise InvalidParams(f"$.headers.{name}: a header's value is printable ASCII "
                                    "(a space pasted from a web page may be another)")
        if len(self.body.encode()) > MAX_BODY:
            raise InvalidParams(f"$.body: at most {MAX_BODY} bytes")
        return ProxyRotation(rotation_url=self.rotation_url, method=method,
                             headers=self.headers, body=self.body, timeout_ms=self.timeout_ms)


@attrs.frozen(kw_only=True)
class ProxyView:
    """A phone's rotation as answered: what might be a key masked or left out."""

    serial: str
    rotation_url: str
    method: str
    headers: Mapping[str, str]
    body: str
    timeout_ms: int

    @classmethod
    def of(cls, serial: str, rotation: ProxyRotation) -> ProxyView:
        return cls(serial=serial, rotation_url=rotation.shown_url, method=rotation.method,
                   headers=dict.fromkeys(rotation.headers, MASK),
                   body=MASK if rotation.body else "", timeout_ms=rotation.timeout_ms)


@attrs.frozen(kw_only=True)
class ProxyDeleted:
    serial: str
    deleted: bool = True


def proxy_routes(facade: Facade) -> Blueprint:
    routes = Blueprint("proxies", __name__)
    proxies = facade.store.proxies

    @routes.get("/devices/<serial>/proxy")
    @Doc(summary="The phone's proxy rotation (keys masked)", answer=ProxyView)
    async def get_proxy(serial: str) -> Response:
        rotation = await proxies.rotation_of(serial)
        if rotation is None:
            raise NotFound(f"phone {serial} has no proxy rotation set")
        return envelope(ProxyView.of(serial, rotation))

    @routes.put("/devices/<serial>/proxy")
    @Doc(summary="Set the phone's proxy rotation (the fields named change)", body=ProxyBody,
         partial=True, answer=ProxyView)
    async def set_proxy(serial: str) -> Response:
        changes = await read_object()
        kept = await proxies.rotation_of(serial)
        base = {} if kept is None else attrs.asdict(kept)
        rotation = load_json({**base, **changes}, ProxyBody).to_rotation()
        await proxies.set_rotation(serial, rotation, updated_at=facade.clock.now())
        log.info("proxy rotation of %s set to %s %s (asked from %s)", serial,
                        rotation.method, rotation.shown_url, asked_from())
        return envelope(ProxyView.of(serial, rotation))

    @routes.delete("/devices/<serial>/proxy")
    @Doc(summary="Forget the phone's proxy rotation", answer=ProxyDeleted)
    async def delete_proxy(serial: str) -> Response:
        if not await proxies.delete_rotation(serial):
            raise NotFound(f"phone {serial} has no proxy rotation set")
        return envelope(ProxyDeleted(serial=serial))

    return routes
