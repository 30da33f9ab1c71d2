"""The OpenAPI 3.1 document of the app, made from its URL map and the classes each route
declares with `Doc`: what it reads (body, query, form) and what it answers (`data`).

Why generated: the routes validate with these classes (`read_body`, `read_query`,
`read_form`) and answer with them (`envelope`), so the document cannot drift from what the
server does. Per route, one `Doc(...)` decorator under the route's own decorator says which
classes; the rest follows from the URL rule (path parameters, methods) and the error tree
(`orchestrator.errors`):

- every operation may answer 40101 (a token is set and not sent), 40301 (the plan, or a
  foreign `Origin` or `Host`) and 50001;
- one that reads a body, a query or a form also 40001; one with a path parameter 40401;
- one that takes an `Idempotency-Key` (`_idempotency`) has the header, and 40001;
- `Doc.errors` adds the rest (`POST /task`: 40002 and 40003).

Every answer is the envelope `{code, message, data}` but those a `Doc` declares `raw`
(this document itself, the docs page and its assets).
"""

from __future__ import annotations

import importlib.metadata
import re
import typing
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs
from quart import Quart
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from scripts import SCRIPTS

from ..errors import (
    Forbidden,
    InternalError,
    InvalidParams,
    NotFound,
    OrchestratorError,
    Unauthorized,
)
from ._idempotency import key_parameter, takes_key
from ._schema import Schema, Schemas
from ._webhooks import WebhookEnd

__all__ = ["Doc", "declaration", "openapi_document", "script_config", "script_name"]

F = TypeVar("F", bound=Callable[..., Any])

#: What any operation may answer, whatever it reads.
ALWAYS: tuple[type[OrchestratorError], ...] = (Unauthorized, Forbidden, InternalError)
_METHODS = ("get", "post", "put", "delete")
_PARAMETER = re.compile(r"<(?:[^<>]*:)?([A-Za-z_][A-Za-z0-9_]*)>")
_WORD = re.compile(r"(?<!^)(?=[A-Z])")

_DECLARED: weakref.WeakKeyDictionary[Callable[..., Any], Doc] = weakref.WeakKeyDictionary()


@attrs.frozen(kw_only=True)
class Doc:
    """What one route reads and answers, for the document; used as the decorator just
    above the view function (below `@routes.get(...)`).

    `answer`: the type of `data` on success (any type the schema maker knows; None: null).
    `body`: the JSON body's type; `partial`: any subset of its fields (a change);
    `fields`: some of its fields described as another type than the class says.
    `csv`: the body may be CSV text too. `form` and `files`: a multipart/form-data body,
    its fields (an attrs class) and the name of its file parts. `query`: an attrs class
    whose fields are the query parameters. `errors`: answers besides those the module
    docstring derives. `raw`: the media types of a success that is not the envelope.
    """

    summary: str
    answer: Any = None
    body: Any = None
    partial: bool = False
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    csv: bool = False
    form: type | None = None
    files: str | None = None
    query: type | None = None
    errors: tuple[type[OrchestratorError], ...] = ()
    raw: tuple[str, ...] = ()

    def __call__(self, view: F) -> F:
        _DECLARED[view] = self
        return view

    @property
    def reads(self) -> bool:
        """Whether the route reads something a client can get wrong (40001)."""
        return any(part is not None for part in (self.body, self.form, self.query))


def declaration(view: Callable[..., Any]) -> Doc | None:
    """The `Doc` of a view function, if it has one."""
    return _DECLARED.get(view)


def _path_schema(converter: object) -> Schema:
    """What a URL converter matches (werkzeug's int and its bounds, any(...), else text)."""
    if isinstance(converter, IntegerConverter):
        schema: Schema = {"type": "integer"}
        low = converter.min if converter.min is not None or converter.signed else 0
        for key, bound in (("minimum", low), ("maximum", converter.max)):
            if bound is not None:
                schema[key] = bound
        return schema
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    return {"type": "string", "minLength": 1}


def _parameters(rule: Rule, doc: Doc, schemas: Schemas) -> list[Schema]:
    converters: Mapping[str, object] = rule._converters
    found: list[Schema] = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(converters[name])}
        for name in _PARAMETER.findall(rule.rule)]
    if doc.query is not None:
        query = schemas.fields(doc.query)
        for name, described in query["properties"].items():
            # A query has no null: an absent parameter is the None.
            default = described.pop("default", None)
            schema = _not_null(described)
            if default is not None:
                schema = {**schema, "default": default}
            found.append({"name": name, "in": "query",
                          "required": name in query.get("required", ()), "schema": schema})
    return found


def _not_null(schema: Schema) -> Schema:
    """`schema` without the null that `X | None` adds."""
    options = [option for option in schema.get("anyOf", ()) if option != {"type": "null"}]
    if set(schema) != {"anyOf"} or len(options) == len(schema["anyOf"]):
        return schema
    return options[0] if len(options) == 1 else {"anyOf": options}


def _body(doc: Doc, schemas: Schemas) -> Schema | None:
    content: Schema = {}
    if doc.body is not None:
        if doc.partial or doc.fields:
            schema = schemas.fields(doc.body, overrides=doc.fields, partial=doc.partial)
        else:
            schema = schemas.of(doc.body)
        content["application/json"] = {"schema": schema}
    if doc.csv:
        content["text/csv"] = {"schema": {
            "type": "string",
            "description": "CSV text: a header row naming the fields, then one row each"}}
    if doc.form is not None:
        form = schemas.fields(doc.form)
        if doc.files is not None:
            form["properties"][doc.files] = {
                "type": "array", "items": {"type": "string", "format": "binary"}}
            form["required"] = [*form.get("required", ()), doc.files]
        content["multipart/form-data"] = {"schema": form}
    return {"required": True, "content": content} if content else None


