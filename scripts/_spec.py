"""What a script module declares: its config class and its fan-out (later, its steps)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, Generic, Protocol, TypeVar

import attrs
from attrs import AttrsInstance

__all__ = ["FanOut", "Script", "ScriptSpec"]

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


@attrs.frozen(kw_only=True)
class Script(Generic[C]):
    """A written script: its `script_config` class and how one request fans out."""

    config_class: type[C]
    fan_out: FanOut[C]


def _enabled_needs_script(spec: ScriptSpec, _: attrs.Attribute[bool], enabled: bool) -> None:
    if enabled and spec.script is None:
        raise ValueError(f"script {spec.name!r} is API-enabled but not written")


@attrs.frozen(kw_only=True)
class ScriptSpec:
    """A script the orchestrator knows; `script` is None while it is only announced."""

    name: str
    script: Script[Any] | None = None
    api_enabled: bool = attrs.field(default=False, validator=_enabled_needs_script)
