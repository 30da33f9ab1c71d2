"""What a script module declares: its config class, its fan-out and its steps."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
from attrs import AttrsInstance

if TYPE_CHECKING:
    from ._context import RunResult, ScriptContext
    from .driver import DeviceDriver

__all__ = ["FanOut", "Runner", "Script", "ScriptSpec"]

C = TypeVar("C", bound=AttrsInstance)
C_contra = TypeVar("C_contra", bound=AttrsInstance, contravariant=True)


class FanOut(Protocol[C_contra]):
    def __call__(
        self, config: C_contra, extra: Mapping[str, Any], *, start: int, rng: random.Random
    ) -> list[dict[str, Any]]:
        """The JSON-ready configs of one device's tasks (its targets, in order).

        Args:
            config: the validated config.
            extra: the request's unknown keys; every task keeps them as they came.
            start: the request-wide index of this device's first task (sequential
                comment order counts over the whole request).
            rng: draws the random picks (spintax, random comments, emoji).
        """
        ...


class Runner(Protocol[C_contra]):
    async def __call__(self, driver: DeviceDriver, config: C_contra,
                       ctx: ScriptContext) -> RunResult:
        """Do one task on the phone `driver` drives; its success.

        Raises:
            StepFailed: the job could not be done; its remark says why.
            DriverError: the phone was lost or hung (the driver's errors pass through).
        """
        ...


@attrs.frozen(kw_only=True)
class Script(Generic[C]):
    """A written script: its `script_config` class, how one request fans out, and
    what one task does on a phone (`run`).

    `same_on_every_device`: the fan-out ignores `start` and `rng`, so one device's task
    configs serve every device of a request (100,000 tasks are planned in one pass).
    """

    config_class: type[C]
    fan_out: FanOut[C]
    run: Runner[C]
    same_on_every_device: bool = False


def _enabled_needs_script(spec: ScriptSpec, _: attrs.Attribute[bool], enabled: bool) -> None:
    if enabled and spec.script is None:
        raise ValueError(f"script {spec.name!r} is API-enabled but not written")


@attrs.frozen(kw_only=True)
class ScriptSpec:
    """A script the orchestrator knows; `script` is None while it is only announced."""

    name: str
    script: Script[Any] | None = None
    api_enabled: bool = attrs.field(default=False, validator=_enabled_needs_script)
