"""The converter of `script_config`: strict JSON types in, field-named errors, JSON out.

Strict means a JSON value of the wrong type is an error, never coerced: `"30"` is not an
integer, `1` is not a string. Two leniencies: a float field takes an integer, and a boolean
field takes 0 and 1 too (the product writes many of its flags that way).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from attrs import AttrsInstance
from cattrs.cols import homogenous_tuple_structure_factory
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn

from ._rules import FieldProblem
from .errors import FieldError, InvalidConfig

__all__ = [
    "CONFIG_PATH",
    "configure_strict_json",
    "field_errors",
    "json_type",
    "load",
    "make_converter",
    "task_config",
]

CONFIG_PATH = "$.script_config"
C = TypeVar("C", bound=AttrsInstance)

_JSON_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def json_type(value: object) -> str:
    """How JSON names the type of `value`: "a string", "an array", "null", ..."""
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _wrong_type(
    expected: str, value: object, problem: Callable[[str], Exception] = FieldProblem
) -> Exception:
    return problem(f"expected {expected}, got {json_type(value)}")


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type("a number", value)
    return float(value)


def _structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    if not isinstance(value, bool) and isinstance(value, str | int):
        try:
            return cls(value)
        except ValueError:
            pass
    choices = ", ".join(repr(member.value) for member in cls)
    raise FieldProblem(f"must be one of {choices}, got {value!r}")


def _is_list_type(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _list_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    items = homogenous_tuple_structure_factory(type_, converter)

    def structure(value: object, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _wrong_type("an array", value)
        return items(value, type_)

    return structure


_TEXT_OR_LIST = {str, tuple[str, ...]}


def _is_text_or_list(type_: Any) -> bool:
    return set(get_args(type_)) - {type(None)} == _TEXT_OR_LIST


def _text_or_list_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    items = converter.get_structure_hook(tuple[str, ...])

    def structure(value: object, _: Any) -> Any:
        if value is None and type(None) in get_args(type_):
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, list | tuple):
            return items(value, tuple[str, ...])
        raise _wrong_type("a string or an array of strings", value)

    return structure


def configure_strict_json(
    converter: cattrs.Converter, *, problem: Callable[[str], Exception] = FieldProblem
) -> None:
    """Make `converter` strict about JSON types: `str` and `int` take only their own type,
    `bool` takes 0 and 1 too (the product writes many flags so), attrs classes take only
    an object. Anything else raises `problem("expected ..., got ...")`."""

    def structure_str(value: object, _: type) -> str:
        if not isinstance(value, str):
            raise _wrong_type("a string", value, problem)
        return value

    def structure_int(value: object, _: type) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type("an integer", value, problem)
        return value

    def structure_bool(value: object, _: type) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _wrong_type("a boolean", value, problem)

    def object_hook(cls: type, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
        fields: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cls, converter)

        def structure(value: object, _: Any) -> Any:
            if not isinstance(value, Mapping):
                raise _wrong_type("an object", value, problem)
            return fields(value, cls)

        return structure

    converter.register_structure_hook(str, structure_str)
    converter.register_structure_hook(int, structure_int)
    converter.register_structure_hook(bool, structure_bool)
    converter.register_structure_hook_factory(attrs.has, object_hook)


def make_converter() -> cattrs.Converter:
    """A converter for config classes: strict scalars, enums by value, tuples as arrays,
    and `str | tuple[str, ...]` for the fields that take a list or one string."""
    converter = cattrs.Converter(unstruct_collection_overrides={tuple: list})
    configure_strict_json(converter)
    converter.register_structure_hook(float, _structure_float)
    # StrEnum and IntEnum are named too: otherwise their str/int base would win.
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        converter.register_structure_hook(base, _structure_enum)
        converter.register_unstructure_hook(base, lambda member: member.value)
    converter.register_structure_hook_factory(_is_list_type, _list_hook)
    converter.register_structure_hook_factory(_is_text_or_list, _text_or_list_hook)
    return converter


_CONVERTER = make_converter()


def field_errors(exc: BaseException, path: str = CONFIG_PATH) -> list[FieldError]:
    """Flatten a structuring failure into field errors, with `transform_error`'s paths."""
    if isinstance(exc, ClassValidationError):
        fields, rest = exc.group_exceptions()
        return [
            *(e for sub, note in fields for e in field_errors(sub, f"{path}.{note.name}")),
            *(e for sub in rest for e in field_errors(sub, path)),
        ]
    if isinstance(exc, IterableValidationError):
        items, rest = exc.group_exceptions()
        return [
            *(e for sub, note in items for e in field_errors(sub, f"{path}[{note.index}]")),
            *(e for sub in rest for e in field_errors(sub, path)),
        ]
    if isinstance(exc, ExceptionGroup):
        return [e for sub in exc.exceptions for e in field_errors(sub, path)]
    if isinstance(exc, FieldProblem):
        return [FieldError(f"{path}.{exc.field}" if exc.field else path, str(exc))]
    if isinstance(exc, KeyError):
        return [FieldError(path, "required field missing")]
    return [FieldError(path, f"invalid value ({exc})")]


def load(raw: object, cls: type[C]) -> tuple[C, dict[str, Any]]:
    """Structure `raw` into `cls`; also return its unknown keys, which the tasks keep.

    Raises:
        InvalidConfig: naming every field at fault.
    """
    if not isinstance(raw, Mapping):
        raise InvalidConfig(field_errors(_wrong_type("an object", raw)))
    try:
        config = _CONVERTER.structure(raw, cls)
    except (cattrs.BaseValidationError, FieldProblem) as exc:
        raise InvalidConfig(field_errors(exc)) from exc
    known = attrs.fields_dict(cls)
    return config, {key: value for key, value in raw.items() if key not in known}


def task_config(config: Any, extra: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """One task's JSON-ready config: `config` with `changes`, unset (None) fields left out,
    then the request's unknown keys as they came."""
    data: dict[str, Any] = _CONVERTER.unstructure(attrs.evolve(config, **changes))
    return {**{key: value for key, value in data.items() if value is not None}, **extra}
