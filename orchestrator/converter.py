"""The wire converter: the scripts' one converter (`scripts.convert`), configured for the
API. JSON bodies are read as the scripts' configs are (strict types, unknown keys
tolerated, enums by value, integers within 64 bits); the API adds two rules of its own:
`Annotated[int, Range(low, high)]` bounds, and, for a converter made `from_text`,
integers from decimal text (query strings, CSV cells). Failures are cattrs' validation
errors, which `scripts.convert.describe` turns into the 40001 message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

import attrs
import cattrs

from scripts.convert import FieldProblem, check_int64, int64_of
from scripts.convert import make_converter as make_json_converter

__all__ = ["Range", "make_converter"]


@attrs.frozen
class Range:
    """`Annotated[int, Range(low, high)]`: an integer in `low..high` (None: unbounded)."""

    low: int | None = None
    high: int | None = None

    def check(self, value: int) -> int:
        if self.low is not None and value < self.low:
            raise FieldProblem(f"must be at least {self.low}, got {value}")
        if self.high is not None and value > self.high:
            raise FieldProblem(f"must be at most {self.high}, got {value}")
        return value


def _int_text_hook(strict: Callable[[object, type], int]) -> Callable[[object, type], int]:
    def structure(value: object, _: type) -> int:
        if not isinstance(value, str):
            return strict(value, int)
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            raise FieldProblem(f"expected an integer, got {value!r}")
        return check_int64(int64_of(value))

    return structure


def _is_range(type_: Any) -> bool:
    return get_origin(type_) is Annotated and any(isinstance(m, Range) for m in type_.__metadata__)


def _range_hook(type_: Any, converter: cattrs.Converter) -> Callable[[object, Any], Any]:
    (rule,) = (m for m in type_.__metadata__ if isinstance(m, Range))
    base = converter.get_structure_hook(get_args(type_)[0])
    return lambda value, _: rule.check(base(value, int))


def make_converter(*, from_text: bool = False) -> cattrs.Converter:
    """A converter for the API's models: `scripts.convert.make_converter` with
    `Annotated[int, Range(...)]` bounds; `from_text`: integers may come as text."""
    converter = make_json_converter()
    if from_text:
        converter.register_structure_hook(
            int, _int_text_hook(converter.get_structure_hook(int)))
    converter.register_structure_hook_factory(_is_range, _range_hook)
    return converter
