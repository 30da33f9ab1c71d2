"""Validation rules shared by the config classes; every failure names its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import attrs

__all__ = [
    "FieldProblem",
    "Validator",
    "at_least",
    "between",
    "check",
    "filled",
    "http_url",
    "not_blank",
    "problem_if",
    "required_if",
]


class FieldProblem(ValueError):
    """A value that breaks a rule; `field` is its path below the object being checked."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def between(low: int, high: int) -> Validator:
    """An attrs validator: `low <= value <= high`."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
        if not low <= value <= high:
            raise FieldProblem(f"must be between {low} and {high}, got {value}", attribute.name)

    return validate


def at_least(low: int) -> Validator:
    """An attrs validator: `value >= low`."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
        if value < low:
            raise FieldProblem(f"must be at least {low}, got {value}", attribute.name)

    return validate


def filled(text: str | None) -> bool:
    """Whether an optional string holds more than blanks."""
    return bool(text and text.strip())


def not_blank(text: str) -> str | None:
    """A rule for `each_target`: the entry holds more than blanks."""
    return None if text.strip() else "must not be empty"


def http_url(text: str) -> str | None:
    """A rule for `each_target`: the entry is an http(s) URL with a host."""
    parts = urlsplit(text.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return f"{text!r} is not an http(s) URL"


def problem_if(condition: bool, field: str, message: str) -> FieldProblem | None:
    """A problem at `field` when `condition` holds (for `check`)."""
    return FieldProblem(message, field) if condition else None


def required_if(condition: bool, value: str | None, field: str, reason: str) -> FieldProblem | None:
    """A problem when `condition` holds and `value` is missing or blank."""
    return problem_if(condition and not filled(value), field, f"required {reason}")


def check(*problems: FieldProblem | None) -> None:
    """Raise the problems found (the Nones are rules that passed), all at once."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise ExceptionGroup("invalid config", found)
