"""`scrape_user`: collect target users' profiles (one task per user), or the followers
of one user up to a limit (one task); the task's result holds what was read."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._rules import between, check, filled, problem_if
from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, missing_targets
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["MAX_LIMIT", "SCRIPT", "ScrapeUserConfig", "fan_out", "run"]

#: The most followers one task collects.
MAX_LIMIT = 10_000


@attrs.frozen(kw_only=True)
class ScrapeUserConfig(UserTargetsConfig):
    """The `script_config` of `scrape_user`: either the targets as follow's
    (`target_users`, or `target_user` split on newlines and commas), whose profiles are
    read, or `followers_of` one user, whose first `limit` followers are listed.
    `access_method` says how a profile is reached."""

    followers_of: str | None = None
    limit: int = attrs.field(default=100, validator=between(1, MAX_LIMIT))

    def __attrs_post_init__(self) -> None:
        if self.followers_of is None:
            check(missing_targets(self.users, "target_users", "target_user"))
            return
        check(
            problem_if(not self.follower_source, "followers_of", "must name a user"),
            problem_if(bool(self.users), "followers_of",
                       "give either followers_of or target_users/target_user, not both"),
        )

    @property
    def follower_source(self) -> str | None:
        """The user whose followers to list, without a leading "@"; None for profiles."""
        name = (self.followers_of or "").strip().removeprefix("@")
        return name if filled(name) else None


def fan_out(
    config: ScrapeUserConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per target user, or one task for `followers_of`."""
    if config.follower_source:
        return [task_config(config, extra, followers_of=config.follower_source)]
    return [task_config(config, extra, target_users=(user,), target_user=user,
                        target_username=None)
            for user in config.users]


async def run(driver: DeviceDriver, config: ScrapeUserConfig, ctx: ScriptContext) -> RunResult:
    """Read each target's profile (a task has one) into `{"profiles": [...]}`, or
    scroll the follower list of `followers_of` into `{"followers": [...]}`."""
    ui = await flows.as_account(driver, ctx)
    search = config.access_method is AccessMethod.SEARCH
    if source := config.follower_source:
        names = await flows.read_followers(ui, source, config.limit, search=search)
        return RunResult(f"collected {len(names)} followers of @{source}",
                       {"followers_of": source, "followers": names})
    profiles = [await flows.read_profile(ui, user, search=search) for user in config.users]
    remark = "; ".join(f"scraped @{p['username']} ({p['followers']} followers)"
                       for p in profiles)
    return RunResult(remark, {"profiles": profiles})


SCRIPT = Script(config_class=ScrapeUserConfig, fan_out=fan_out, run=run,
                same_on_every_device=True)
