"""The wire in both directions: request bodies and query strings into attrs models, and
every answer into the envelope `{"code", "message", "data"}`. What a client sends is
checked first (`_body`: size, JSON, text the stores can keep), then structured."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, TypeVar

import attrs
import cattrs
from quart import Response, request
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import IntegerConverter, Map

from scripts.convert import INT64_MAX, describe, int64_of

from ..converter import Range, make_converter
from ..errors import InvalidParams
from ._body import BadInput, check_value, parse_json

__all__ = ["IdConverter", "NoSuchId", "Paging", "envelope", "envelope_body", "json_data",
           "load_json", "read_body", "read_form", "read_object", "read_query"]

T = TypeVar("T")

_JSON = make_converter()
_QUERY = make_converter(from_text=True)


MAX_PAGE_SIZE = 100
#: The last page whose offset a store can count (a 64-bit integer) at any page size.
MAX_PAGE = INT64_MAX // MAX_PAGE_SIZE + 1


@attrs.frozen(kw_only=True)
class Paging:
    """The paging every list query takes: `page` from 1, `page_size` 1-100 (default 20;
    larger is an error, never silently clamped)."""

    page: Annotated[int, Range(1, MAX_PAGE)] = 1
    page_size: Annotated[int, Range(1, MAX_PAGE_SIZE)] = 20

    @property
    def offset(self) -> int:
        """How many matches the page skips."""
        return (self.page - 1) * self.page_size


class NoSuchId(RouteNotFound):
    """A path's id that no row can have (the app answers 40401 with `description`)."""


class IdConverter(IntegerConverter):
    """`<id(noun):name>`: the id of a stored `noun` ("task"), an `int` from 0 to
    `INT64_MAX`. Digits 0-9 only (`int`'s `\\d` takes other scripts' digits too); an id
    beyond a 64-bit integer, which the stores can neither hold nor look up, raises
    `NoSuchId` ("task 99999999999999999999 not found") rather than reaching them (or
    `int()`, which refuses over 4,300 digits)."""

    regex = "[0-9]+"

    def __init__(self, url_map: Map, noun: str) -> None:
        super().__init__(url_map, max=INT64_MAX)
        self.noun = noun

    def to_python(self, value: str) -> int:
        number = int64_of(value)
        if number is None:
            raise NoSuchId(f"{self.noun} {value} not found")
        return number


def envelope(data: object = None, *, code: int = 0, message: str = "success",
             status: int = 200) -> Response:
    """The one shape of every answer, success or error."""
    return Response(envelope_body(data, code=code, message=message), status=status,
                    mimetype="application/json")


def envelope_body(data: object = None, *, code: int = 0, message: str = "success") -> bytes:
    """The envelope's JSON (UTF-8), for the routes answered ahead of Quart (`_hot`)."""
    body = {"code": code, "message": message, "data": _JSON.unstructure(data)}
    return json.dumps(body, ensure_ascii=False).encode()


def json_data(data: object) -> str:
    """`data` as the envelope carries it, alone (an event's data): one line of JSON."""
    return json.dumps(_JSON.unstructure(data), ensure_ascii=False)


def _load(converter: cattrs.Converter, raw: object, cls: type[T]) -> T:
    try:
        return converter.structure(raw, cls)
    except (cattrs.BaseValidationError, ValueError) as exc:
        raise InvalidParams(describe(exc)) from exc


async def read_object() -> dict[str, object]:
    """The JSON object of the body, whatever the Content-Type (curl's `-d` says form data).

    Raises:
        InvalidParams: too large, not UTF-8 JSON, a value unfit to keep (`_body`), or not
            an object.
    """
    try:
        raw = parse_json(await request.get_data(cache=True, as_text=False,
                                                parse_form_data=False))
    except BadInput as exc:
        raise InvalidParams(str(exc)) from None
    if not isinstance(raw, dict):
        raise InvalidParams("the body must be a JSON object")
    return raw


async def read_body(cls: type[T]) -> T:
    """The JSON body as `cls` (see `read_object`).

    Raises:
        InvalidParams: not JSON, not an object, or a field at fault (named).
    """
    return load_json(await read_object(), cls)


def load_json(raw: object, cls: type[T]) -> T:
    """`raw`, a JSON value, as `cls` (a body merged with what it changes, say).

    Raises:
        InvalidParams: a field at fault (named).
    """
    return _load(_JSON, raw, cls)


def _text_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields of a query string or form that have a value, checked (`_body`)."""
    given = {key: value for key, value in fields.items() if value}
    try:
        check_value(given)
    except BadInput as exc:
        raise InvalidParams(str(exc)) from None
    return given


def read_query(cls: type[T]) -> T:
    """The query string as `cls`; an empty value (`?status=`) counts as absent.

    Raises:
        InvalidParams: a parameter at fault (named).
    """
    return _load(_QUERY, _text_fields(request.args), cls)


async def read_form(cls: type[T]) -> T:
    """The form fields (not the files) as `cls`, read as text like the query string.

    Raises:
        InvalidParams: a field at fault (named).
    """
    return _load(_QUERY, _text_fields(await request.form), cls)
