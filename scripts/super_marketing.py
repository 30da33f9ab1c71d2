"""`super_marketing`: a campaign over target users, one task per device: on each
target's profile, follow, like their latest posts and message them, each step with its
own chance, and a random wait between targets."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs
import trio

from . import flows
from ._context import RunResult, ScriptContext
from ._rules import at_least, between, check, problem_if
from ._spec import Script
from ._targets import AccessMethod, missing_targets
from .convert import task_config
from .driver import DeviceDriver
from .errors import StepFailed
from .message import MessageConfig, pick_message

__all__ = ["SCRIPT", "CampaignCounts", "SuperMarketingConfig", "fan_out", "run"]

#: The most latest posts liked per target.
MAX_LIKES = 20
_STEPS = ("follow_probable", "message_probable", "like_probable")


@attrs.frozen(kw_only=True)
class SuperMarketingConfig(MessageConfig):
    """The `script_config` of `super_marketing`: the targets as follow's, the chance
    (0-100) of each step per target, `like_count` latest posts to like, the messages as
    `message`'s (required when `message_probable` > 0), and `min_interval` /
    `max_interval` seconds: the random wait between two targets."""

    follow_probable: int = attrs.field(default=100, validator=between(0, 100))
    message_probable: int = attrs.field(default=0, validator=between(0, 100))
    like_probable: int = attrs.field(default=0, validator=between(0, 100))
    like_count: int = attrs.field(default=1, validator=between(1, MAX_LIKES))
    min_interval: int = attrs.field(default=10, validator=at_least(0))
    max_interval: int = attrs.field(default=30, validator=at_least(0))

    def __attrs_post_init__(self) -> None:
        check(
            missing_targets(self.users, "target_users", "target_user"),
            self.missing_messages(needed=self.message_probable > 0),
            problem_if(not any(getattr(self, step) for step in _STEPS), "follow_probable",
                       f"at least one of {', '.join(_STEPS)} must be above 0"),
            problem_if(self.min_interval > self.max_interval, "min_interval",
                       f"must not exceed max_interval ({self.max_interval})"),
        )


@attrs.define
class CampaignCounts:
    """What a campaign did; `failed` holds each target that failed, with the reason."""

    targets: int = 0
    visited: int = 0
    followed: int = 0
    liked: int = 0
    messaged: int = 0
    failed: dict[str, str] = attrs.Factory(dict)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)

    def remark(self) -> str:
        text = (f"{self.visited} of {self.targets} targets: followed {self.followed}, "
                f"liked {self.liked} posts, messaged {self.messaged}")
        if self.failed:
            text += "; failed: " + "; ".join(self.failed.values())
        return text


def fan_out(
    config: SuperMarketingConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per device (or account), running over all the targets."""
    return [task_config(config, extra)]


async def _visit(ui: flows.Ui, config: SuperMarketingConfig, user: str,
                 counts: CampaignCounts, rng: random.Random) -> None:
    """The steps the dice pick, on @`user`'s profile."""
    button = await flows.open_profile(ui, user,
                                      search=config.access_method is AccessMethod.SEARCH)
    if rng.randrange(100) < config.follow_probable:
        counts.followed += await flows.follow_shown(ui, user, button)
    if rng.randrange(100) < config.like_probable:
        counts.liked += await flows.like_latest(ui, user, config.like_count)
    if rng.randrange(100) < config.message_probable:
        await flows.message_shown(ui, user, pick_message(config, counts.messaged, rng))
        counts.messaged += 1


async def run(driver: DeviceDriver, config: SuperMarketingConfig,
              ctx: ScriptContext) -> RunResult:
    """Visit each target in order, waiting a random [min_interval, max_interval] s
    between two. A target that fails (not found, a step refused) is noted and the
    campaign goes on; it fails only if every target failed."""
    ui = await flows.as_account(driver, ctx)
    counts = CampaignCounts(targets=len(config.users))
    for index, user in enumerate(config.users):
        if index:
            await trio.sleep(ctx.rng.uniform(config.min_interval, config.max_interval))
        try:
            await _visit(ui, config, user, counts, ctx.rng)
        except StepFailed as error:
            counts.failed[user] = error.remark
        else:
            counts.visited += 1
    if not counts.visited:
        raise StepFailed(f"every target failed: {'; '.join(counts.failed.values())}")
    return RunResult(counts.remark(), counts.as_dict())


SCRIPT = Script(config_class=SuperMarketingConfig, fan_out=fan_out, run=run)
