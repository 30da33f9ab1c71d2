"""The converter: strict JSON types, field paths, unknown keys."""

from __future__ import annotations

import pytest

from scripts import validate
from scripts._convert import make_converter

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
