"""What a client sends, read at the edge, so that nothing it can send reaches a store or a
traceback: a body's size, its JSON, and the text in it.

- Size: a body is at most `MAX_JSON_BYTES` (1 MiB; API.md, Safety), whether or not it says
  its length, except on a route marked `@takes_body(limit)` (the materials upload). Quart
  keeps one limit per app (`MAX_CONTENT_LENGTH`, set to the largest any route takes), fixed
  before the route is known, so `limit_body` lowers it once routing has picked the route;
  a body over it stops being buffered there. Such a route may also give its body longer
  to arrive than Quart's 60 s, set there too, before any decorator of its view reads it
  (`_idempotency`).
- JSON: UTF-8; no `NaN`/`Infinity` and no number beyond a float's range (what no strict
  client could read back); arrays and objects nested at most `MAX_DEPTH` deep.
- Text: no NUL (PostgreSQL refuses it in a text column) and no lone surrogate (JSON's
  `"\\ud800"`; neither store can encode it), in any string or key, named by its path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TypeVar

from quart import current_app, request
from quart_trio.wrappers.request import TrioBody, TrioRequest
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import InvalidParams

__all__ = ["MAX_DEPTH", "MAX_JSON_BYTES", "BadInput", "LimitedRequest", "check_value",
           "limit_body", "parse_json", "takes_body"]

#: The largest body of every route but those marked `takes_body` (API.md, Safety).
MAX_JSON_BYTES = 1024**2
#: How deeply arrays and objects may nest in what a client sends: far more than any request
#: needs, far less than Python's recursion limit, which parsing, storing and answering it
#: would hit (a `script_config` nested 900 deep was stored, then every page listing its
#: task answered 50001).
MAX_DEPTH = 32

V = TypeVar("V", bound=Callable[..., object])
_BODY_LIMIT = "body_limit"
_BODY_SECONDS = "body_seconds"


class BadInput(ValueError):
    """Input the API cannot take: where (`path`, like `$.a[0]`; None: the body as a whole)
    and what is wrong (`problem`)."""

    def __init__(self, path: str | None, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def _size(limit: int) -> str:
    for unit, name in ((1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit} bytes"


def _too_large(limit: int) -> InvalidParams:
    """A body over its route's limit (its answer closes the connection: `_keepalive`)."""
    return InvalidParams(f"the body is larger than {_size(limit)}, the most this route takes")


class _Body(TrioBody):
    """Quart's body whose limit can be lowered, and whose refusal is our 40001."""

    def __init__(self, expected_content_length: int | None,
                 max_content_length: int | None) -> None:
        super().__init__(expected_content_length, max_content_length)
        self._name_refusal()

    def append(self, data: bytes) -> None:
        super().append(data)
        self._name_refusal()

    def lower_limit(self, limit: int) -> None:
        self._max_content_length = limit
        if len(self._data) > limit:
            self._data.clear()
            self._must_raise = _too_large(limit)
            self.set_complete()

    def _name_refusal(self) -> None:
        if isinstance(self._must_raise, RequestEntityTooLarge) and self._max_content_length:
            self._must_raise = _too_large(self._max_content_length)


class LimitedRequest(TrioRequest):
    """The app's request class (`app.request_class`): its body limit can be lowered."""

    body_class = _Body

    def limit_body(self, limit: int) -> None:
        """Take a body of at most `limit` bytes: no more is buffered, and reading it
        raises `InvalidParams`.

        Raises:
            InvalidParams: the request's Content-Length is over `limit`.
        """
        self.max_content_length = limit  # the form parser's limit
        if self.content_length is not None and self.content_length > limit:
            raise _too_large(limit)
        if isinstance(self.body, _Body):
            self.body.lower_limit(limit)


def takes_body(limit: int, *, seconds: int | None = None) -> Callable[[V], V]:
    """Let the route below take bodies up to `limit` bytes rather than `MAX_JSON_BYTES`,
    arriving within `seconds` rather than Quart's `body_timeout`."""

    def mark(view: V) -> V:
        setattr(view, _BODY_LIMIT, limit)
        setattr(view, _BODY_SECONDS, seconds)
        return view

    return mark


async def limit_body() -> None:
    """Before each request (routing done): its route's body limit and time (`takes_body`),
    else `MAX_JSON_BYTES` and Quart's."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit: int = getattr(view, _BODY_LIMIT, MAX_JSON_BYTES)
    seconds: int | None = getattr(view, _BODY_SECONDS, None)
    if seconds is not None:
        request.body_timeout = seconds
    if isinstance(request, LimitedRequest):
        request.limit_body(limit)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:20]} is beyond a float's range")
    return number


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes, *, encoding: str = "utf-8") -> object:
    """The JSON value of a body, checked by `check_value`.

    Raises:
        BadInput: the body is not text in `encoding`, not JSON, nested too deeply, or a
            value in it is at fault (named by its path).
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadInput(None, f"the body is not UTF-8 text: {exc}") from None
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise BadInput(None, _too_deep("the body")) from None
    except ValueError as exc:
        raise BadInput(None, f"the body is not valid JSON: {exc}") from None
    check_value(value)
    return value


def _too_deep(what: str) -> str:
    return f"{what} is nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)"


def text_problem(text: str) -> str | None:
    """What makes `text` unfit to keep, or None."""
    if "\x00" in text:
        return "must not contain a NUL character (\\u0000)"
    try:
        text.encode()
    except UnicodeEncodeError as exc:
        return f"must not contain a lone surrogate ({text[exc.start]!r})"
    return None


def check_value(value: object, path: str = "$", depth: int = 0) -> None:
    """Check every string and key in `value` (JSON, or a flat mapping of query or form
    fields) with `text_problem`, and its nesting against `MAX_DEPTH`.

    Raises:
        BadInput: at the first fault, with its path.
    """
    if isinstance(value, str):
        if problem := text_problem(value):
            raise BadInput(path, problem)
        return
    if not isinstance(value, Mapping | list):
        return
    if depth >= MAX_DEPTH:
        raise BadInput(path, _too_deep("this value"))
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{path}[{index}]", depth + 1)
        return
    for key, item in value.items():
        if problem := text_problem(str(key)):
            raise BadInput(path, f"a key {problem}")
        check_value(item, f"{path}.{key}", depth + 1)