def _raw_schema(media: str) -> Schema:
    """A success that is not the envelope: a JSON document, else text or bytes."""
    return {"type": "object"} if media == "application/json" else {"type": "string"}


def _envelope(code: Schema, data: Schema) -> Schema:
    return {"type": "object", "required": ["code", "message", "data"],
            "properties": {"code": code, "message": {"type": "string"}, "data": data}}


def _title(cls: type) -> str:
    return _WORD.sub(" ", cls.__name__).capitalize()


def _error_answers(errors: Iterable[type[OrchestratorError]],
                   components: dict[str, Schema]) -> dict[str, Schema]:
    """The error answers by HTTP status, each a component named by its classes."""
    by_status: dict[int, list[type[OrchestratorError]]] = {}
    for cls in errors:
        group = by_status.setdefault(cls.code // 100, [])
        if cls.code not in (other.code for other in group):
            group.append(cls)
    answers: dict[str, Schema] = {}
    for status, found in sorted(by_status.items()):
        group = sorted(found, key=lambda cls: cls.code)
        name = "_".join(cls.__name__ for cls in group)
        codes = [cls.code for cls in group]
        answer: Schema = {
            "description": "; ".join(f"{cls.code}: {_title(cls)}" for cls in group),
            "content": {"application/json": {"schema": _envelope(
                {"type": "integer", "enum": codes},
                {"description": "null for most errors; what the message names, for some"})}},
        }
        headers = {name.decode(): {"required": True,
                                   "schema": {"type": "string", "const": value.decode()}}
                   for cls in group for name, value in cls.headers}
        if headers:
            answer["headers"] = headers
        components[name] = answer
        answers[str(status)] = {"$ref": f"#/components/responses/{name}"}
    return answers


def _operation(rule: Rule, doc: Doc, view: Callable[..., Any], schemas: Schemas,
               responses: dict[str, Schema]) -> Schema:
    # Grouped by blueprint (`tasks.create`: tasks), as the routes' modules are.
    operation: Schema = {"operationId": rule.endpoint, "summary": doc.summary,
                         "tags": [rule.endpoint.partition(".")[0]]}
    if view.__doc__:
        operation["description"] = view.__doc__
    parameters = _parameters(rule, doc, schemas)
    if keyed := takes_key(view):
        parameters.append(key_parameter())
    if parameters:
        operation["parameters"] = parameters
    if (body := _body(doc, schemas)) is not None:
        operation["requestBody"] = body
    if doc.raw:
        success: Schema = {"content": {media: {"schema": _raw_schema(media)}
                                       for media in doc.raw}}
    else:
        success = {"content": {"application/json": {
            "schema": _envelope({"const": 0}, schemas.of(doc.answer))}}}
    errors: list[type[OrchestratorError]] = [*ALWAYS, *doc.errors]
    if doc.reads or keyed:
        errors.append(InvalidParams)
    if "{" in _PARAMETER.sub("{}", rule.rule):
        errors.append(NotFound)
    operation["responses"] = {"200": {"description": "success", **success},
                              **_error_answers(errors, responses)}
    return operation


def openapi_document(app: Quart, *, title: str = "device-orchestrator") -> Schema:
    """The OpenAPI 3.1 document of every declared route of `app` (Quart's own `static`
    route is not ours; a route without a `Doc` is left out: tests check there is none)."""
    schemas = Schemas()
    responses: dict[str, Schema] = {}
    paths: dict[str, Schema] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions[rule.endpoint]
        doc = declaration(view)
        if doc is None:
            continue
        path = paths.setdefault(_PARAMETER.sub(r"{\1}", rule.rule), {})
        for method in _METHODS:
            if method.upper() in (rule.methods or ()):
                path[method] = _operation(rule, doc, view, schemas, responses)
    task_end = {"post": {
        "summary": "A task ended (completed, or failed past its retries): posted to each "
                   "--webhook URL, signed with X-Orchestrator-Signature: sha256=<hex "
                   "HMAC-SHA256 of the body> under --webhook-secret",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": schemas.of(WebhookEnd)}}},
        "responses": {"200": {"description": "Taken (any 2xx); 408, 429, 5xx or no answer: "
                                             "tried again later; any other: dropped"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": importlib.metadata.version("device-orchestrator"),
                 "description": "The TikMatrix-compatible task API, and ours beyond it."
                                " Every answer is the envelope {code, message, data}."},
        "paths": paths,
        "webhooks": {"taskEnd": task_end},
        "components": {"schemas": schemas.components, "responses": responses,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        # Open without a token (loopback); with `--token`, every route needs it.
        "security": [{}, {"bearer": []}],
    }


def script_name() -> Any:
    """For `Doc.fields`: `script_name` is the name of a script (`scripts.SCRIPTS`)."""
    return typing.Literal[tuple(SCRIPTS)]


def script_config() -> Any:
    """For `Doc.fields`: `script_config` is the config of one of the scripts, the one
    `script_name` names (unknown keys kept, as the API says)."""
    return typing.Union[tuple(  # noqa: UP007
        spec.script.config_class for spec in SCRIPTS.values() if spec.script is not None)]
