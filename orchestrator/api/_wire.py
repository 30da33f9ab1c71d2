"""The wire in both directions: request bodies and query strings into attrs models, and
every answer into the envelope `{"code", "message", "data"}`."""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

import attrs
import cattrs
from quart import Response, request

from ..converter import Range, describe, make_converter
from ..errors import InvalidParams

__all__ = ["Paging", "envelope", "envelope_body", "read_body", "read_form", "read_object",
           "read_query"]

T = TypeVar("T")

_JSON = make_converter()
_QUERY = make_converter(from_text=True)


@attrs.frozen(kw_only=True)
class Paging:
    """The paging every list query takes: `page` from 1, `page_size` 1-100 (default 20;
    larger is an error, never silently clamped)."""

    page: Annotated[int, Range(1)] = 1
    page_size: Annotated[int, Range(1, 100)] = 20

    @property
    def offset(self) -> int:
        """How many matches the page skips."""
        return (self.page - 1) * self.page_size


def envelope(data: object = None, *, code: int = 0, message: str = "success",
             status: int = 200) -> Response:
    """The one shape of every answer, success or error."""
    return Response(envelope_body(data, code=code, message=message), status=status,
                    mimetype="application/json")


def envelope_body(data: object = None, *, code: int = 0, message: str = "success") -> bytes:
    """The envelope's JSON (UTF-8), for the routes answered ahead of Quart (`_hot`)."""
    body = {"code": code, "message": message, "data": _JSON.unstructure(data)}
    return json.dumps(body, ensure_ascii=False).encode()


def _load(converter: cattrs.Converter, raw: object, cls: type[T]) -> T:
    try:
        return converter.structure(raw, cls)
    except (cattrs.BaseValidationError, ValueError) as exc:
        raise InvalidParams(describe(exc)) from exc


async def read_object() -> dict[str, object]:
    """The JSON object of the body, whatever the Content-Type (curl's `-d` says form data).

    Raises:
        InvalidParams: not JSON, or not an object.
    """
    text = await request.get_data(as_text=True)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise InvalidParams(f"the body is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidParams("the body must be a JSON object")
    return raw


async def read_body(cls: type[T]) -> T:
    """The JSON body as `cls` (see `read_object`).

    Raises:
        InvalidParams: not JSON, not an object, or a field at fault (named).
    """
    return _load(_JSON, await read_object(), cls)


def read_query(cls: type[T]) -> T:
    """The query string as `cls`; an empty value (`?status=`) counts as absent.

    Raises:
        InvalidParams: a parameter at fault (named).
    """
    return _load(_QUERY, {key: value for key, value in request.args.items() if value}, cls)


async def read_form(cls: type[T]) -> T:
    """The form fields (not the files) as `cls`, read as text like the query string.

    Raises:
        InvalidParams: a field at fault (named).
    """
    form = await request.form
    return _load(_QUERY, {key: value for key, value in form.items() if value}, cls)
