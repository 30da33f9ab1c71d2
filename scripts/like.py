"""`like`: like posts by URL, one task per post; "already liked" is a success."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._rules import check, http_url
from ._spec import Script
from ._targets import each_target, missing_targets, targets
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["SCRIPT", "LikeConfig", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class LikeConfig:
    """The `script_config` of `like`: `target_post_urls` (a list, wins) or
    `target_post_url` (split on newlines and commas), each an http(s) post URL."""

    target_post_urls: tuple[str, ...] | None = attrs.field(
        default=None, validator=each_target(http_url)
    )
    target_post_url: str | None = attrs.field(default=None, validator=each_target(http_url))

    def __attrs_post_init__(self) -> None:
        check(missing_targets(self.urls, "target_post_urls", "target_post_url"))

    @property
    def urls(self) -> tuple[str, ...]:
        """The post URLs, in order."""
        return targets(self.target_post_urls, self.target_post_url)


def fan_out(
    config: LikeConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per post URL, in the order given."""
    return [task_config(config, extra, target_post_urls=(url,), target_post_url=url)
            for url in config.urls]


async def run(driver: DeviceDriver, config: LikeConfig, ctx: ScriptContext) -> RunResult:
    """Open each post (a task has one) and like it unless it is liked already."""
    ui = await flows.as_account(driver, ctx)
    done = {url: "liked" if await flows.like_post(ui, url) else "already liked"
            for url in config.urls}
    return RunResult("; ".join(f"{state} {url}" for url, state in done.items()),
                   {"posts": done})


SCRIPT = Script(config_class=LikeConfig, fan_out=fan_out, run=run,
                same_on_every_device=True)
