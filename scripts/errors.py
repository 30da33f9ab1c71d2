"""The errors of script lookup and `script_config` validation.

ScriptError
├── UnknownScript        no script of that name (API code 40001)
├── ScriptNotEnabled     known, but not accepted through the API (API code 40003)
├── InvalidConfig        `script_config` breaks a rule; carries one FieldError per
│                        problem (API code 40001)
└── StepFailed           a script could not do its job on the phone; `remark` says why
                         in words a person understands ("profile @x not found"), and
                         `permanent` whether trying again would fail the same way

Device trouble (a phone gone or hung) is the driver's: `scripts.driver.DriverError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = [
    "FieldError",
    "InvalidConfig",
    "ScriptError",
    "ScriptNotEnabled",
    "StepFailed",
    "UnknownScript",
]


@attrs.frozen
class FieldError:
    """One problem: the field's path (cattrs' `transform_error` style) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ScriptError(Exception):
    """Base of the errors of this package."""


class UnknownScript(ScriptError, LookupError):
    """No script has this name."""

    def __init__(self, script_name: str) -> None:
        super().__init__(f"unknown script_name {script_name!r}")
        self.script_name = script_name


class ScriptNotEnabled(ScriptError):
    """The script exists but cannot be started through the API (yet)."""

    def __init__(self, script_name: str) -> None:
        super().__init__(f"script {script_name!r} is not available through the API")
        self.script_name = script_name


class InvalidConfig(ScriptError, ValueError):
    """`script_config` is invalid; `errors` names each field at fault."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(map(str, self.errors)))


class StepFailed(ScriptError):
    """A script could not do its job; `remark` is the task's remark, for a person.

    `permanent`: what failed will not change by itself (a file, an account, a profile
    that is not there), so the task is not retried automatically; otherwise (a screen
    slow to come, a service that did not answer) another try may succeed.
    """

    def __init__(self, remark: str, *, permanent: bool = False) -> None:
        super().__init__(remark)
        self.remark = remark
        self.permanent = permanent
