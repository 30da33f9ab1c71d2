"""`Idempotency-Key: <client string>` on the routes that create things (API.md, Under
load): a repeat of a request, with the same key on the same route within `KEEP_SECONDS`
(24 h), answers the first answer again (its HTTP status and body) and creates nothing.

- Where: in the core process, which every creating route is forwarded to (`_forward`),
  so its lock per key covers every API process; the answers are kept in the store, so
  they outlive a restart.
- Which repeat: a key (1 to `MAX_KEY_LENGTH` printable ASCII characters) is scoped to
  its route (method and rule); the same key with another request (by a fingerprint of
  what it carried) is the caller's mistake, 40001.
- Only successes are kept (a view that returns has succeeded: errors are raised, for
  `_app` to answer), so a refused request may be fixed and sent again with its key.
- At once: a second request with a key in use waits for the first (a lock per key) and
  gets its answer.
- A client that gave up (Quart cancels the request on a disconnect) is what the key is
  for: once the request has arrived, its view runs to its end and its answer is kept,
  shielded (the view's own deadlines bound it), so the client's retry gets that answer.

Not atomic: the answer is kept right after the view succeeded, in a transaction of its
own, because what the view created was written by another (the scheduler's `SubmitTasks`,
`create_accounts`) or is no transaction at all (the materials' files); keeping it in the
tasks' transaction would have `SubmitTasks` carry it into the scheduler. A crash between
the two, or a database refusing the answer (the success is still answered, and logged),
leaves what was created without its key: a repeat creates the tasks again, and is
refused for an account or a file (its name is taken: 40001; with `replace`, the upload
replaces it again).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import IO, Any, ParamSpec

import trio
from quart import Response, request

from actors import WallClock

from ..errors import InvalidParams
from ..store import DATABASE_ERRORS, AnswerStore, KeptAnswer
from ._schema import Schema

__all__ = ["HEADER", "KEEP_SECONDS", "MAX_KEY_LENGTH", "Idempotency", "key_parameter", "takes_key"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
View = Callable[P, Awaitable[Response]]

HEADER = "Idempotency-Key"
#: How long a kept answer is answered again; older ones are forgotten.
KEEP_SECONDS = 24 * 3600.0
MAX_KEY_LENGTH = 255
#: What a key may be: printable ASCII, as a regular expression of both Python and
#: ECMA-262 (the OpenAPI document's).
_KEY = f"[ -~]{{1,{MAX_KEY_LENGTH}}}"
_MULTIPART = "multipart/form-data"
_CHUNK = 1024**2


def key_parameter() -> Schema:
    """The header as the OpenAPI document describes it (`_openapi`)."""
    return {
        "name": HEADER, "in": "header", "required": False,
        "description": "Any string of the client's: a repeat with the same key on this"
                       " route within 24 h answers the first answer again (HTTP status and"
                       " body) and creates nothing; the same key with another body is 40001."
                       " Only successes are kept: a refused request may be fixed and sent"
                       " again with its key.",
        "schema": {"type": "string", "pattern": f"^{_KEY}$"},
    }


_TAKES_KEY = "takes_idempotency_key"


def takes_key(view: Callable[..., Any]) -> bool:
    """Whether the view function takes an `Idempotency-Key` (`Idempotency`)."""
    return getattr(view, _TAKES_KEY, False) is True


class Idempotency:
    """The decorator of the views that take an `Idempotency-Key`, below their `Doc`; its
    answers are kept in `store`, dated by `clock`."""

    def __init__(self, store: AnswerStore, clock: WallClock) -> None:
        self._store = store
        self._clock = clock
        self._locks: dict[tuple[str, str], trio.Lock] = {}

    def __call__(self, view: View[P]) -> View[P]:
        @functools.wraps(view)
        async def once(*args: P.args, **kwargs: P.kwargs) -> Response:
            key = _key()
            if key is None:
                return await view(*args, **kwargs)
            assert request.url_rule is not None  # a view runs for a route
            route = f"{request.method} {request.url_rule.rule}"
            fingerprint = await _fingerprint()
            async with self._lock(route, key):
                kept = await self._store.find_answer(
                    route, key, since=self._clock.now() - KEEP_SECONDS)
                if kept is not None:
                    if kept.fingerprint != fingerprint:
                        raise InvalidParams(f"{HEADER}: {key!r} was used for another request"
                                            f" to {route} in the last 24 h")
                    return Response(kept.body, status=kept.status,
                                    mimetype="application/json")
                with trio.CancelScope(shield=True):
                    answer = await view(*args, **kwargs)
                    await self._keep(route, key, fingerprint, answer)
                return answer

        setattr(once, _TAKES_KEY, True)
        return once

    @asynccontextmanager
    async def _lock(self, route: str, key: str) -> AsyncIterator[None]:
        """Hold the lock of `key` on `route`, made when first wanted and dropped once
        nobody holds or awaits it."""
        lock = self._locks.setdefault((route, key), trio.Lock())
        try:
            async with lock:
                yield
        finally:
            # trio hands a released lock straight to the next in line: locked until the last.
            if not lock.locked() and not lock.statistics().tasks_waiting:
                del self._locks[route, key]

    async def _keep(self, route: str, key: str, fingerprint: str, answer: Response) -> None:
        now = self._clock.now()
        kept = KeptAnswer(fingerprint=fingerprint, status=answer.status_code,
                          body=await answer.get_data(as_text=True))
        try:
            await self._store.keep_answer(route, key, kept, at=now,
                                          forget_before=now - KEEP_SECONDS)
        except DATABASE_ERRORS:  # what was created stands: answered, as API.md wants
            log.exception("%s %s succeeded, but its %s %r could not be kept", request.method,
                          request.path, HEADER, key)


def _key() -> str | None:
    """The request's `Idempotency-Key`, if it has one.

    Raises:
        InvalidParams: given twice, or not 1 to `MAX_KEY_LENGTH` printable ASCII characters.
    """
    keys = request.headers.getlist(HEADER)
    if not keys:
        return None
    if len(keys) > 1 or not re.fullmatch(_KEY, keys[0]):
        raise InvalidParams(f"{HEADER}: must be given once, 1 to {MAX_KEY_LENGTH} printable"
                            " ASCII characters")
    return keys[0]


async def _fingerprint() -> str:
    """The SHA-256 of what the request carries: its media type and body, or, of a
    multipart form, its fields and files (each sending of one picks its own boundary, so
    the same form is never the same bytes twice). Read once here, the views read it
    again from Quart's cache."""
    if request.mimetype != _MULTIPART:
        body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
        return hashlib.sha256(request.mimetype.encode() + b"\n" + body).hexdigest()
    parts: list[list[str | None]] = [[name, value]
                                     for name, value in (await request.form).items(multi=True)]
    for name, part in (await request.files).items(multi=True):
        parts.append([name, part.filename, await trio.to_thread.run_sync(_digest, part.stream)])
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _digest(stream: IO[bytes]) -> str:
    """The SHA-256 of a file part (blocking: a spooled file), rewound for the view."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()
