"""The project's one converter: strict JSON types in, field-named problems out, JSON out.

Strict means a JSON value of the wrong type is an error, never coerced: `"30"` is not an
integer, `1` is not a string, `"abc"` is not an array. Two leniencies: a float field takes
an integer, and a boolean field takes 0 and 1 too (the product writes many of its flags
that way). Unknown keys are tolerated (a task keeps them, as the API says); enums are read
and written by value. Every integer must fit a signed 64-bit integer, what the stores'
integer columns keep: a larger one is the caller's mistake, named here, never an overflow
in a store.

Two users configure this one converter rather than each keeping hooks of its own: the
scripts read `script_config` with it (`load`), and the API its bodies and, with integers
from text, its query strings (`orchestrator.converter`). A failure is cattrs' validation
error; `problems` turns it into `(path, problem)` pairs with cattrs' `transform_error`, and
`describe` into one sentence.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from attrs import AttrsInstance
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory
from cattrs.errors import ClassValidationError, IterableValidationError
from cattrs.gen import make_dict_structure_fn
from cattrs.v import format_exception, transform_error

from ._rules import FieldProblem
from .errors import FieldError, InvalidConfig

__all__ = [
    "CONFIG_PATH",
    "INT64_MAX",
    "INT64_MIN",
    "FieldProblem",
    "check_int64",
    "describe",
    "int64_of",
    "json_type",
    "load",
    "make_converter",
    "problems",
    "task_config",
]

CONFIG_PATH = "$.script_config"
C = TypeVar("C", bound=AttrsInstance)

#: The integers taken anywhere: a signed 64-bit integer, what both stores keep.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

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


def _wrong_type(expected: str, value: object) -> FieldProblem:
    return FieldProblem(f"expected {expected}, got {json_type(value)}")


def int64_of(digits: str) -> int | None:
    """`digits` (a sign, then 0-9 only) as an integer, or None past a signed 64-bit
    integer: told by length first, without converting (`int()` refuses 4,301 digits)."""
    if len(digits.lstrip("+-").lstrip("0")) > len(str(INT64_MAX)):
        return None
    number = int(digits)
    return number if INT64_MIN <= number <= INT64_MAX else None


def check_int64(number: int | None) -> int:
    """`number`, if it fits a signed 64-bit integer; None stands for one that does not
    (`int64_of`'s answer), so integers read from text and from JSON meet one rule.

    Raises:
        FieldProblem: it does not fit.
    """
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise FieldProblem(f"must fit a signed 64-bit integer ({INT64_MIN} to {INT64_MAX})")
    return number


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _wrong_type("a string", value)
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type("an integer", value)
    return check_int64(value)


def _structure_bool(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _wrong_type("a boolean", value)


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type("a number", value)
    return float(value)


def _object_hook(cls: type, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    fields: Callable[[Mapping[str, Any], Any], Any] = make_dict_structure_fn(cls, converter)

    def structure(value: object, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong_type("an object", value)
        return fields(value, cls)

    return structure


def _enum_hook(converter: cattrs.Converter) -> Callable[[object, type[enum.Enum]], enum.Enum]:
    """Enums by value. An integer enum's text goes through the converter's own integers,
    so a converter that reads integers from text (query strings) reads `"3"` as 3 too."""

    def structure(value: object, cls: type[enum.Enum]) -> enum.Enum:
        given = value
        if isinstance(value, str) and issubclass(cls, int):
            with suppress(ValueError):
                given = converter.structure(value, int)
        if not isinstance(given, bool) and isinstance(given, str | int):
            with suppress(ValueError):
                return cls(given)
        choices = ", ".join(repr(member.value) for member in cls)
        raise FieldProblem(f"must be one of {choices}, got {value!r}")

    return structure


def _is_array(type_: Any) -> bool:
    """`list[X]` and `tuple[X, ...]`: the types a JSON array is read into."""
    origin, args = get_origin(type_), get_args(type_)
    return origin is list or (origin is tuple and len(args) == 2 and args[1] is Ellipsis)


def _array_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    factory = list_structure_factory if get_origin(type_) is list \
        else homogenous_tuple_structure_factory
    items = factory(type_, converter)

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


def make_converter() -> cattrs.Converter:
    """A fresh converter as the module says: strict scalars, enums by value, lists and
    `tuple[X, ...]` as arrays (written as lists), `str | tuple[str, ...]` for the fields
    that take one string or a list. Callers add their own rules on top of it."""
    converter = cattrs.Converter(detailed_validation=True,
                                 unstruct_collection_overrides={tuple: list})
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook_factory(attrs.has, _object_hook)
    # StrEnum and IntEnum are named too: otherwise their str/int base would win.
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        converter.register_structure_hook(base, _enum_hook(converter))
        converter.register_unstructure_hook(base, lambda member: member.value)
    converter.register_structure_hook_factory(_is_array, _array_hook)
    converter.register_structure_hook_factory(_is_text_or_list, _text_or_list_hook)
    return converter


def problems(exc: BaseException, path: str = "$") -> list[tuple[str, str]]:
    """A structuring failure's `(path, problem)` pairs, e.g. `("$.a.b", "expected ...")`.

    cattrs' `transform_error` names the paths; it keeps two things whole that are split
    here: a `FieldProblem` naming a field below the object whose validator raised it, and
    a group of problems (`check` raises all that a class finds at once).
    """
    leaves: list[tuple[BaseException, type | None]] = []

    def keep(leaf: BaseException, type_: type | None) -> str:
        leaves.append((leaf, type_))
        return str(len(leaves) - 1)

    found: list[tuple[str, str]] = []
    for line in transform_error(exc, path, format_exception=keep):
        index, _, where = line.partition(" @ ")
        leaf, type_ = leaves[int(index)]
        if isinstance(leaf, ClassValidationError | IterableValidationError):
            found += problems(leaf, where)
        elif isinstance(leaf, BaseExceptionGroup):
            found += [pair for sub in leaf.exceptions for pair in problems(sub, where)]
        elif isinstance(leaf, FieldProblem):
            found.append((f"{where}.{leaf.field}" if leaf.field else where, str(leaf)))
        else:
            found.append((where, format_exception(leaf, type_)))
    return found


def describe(exc: BaseException) -> str:
    """One message for a structuring failure: `$.a.b: problem; $.c[2]: problem`."""
    return "; ".join(f"{path}: {problem}" for path, problem in problems(exc))


_CONVERTER = make_converter()


def load(raw: object, cls: type[C]) -> tuple[C, dict[str, Any]]:
    """Structure `raw` into `cls`; also return its unknown keys, which the tasks keep.

    Raises:
        InvalidConfig: naming every field at fault.
    """
    try:
        config = _CONVERTER.structure(raw, cls)
    except (cattrs.BaseValidationError, FieldProblem) as exc:
        raise InvalidConfig([FieldError(*pair) for pair in problems(exc, CONFIG_PATH)]) from exc
    assert isinstance(raw, Mapping)  # the converter reads an attrs class from an object only
    known = attrs.fields_dict(cls)
    return config, {key: value for key, value in raw.items() if key not in known}


def task_config(config: Any, extra: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """One task's JSON-ready config: `config` with `changes`, unset (None) fields left out,
    then the request's unknown keys as they came."""
    data: dict[str, Any] = _CONVERTER.unstructure(attrs.evolve(config, **changes))
    return {**{key: value for key, value in data.items() if value is not None}, **extra}
