"""Shared test helpers: the errors of a config as {path: message}."""

from __future__ import annotations

import pytest

from scripts import InvalidConfig, validate


def errors(script_name: str, raw: object) -> dict[str, str]:
    """The field errors `validate` raises for `raw`, by path."""
    with pytest.raises(InvalidConfig) as info:
        validate(script_name, raw)
    return {error.path: error.message for error in info.value.errors}
