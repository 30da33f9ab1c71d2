"""The converter: strict JSON types, field paths, unknown keys."""

from __future__ import annotations

import attrs
import cattrs
import pytest

from scripts import convert, validate
from scripts._rules import between, check, problem_if
from scripts.convert import make_converter

from ._helpers import errors

P = "$.script_config."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("upload_wait_time", "30", "expected an integer, got a string"),
        ("upload_wait_time", 30.5, "expected an integer, got a number"),
        ("upload_wait_time", True, "expected an integer, got a boolean"),
        ("upload_wait_time", None, "expected an integer, got null"),
        ("captions", 1, "expected a string, got an integer"),
        ("captions", {"a": 1}, "expected a string, got an object"),
        ("material_path", [], "expected a string, got an array"),
    ],
)
def test_wrong_types_are_errors(field: str, value: object, message: str) -> None:
    """A wrong JSON type is never coerced; the error names the field."""
    assert errors("post", {field: value}) == {P + field: message}


def test_all_type_errors_at_once() -> None:
    found = errors("post", {"captions": 1, "image_count": "1", "upload_wait_time": "x"})
    assert set(found) == {P + "captions", P + "image_count", P + "upload_wait_time"}


def test_unknown_keys_kept_not_checked() -> None:
    """Unknown keys pass through to every task untouched, whatever their type."""
    raw = {"target_user": "a,b", "zzz": [1, {"x": None}], "speed": "fast"}
    _, tasks = validate("follow", raw)
    assert all(task["zzz"] == [1, {"x": None}] and task["speed"] == "fast" for task in tasks)


def test_converters_are_separate() -> None:
    """make_converter builds a fresh converter, never the global one."""
    assert make_converter() is not make_converter()


def test_integers_fit_64_bits() -> None:
    """A script's integers meet the API's rule too: a signed 64-bit integer."""
    assert errors("post", {"upload_wait_time": 2**63}) == {
        P + "upload_wait_time":
            "must fit a signed 64-bit integer (-9223372036854775808 to 9223372036854775807)"}


@attrs.frozen(kw_only=True)
class _Inner:
    low: int = attrs.field(default=0, validator=between(0, 9))

    def __attrs_post_init__(self) -> None:
        check(problem_if(self.low == 5, "low", "not five"),
              problem_if(self.low == 5, "other", "nor this"))


@attrs.frozen(kw_only=True)
class _Outer:
    inner: _Inner
    items: tuple[_Inner, ...] = ()


@pytest.mark.parametrize(("raw", "expected"), [
    ({"inner": {"low": 10}}, [("$.inner.low", "must be between 0 and 9, got 10")]),
    ({"inner": {"low": 5}}, [("$.inner.low", "not five"), ("$.inner.other", "nor this")]),
    ({"inner": {}, "items": [{"low": "1"}, {"low": 5}]},
     [("$.items[0].low", "expected an integer, got a string"),
      ("$.items[1].low", "not five"), ("$.items[1].other", "nor this")]),
    ({}, [("$.inner", "required field missing")]),
])
def test_problems_name_each_field(raw: object, expected: list[tuple[str, str]]) -> None:
    """`problems` adds to cattrs' paths the field a validator names and each problem of a
    group that `check` raises at once."""
    with pytest.raises(cattrs.BaseValidationError) as info:
        make_converter().structure(raw, _Outer)
    assert convert.problems(info.value) == expected
    assert convert.describe(info.value) == "; ".join(f"{p}: {m}" for p, m in expected)
