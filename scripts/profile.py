"""`profile`: set the account's nickname, bio, website and photo; one task per device."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._marks import Mark, marked
from ._rules import check, filled, problem_if
from ._spec import Script
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["SCRIPT", "ProfileConfig", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class ProfileConfig:
    """The `script_config` of `profile`: each field optional, at least one given.
    `nickname`, `bio` and `website` replace the current text (an empty string clears
    it); `avatar_path` is a picture file on the host (relative to the data folder; it
    must resolve inside it or an `--allow-path` folder), pushed to the phone and picked
    as the profile photo."""

    nickname: str | None = None
    bio: str | None = None
    website: str | None = None
    avatar_path: str | None = attrs.field(default=None, metadata=marked(Mark.HOST_FILE))

    def __attrs_post_init__(self) -> None:
        check(
            problem_if(not self.fields and self.avatar_path is None, "nickname",
                       "required: at least one of nickname, bio, website, avatar_path"),
            problem_if(self.avatar_path is not None and not filled(self.avatar_path),
                       "avatar_path", "must name a file"),
        )

    @property
    def fields(self) -> dict[str, str]:
        """The text fields to set, by name (`flows.PROFILE_FIELDS`), in screen order."""
        given = {"nickname": self.nickname, "bio": self.bio, "website": self.website}
        return {name: value for name, value in given.items() if value is not None}


def fan_out(
    config: ProfileConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per device (or account)."""
    return [task_config(config, extra)]


async def _push_photo(driver: DeviceDriver, config: ProfileConfig, ctx: ScriptContext) -> str:
    """Copy `avatar_path` into the phone's camera folder; the name the gallery shows."""
    path = await ctx.host_files.existing_file(config.avatar_path or "", "avatar file")
    await driver.push(path, f"{ctx.app.media_dir}/{path.name}")
    return path.name


async def run(driver: DeviceDriver, config: ProfileConfig, ctx: ScriptContext) -> RunResult:
    """Push the photo (if any), then Edit profile: each given field cleared and typed,
    the photo picked, Save, and the app's confirmation awaited."""
    photo = await _push_photo(driver, config, ctx) if config.avatar_path else None
    ui = await flows.as_account(driver, ctx)
    await flows.edit_profile(ui, config.fields, photo=photo)
    changed = {**config.fields, **({"avatar": photo} if photo else {})}
    return RunResult(f"profile updated: {', '.join(changed)}", {"profile": changed})


SCRIPT = Script(config_class=ProfileConfig, fan_out=fan_out, run=run,
                same_on_every_device=True)
