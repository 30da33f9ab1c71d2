"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) of the attrs classes the API reads and
answers with, made from their fields and type hints.

Why here and not a library: none reads attrs classes the way our converter does (strict
JSON types, enums by value, `Annotated[int, Range(...)]` bounds, unknown keys kept), and
the document must say what the converter really takes. So this module follows
`converter.make_converter`: a type the converter reads one way is described that way.

Classes become named components (`$ref`), everything else is inlined. Objects leave
`additionalProperties` open: the API keeps unknown keys (and answers may grow fields).
Fields without a default are required.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

import attrs

from scripts import Mark

from ..converter import Range, make_converter

__all__ = ["Schema", "Schemas"]

Schema = dict[str, Any]
"""One JSON Schema, as the JSON object it is written as."""

_JSON = make_converter()
_SCALARS: Mapping[type, str] = {bool: "boolean", int: "integer", float: "number",
                                str: "string"}
_ARRAYS = {list, tuple, Sequence, Collection}
_OBJECTS = {dict, Mapping}


def _nullable(type_: Any) -> tuple[Any, bool]:
    """`X | None` as `(X, True)`; any other type as `(type_, False)`."""
    if get_origin(type_) not in (typing.Union, types.UnionType):
        return type_, False
    rest = [arg for arg in get_args(type_) if arg is not type(None)]
    if len(rest) == len(get_args(type_)):
        return type_, False
    return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007


def _choices(values: list[Any]) -> Schema:
    """One of `values` (JSON scalars), typed when they share one type."""
    kinds = sorted({_SCALARS[type(value)] for value in values})
    schema: Schema = {"enum": values}
    if len(kinds) == 1:
        schema = {"type": kinds[0], **schema}
    return schema


@attrs.define
class Schemas:
    """The named schemas (`components.schemas`) gathered while describing types.

    A class is named after itself; a second class of the same name (each route module
    has its `ListQuery`) gets its module's name in front.
    """

    components: dict[str, Schema] = attrs.Factory(dict)
    _names: dict[type, str] = attrs.Factory(dict)

    def of(self, type_: Any) -> Schema:
        """The schema of `type_`: a `$ref` for an attrs class, else inline."""
        type_, nullable = _nullable(type_)
        schema = self._of(type_)
        if not nullable:
            return schema
        return {"anyOf": [*(schema["anyOf"] if set(schema) == {"anyOf"} else [schema]),
                          {"type": "null"}]}

    def fields(self, cls: type, *, overrides: Mapping[str, Any] | None = None,
               partial: bool = False) -> Schema:
        """The object schema of an attrs class's fields, inline. `overrides` gives some
        fields another type to describe; `partial`: no field is required (a change)."""
        hints = get_type_hints(cls, include_extras=True)
        properties: Schema = {}
        required = []
        for field in attrs.fields(cls):
            overridden = field.name in (overrides or {})
            schema = self.of((overrides or {})[field.name] if overridden else hints[field.name])
            if field.default is attrs.NOTHING:
                required.append(field.name)
            elif not overridden:  # the class's default need not be of the type told
                default = _default(field)
                if default is not attrs.NOTHING:
                    schema = {**schema, "default": default}
            if field.metadata.get(Mark.SECRET):  # goes in, never out; a form hides it
                schema = {**schema, "format": "password", "writeOnly": True}
            properties[field.name] = schema
        schema = {"type": "object", "properties": properties}
        if required and not partial:
            schema["required"] = required
        if cls.__doc__:
            schema["description"] = inspect.cleandoc(cls.__doc__)
        return schema

    def ref(self, cls: type) -> Schema:
        """A `$ref` to the component of the attrs class `cls`, added on first use."""
        name = self._names.get(cls)
        if name is None:
            name = cls.__name__
            if name in self.components:
                module = cls.__module__.rpartition(".")[2].strip("_").title()
                name = f"{module}{name}"
            self._names[cls] = name
            self.components[name] = {}  # taken now: a class may refer to itself
            self.components[name] = self.fields(cls)
        return {"$ref": f"#/components/schemas/{name}"}

    def _of(self, type_: Any) -> Schema:
        origin, args = get_origin(type_), get_args(type_)
        if type_ is Any or type_ is object:
            return {}
        if type_ is type(None):
            return {"type": "null"}
        if origin is Annotated:
            return self._annotated(args[0], type_.__metadata__)
        if origin is Literal:
            return _choices(list(args))
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(arg) for arg in args]}
        if isinstance(type_, type) and issubclass(type_, enum.Enum):
            return _choices([member.value for member in type_])
        if type_ is int:  # the converter takes what the stores keep: a signed 64-bit one
            return {"type": "integer", "format": "int64"}
        if type_ in _SCALARS:
            return {"type": _SCALARS[type_]}
        if isinstance(type_, type) and attrs.has(type_):
            return self.ref(type_)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return {"type": "array", "prefixItems": [self.of(arg) for arg in args],
                    "items": False}
        if origin in _ARRAYS:
            return {"type": "array", "items": self.of(args[0])} if args else {"type": "array"}
        if origin in _OBJECTS or type_ in _OBJECTS:
            values = self.of(args[1]) if args else {}
            return {"type": "object", **({"additionalProperties": values} if values else {})}
        raise TypeError(f"no JSON Schema for {type_!r}")

    def _annotated(self, base: Any, metadata: Sequence[object]) -> Schema:
        schema = self.of(base)
        for rule in metadata:
            if isinstance(rule, Range):
                if rule.low is not None:
                    schema["minimum"] = rule.low
                if rule.high is not None:
                    schema["maximum"] = rule.high
        return schema


def _default(field: attrs.Attribute[Any]) -> Any:
    """A field's default as JSON, or NOTHING when it depends on the instance."""
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return attrs.NOTHING
        default = default.factory()
    return _JSON.unstructure(default)
