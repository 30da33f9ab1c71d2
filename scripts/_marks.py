"""Marks on config fields that say how the orchestrator must treat their values.

A config class marks a field with `metadata=marked(Mark.X)` rather than every caller
keeping its own list of field names: a new script, or a new field, is then covered by the
one generic walk (`marked_values`, `redacted`) where it is declared.

- `Mark.HOST_FILE`: a path on the host that the script reads (a file, or a folder of
  files); `HostFiles` confines it, at creation and again when the task runs.
- `Mark.SECRET`: never answered or logged; the API shows `MASK` in its place.
"""

from __future__ import annotations

import enum
import functools
import typing
from collections.abc import Iterator, Mapping
from types import MappingProxyType, NoneType, UnionType
from typing import Any

import attrs

__all__ = ["MASK", "Mark", "marked", "marked_paths", "marked_values", "redacted"]

#: What the API shows instead of a secret that is set.
MASK = "********"


class Mark(enum.Enum):
    HOST_FILE = "host_file"
    SECRET = "secret"


def marked(*marks: Mark) -> Mapping[Mark, bool]:
    """The `metadata` of an `attrs.field` carrying `marks`."""
    return MappingProxyType(dict.fromkeys(marks, True))


def _config_classes(type_: Any) -> list[type]:
    """The attrs classes a field's type holds: itself, or a union's members."""
    members = typing.get_args(type_) if typing.get_origin(type_) in (typing.Union, UnionType) \
        else (type_,)
    return [member for member in members
            if member is not NoneType and isinstance(member, type) and attrs.has(member)]


@functools.cache
def marked_paths(cls: type, mark: Mark) -> tuple[tuple[str, ...], ...]:
    """The fields of config class `cls` marked `mark`, each as its field names from the
    outside in (nested config classes, such as `chatgpt_settings`, followed)."""
    hints = typing.get_type_hints(cls)
    found: list[tuple[str, ...]] = []
    for field in attrs.fields(cls):
        if field.metadata.get(mark):
            found.append((field.name,))
            continue
        for inner in _config_classes(hints[field.name]):
            found += [(field.name, *rest) for rest in marked_paths(inner, mark)]
    return tuple(found)


def _at(data: Mapping[str, Any], path: tuple[str, ...]) -> object:
    value: object = data
    for name in path:
        value = value.get(name) if isinstance(value, Mapping) else None
    return value


def marked_values(cls: type, data: Mapping[str, Any], mark: Mark) -> Iterator[tuple[str, str]]:
    """`(field path, text)` of each string in `data` (the JSON of a `cls` config) at a
    field marked `mark`; an array's entries one by one (`material_list[0]`)."""
    for path in marked_paths(cls, mark):
        where, value = ".".join(path), _at(data, path)
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, list | tuple):
            yield from ((f"{where}[{index}]", item) for index, item in enumerate(value)
                        if isinstance(item, str))


def _masked(data: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    """`data` with the value at `path` masked; copied only along the path."""
    name, rest = path[0], path[1:]
    value = data.get(name)
    if rest:
        return {**data, name: _masked(value, rest)} if isinstance(value, Mapping) else data
    return {**data, name: MASK} if value not in (None, "") else data


def redacted(cls: type, data: Mapping[str, Any]) -> Mapping[str, Any]:
    """`data` (the JSON of a `cls` config) with every set `Mark.SECRET` value replaced by
    `MASK`; an unset one (absent, null or empty) stays, so a reader sees whether it is
    set. `data` itself is left alone: the stored task keeps its secret to run with."""
    for path in marked_paths(cls, Mark.SECRET):
        data = _masked(data, path)
    return data
