"""Proxy rotation: a phone's proxy provider asked for a new exit address before a task.

Providers of mobile and residential proxies give each proxy a rotation URL: a request
to it (the method, headers and body they say) changes the address the phone goes out
from. A phone's rotation is set on the device (the API's `PUT /devices/{serial}/proxy`);
a task created with `rotate_proxy` has it called before its script runs, and fails
with the reason if the provider does not answer with success in `timeout_ms`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

import attrs
import httpx

from ._ports import Failure, TaskFailed

__all__ = ["ProxyRotation", "RotationOf", "origin_of", "rotate"]


@attrs.frozen(kw_only=True)
class ProxyRotation:
    """How to rotate one phone's proxy. `headers` and the URL may hold the provider's
    key: they are never logged (`shown_url` is what a log or an answer may show)."""

    rotation_url: str
    method: str = "GET"
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: str = attrs.field(default="", repr=False)
    timeout_ms: int = 10_000

    @property
    def shown_url(self) -> str:
        """What of the URL may be shown (`origin_of`)."""
        return origin_of(self.rotation_url)


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of `url`: what a log, a remark or an answer may show of a
    URL we call, since keys travel in all the rest (credentials, the path of a chat's
    webhook, a `?token=` query)."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None, path="/", query=None,
                                fragment=None)).removesuffix("/")


#: A phone's rotation as it is set now (None: none is set).
RotationOf = Callable[[], Awaitable[ProxyRotation | None]]


async def rotate(http: httpx.AsyncClient, rotation: ProxyRotation | None, serial: str) -> str:
    """Call `rotation`; what happened, in words for the task's log.

    Raises:
        TaskFailed: none is set (permanent: set one and retry), or the provider did not
            answer with success in time (transient: retried as any failure).
    """
    if rotation is None:
        raise TaskFailed(f"proxy rotation failed: none is set for phone {serial} "
                         f"(PUT /api/v1/devices/{serial}/proxy)", Failure.PERMANENT)
    started = time.perf_counter()
    try:
        answer = await http.request(rotation.method, rotation.rotation_url,
                                    headers=dict(rotation.headers),
                                    content=rotation.body.encode() or None,
                                    timeout=rotation.timeout_ms / 1000)
    except httpx.TimeoutException:
        raise TaskFailed(f"proxy rotation failed: {rotation.shown_url} did not answer in "
                         f"{rotation.timeout_ms} ms") from None
    except Exception as exc:  # by its kind only: its words may quote a header's key
        raise TaskFailed(f"proxy rotation failed: {rotation.shown_url}: "
                         f"{type(exc).__name__}") from None
    took = round((time.perf_counter() - started) * 1000)
    if not answer.is_success:
        raise TaskFailed(f"proxy rotation failed: {rotation.shown_url} answered HTTP "
                         f"{answer.status_code}")
    return f"rotated the proxy: {rotation.shown_url} answered HTTP {answer.status_code} " \
           f"in {took} ms"
