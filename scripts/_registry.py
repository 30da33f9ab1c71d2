"""The scripts by name, and the entry points that validate a request and fan it out.

Order of a request's tasks, device-major: all tasks of the first device (or account
slot), in target order, then those of the next. So a device's tasks are consecutive and
run in that order, an account is switched to once per request, and the sequential comment
counter runs over the whole request: with 2 devices, 3 posts and comments c0..c3,
device 1 gets c0 c1 c2 (tasks k = 0, 1, 2) and device 2 gets c3 c0 c1 (k = 3, 4, 5).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import trio

from . import (
    account_warmup,
    comment,
    follow,
    like,
    message,
    post,
    profile,
    scrape_user,
    super_marketing,
    unfollow,
)
from ._context import RunResult, ScriptContext
from ._host_files import NO_HOST_FILES, HostFiles
from ._marks import redacted
from ._spec import Script, ScriptSpec
from .convert import load
from .driver import DeviceDriver
from .errors import ScriptNotEnabled, UnknownScript

__all__ = ["SCRIPTS", "api_script", "plan_tasks", "public_config", "run_task", "validate"]

T = TypeVar("T")

_WRITTEN: dict[str, Script[Any]] = {
    "account_warmup": account_warmup.SCRIPT,
    "comment": comment.SCRIPT,
    "follow": follow.SCRIPT,
    "like": like.SCRIPT,
    "message": message.SCRIPT,
    "post": post.SCRIPT,
    "profile": profile.SCRIPT,
    "scrape_user": scrape_user.SCRIPT,
    "super_marketing": super_marketing.SCRIPT,
    "unfollow": unfollow.SCRIPT,
}
SCRIPTS: Mapping[str, ScriptSpec] = MappingProxyType(
    {name: ScriptSpec(name=name, script=_WRITTEN[name], api_enabled=True)
     for name in sorted(_WRITTEN)}
)


def api_script(script_name: str) -> Script[Any]:
    """The script `script_name`, if the API may start it.

    Raises:
        UnknownScript: no such script.
        ScriptNotEnabled: it is known but not (yet) API-enabled.
    """
    spec = SCRIPTS.get(script_name)
    if spec is None:
        raise UnknownScript(script_name)
    if not spec.api_enabled or spec.script is None:
        raise ScriptNotEnabled(script_name)
    return spec.script


def _load(script: Script[Any], raw_config: object, host_files: HostFiles
          ) -> tuple[Any, dict[str, Any]]:
    """`load`, then the host paths the config names confined to `host_files` (blocking:
    paths are resolved on the file system)."""
    config, extra = load(raw_config, script.config_class)
    assert isinstance(raw_config, Mapping)  # load refuses anything else
    host_files.check(script.config_class, raw_config)
    return config, extra


def plan_tasks(
    script_name: str,
    raw_config: object,
    slots: Sequence[T],
    *,
    host_files: HostFiles = NO_HOST_FILES,
    rng: random.Random | None = None,
) -> list[tuple[T, dict[str, Any]]]:
    """Validate `raw_config` and fan the request out over `slots` (serials, or
    (serial, username) pairs): `(slot, task config)` in the request's order, device-major.
    A host path the config names must resolve inside `host_files` (default: none may;
    blocking, it looks at the file system).

    Raises:
        UnknownScript: no such script (API 40001).
        ScriptNotEnabled: known, not accepted through the API (API 40003).
        InvalidConfig: naming each field at fault (API 40001).
    """
    script = api_script(script_name)
    config, extra = _load(script, raw_config, host_files)
    rng = rng or random.Random()
    planned: list[tuple[T, dict[str, Any]]] = []
    shared = script.fan_out(config, extra, start=0, rng=rng) \
        if script.same_on_every_device else None
    for slot in slots:
        tasks = shared if shared is not None else \
            script.fan_out(config, extra, start=len(planned), rng=rng)
        planned += [(slot, dict(task)) for task in tasks]
    return planned


def validate(
    script_name: str, raw_config: object, *, rng: random.Random | None = None
) -> tuple[Any, list[dict[str, Any]]]:
    """The validated config object and the task configs of one device.

    Raises the errors of `plan_tasks`.
    """
    script = api_script(script_name)
    config, extra = load(raw_config, script.config_class)
    return config, script.fan_out(config, extra, start=0, rng=rng or random.Random())


async def run_task(
    driver: DeviceDriver, script_name: str, script_config: object, ctx: ScriptContext
) -> RunResult:
    """Run one stored task: re-validate its `script_config`, then the script's steps.

    Raises:
        UnknownScript, ScriptNotEnabled, InvalidConfig: as `plan_tasks` (a task whose
            config no longer validates, or names a host path `ctx.host_files` refuses).
        StepFailed: the script could not do its job; `remark` says why.
        DriverError: the phone was lost or hung.
    """
    script = api_script(script_name)
    config, _ = await trio.to_thread.run_sync(_load, script, script_config, ctx.host_files)
    return await script.run(driver, config, ctx)


def public_config(script_name: str, script_config: Mapping[str, Any]) -> Mapping[str, Any]:
    """A task's `script_config` as it may be shown or logged: its secrets (fields marked
    `Mark.SECRET`, e.g. `chatgpt_settings.api_key`) masked. The stored config keeps them."""
    spec = SCRIPTS.get(script_name)
    if spec is None or spec.script is None:
        return script_config
    return redacted(spec.script.config_class, script_config)
