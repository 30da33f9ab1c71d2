"""The wire converter and the error tree."""

from __future__ import annotations

from typing import Annotated, Any

import attrs
import cattrs
import pytest

from actors import TaskSource, TaskStatus
from orchestrator import errors
from orchestrator.converter import Range, make_converter
from scripts.convert import describe


@attrs.frozen(kw_only=True)
class Inner:
    name: str


@attrs.frozen(kw_only=True)
class Model:
    count: Annotated[int, Range(0, 9)] = 0
    flag: bool = False
    names: list[str] | None = None
    status: TaskStatus | None = None
    source: TaskSource = TaskSource.API
    inner: Inner | None = None
    raw: Any = None


def _problems(raw: object, *, from_text: bool = False) -> str:
    with pytest.raises((cattrs.BaseValidationError, ValueError)) as info:
        make_converter(from_text=from_text).structure(raw, Model)
    return describe(info.value)


class TestStrict:
    @pytest.mark.parametrize(("raw", "message"), [
        ({"count": "1"}, "$.count: expected an integer, got a string"),
        ({"count": True}, "$.count: expected an integer, got a boolean"),
        ({"count": 10}, "$.count: must be at most 9, got 10"),
        ({"flag": "true"}, "$.flag: expected a boolean, got a string"),
        ({"flag": 2}, "$.flag: expected a boolean, got an integer"),
        ({"names": "ab"}, "$.names: expected an array, got a string"),
        ({"names": ["a", None]}, "$.names[1]: expected a string, got null"),
        ({"status": "1"}, "$.status: must be one of 0, 1, 2, 3, got '1'"),
        ({"source": 1}, "$.source: must be one of 'api', 'ui', 'schedule', got 1"),
        ({"inner": {}}, "$.inner.name: required field missing"),
        ({"inner": []}, "$.inner: expected an object, got an array"),
        ([], "$: expected an object, got an array"),
    ])
    def test_wrong_types_named(self, raw: object, message: str) -> None:
        assert _problems(raw) == message

    def test_all_problems_at_once(self) -> None:
        assert _problems({"count": -1, "flag": None}) == (
            "$.count: must be at least 0, got -1; $.flag: expected a boolean, got null")

    def test_good_values_and_unknown_keys(self) -> None:
        model = make_converter().structure(
            {"count": 3, "flag": 1, "names": ["a"], "status": 2, "source": "ui",
             "inner": {"name": "x"}, "raw": {"any": [1]}, "extra": "kept out"}, Model)
        assert model == Model(count=3, flag=True, names=["a"], status=TaskStatus.COMPLETED,
                              source=TaskSource.UI, inner=Inner(name="x"), raw={"any": [1]})

    def test_unstructure_enums_by_value(self) -> None:
        data = make_converter().unstructure(Model(status=TaskStatus.FAILED))
        assert (data["status"], data["source"]) == (3, "api")


class TestFromText:
    def test_integers_from_text(self) -> None:
        model = make_converter(from_text=True).structure({"count": "7", "status": "3"}, Model)
        assert (model.count, model.status) == (7, TaskStatus.FAILED)

    def test_enum_names_the_text_given(self) -> None:
        assert _problems({"status": "9"}, from_text=True) == (
            "$.status: must be one of 0, 1, 2, 3, got '9'")

    def test_text_past_64_bits(self) -> None:
        assert _problems({"raw": 1, "count": "9" * 5000}, from_text=True) == (
            "$.count: must fit a signed 64-bit integer"
            " (-9223372036854775808 to 9223372036854775807)")

    @pytest.mark.parametrize("text", ["1.5", "", "1e3", "٣", "1_0"])
    def test_not_integers(self, text: str) -> None:
        assert _problems({"count": text}, from_text=True) == (
            f"$.count: expected an integer, got {text!r}")


class TestErrors:
    @pytest.mark.parametrize(("cls", "code", "status"), [
        (errors.InvalidParams, 40001, 400), (errors.ScriptNotApiEnabled, 40003, 400),
        (errors.ApiNotAllowed, 40301, 403), (errors.NotFound, 40401, 404),
        (errors.InternalError, 50001, 500)])
    def test_code_and_status(self, cls: type[errors.OrchestratorError], code: int,
                             status: int) -> None:
        error = cls("x")
        assert (error.code, error.http_status, error.message, error.data) == (
            code, status, "x", None)

    def test_script_name_missing(self) -> None:
        error = errors.ScriptNameMissing()
        assert (error.code, error.http_status, error.message) == (
            40002, 400, "script_name is required")

    def test_builtin_bases(self) -> None:
        assert issubclass(errors.InvalidParams, ValueError)
        assert issubclass(errors.NotFound, LookupError)

    def test_exports(self) -> None:
        assert errors.__all__ == sorted(errors.__all__)
        assert all(issubclass(getattr(errors, name), errors.OrchestratorError)
                   for name in errors.__all__)
