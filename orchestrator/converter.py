"""The wire converter: JSON (and query strings) in, attrs models out, and back.

Strict: a JSON value of the wrong type is an error, never coerced (`"5"` is not an
integer, `1` is not a string, `"abc"` is not an array); one leniency, as in the scripts'
configs, whose strict hooks these are: a boolean takes 0 and 1 too. Unknown keys are tolerated, as
the API says. Query strings are text, so a converter made `from_text` reads integers
from decimal text. Every integer must fit a signed 64-bit integer, what the stores'
integer columns: a larger one is the caller's mistake, named here, never an overflow in
a store. Failures are cattrs' validation errors; `describe` turns them into
one sentence of `$.path: problem` parts, for the 40001 message.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.v import format_exception, transform_error

from scripts._convert import configure_strict_json, json_type

__all__ = ["INT64_MAX", "INT64_MIN", "Problem", "Range", "describe", "int64_of", "make_converter",
           "problems"]


class Problem(ValueError):
    """A value that breaks a rule; the message says how (the path is added around it)."""


@attrs.frozen
class Range:
    """`Annotated[int, Range(low, high)]`: an integer in `low..high` (None: unbounded)."""

    low: int | None = None
    high: int | None = None

    def check(self, value: int) -> int:
        if self.low is not None and value < self.low:
            raise Problem(f"must be at least {self.low}, got {value}")
        if self.high is not None and value > self.high:
            raise Problem(f"must be at most {self.high}, got {value}")
        return value


#: The integers the API takes anywhere: a signed 64-bit integer, what both stores keep.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def int64_of(digits: str) -> int | None:
    """`digits` (a sign, then 0-9 only) as an integer, or None past a signed 64-bit
    integer: told by length first, without converting (`int()` refuses 4,301 digits)."""
    if len(digits.lstrip("+-").lstrip("0")) > len(str(INT64_MAX)):
        return None
    number = int(digits)
    return number if INT64_MIN <= number <= INT64_MAX else None


def _not_int64() -> Problem:
    return Problem(f"must fit a signed 64-bit integer ({INT64_MIN} to {INT64_MAX})")


def _int64_hook(base: Callable[[object, type], int]) -> Callable[[object, type], int]:
    def structure(value: object, _: type) -> int:
        number = base(value, int)
        if not INT64_MIN <= number <= INT64_MAX:
            raise _not_int64()
        return number

    return structure


def _wrong_type(expected: str, value: object) -> Problem:
    return Problem(f"expected {expected}, got {json_type(value)}")


def _int_text_hook(strict: Callable[[object, type], int]) -> Callable[[object, type], int]:
    def structure(value: object, _: type) -> int:
        if not isinstance(value, str):
            return strict(value, int)
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise Problem(f"expected an integer, got {value!r}")
        number = int64_of(value)
        if number is None:
            raise _not_int64()
        return number

    return structure


def _enum_hook(converter: cattrs.Converter) -> Callable[[object, type[enum.Enum]], enum.Enum]:
    def structure(value: object, cls: type[enum.Enum]) -> enum.Enum:
        try:
            return cls(converter.structure(value, int if issubclass(cls, int) else str))
        except ValueError:
            choices = ", ".join(repr(member.value) for member in cls)
            raise Problem(f"must be one of {choices}, got {value!r}") from None

    return structure


def _is_list(type_: Any) -> bool:
    return get_origin(type_) is list


def _list_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    items = list_structure_factory(type_, converter)

    def structure(value: object, _: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _wrong_type("an array", value)
        result: list[Any] = items(value, type_)
        return result

    return structure


def _is_range(type_: Any) -> bool:
    return get_origin(type_) is Annotated and any(isinstance(m, Range) for m in type_.__metadata__)


def _range_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    (rule,) = (m for m in type_.__metadata__ if isinstance(m, Range))
    base = converter.get_structure_hook(get_args(type_)[0])
    return lambda value, _: rule.check(base(value, int))


def make_converter(*, from_text: bool = False) -> cattrs.Converter:
    """A converter for the API's models: strict JSON types, unknown keys tolerated, enums
    by value, `Annotated[int, Range(...)]` bounds. `from_text`: integers may come as text
    (query strings)."""
    converter = cattrs.Converter(detailed_validation=True)
    configure_strict_json(converter, problem=Problem)
    strict_int = converter.get_structure_hook(int)
    converter.register_structure_hook(
        int, _int64_hook(_int_text_hook(strict_int) if from_text else strict_int))
    # IntEnum and StrEnum are named too: otherwise their int/str base would win.
    for base in (enum.Enum, enum.IntEnum, enum.StrEnum):
        converter.register_structure_hook(base, _enum_hook(converter))
        converter.register_unstructure_hook(base, lambda member: member.value)
    converter.register_structure_hook_factory(_is_list, _list_hook)
    converter.register_structure_hook_factory(_is_range, _range_hook)
    return converter


def _format(exc: BaseException, type_: type | None) -> str:
    return str(exc) if isinstance(exc, Problem) else format_exception(exc, type_)


def problems(exc: BaseException) -> list[tuple[str, str]]:
    """A structuring failure's `(path, problem)` pairs, e.g. `("$.a.b", "expected ...")`."""
    lines = transform_error(exc, format_exception=_format)
    return [(path, problem) for problem, _, path in (line.rpartition(" @ ") for line in lines)]


def describe(exc: BaseException) -> str:
    """One message for a structuring failure: `$.a.b: problem; $.c[2]: problem`."""
    return "; ".join(f"{path}: {problem}" for path, problem in problems(exc))
