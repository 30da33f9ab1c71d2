"""`comment`: comment on posts, one task per post URL, one comment per task."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._marks import Mark, marked
from ._rules import check, http_url, problem_if
from ._spec import Script
from ._targets import each_target, missing_targets, targets
from ._text import CommentOrder, add_emoji, lines, pick_comment
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["SCRIPT", "CommentConfig", "CommentOrder", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class CommentConfig:
    """The `script_config` of `comment`: `target_post_urls` (a list, wins) or
    `target_post_url` (split on newlines and commas); `comment_content` holds the
    comments, one per line; `comment_image_path` is TikTok only (absolute, or relative to
    the data folder; it must resolve inside it or an `--allow-path` folder)."""

    target_post_urls: tuple[str, ...] | None = attrs.field(
        default=None, validator=each_target(http_url)
    )
    target_post_url: str | None = attrs.field(default=None, validator=each_target(http_url))
    comment_content: str | None = None
    comment_order: CommentOrder = CommentOrder.RANDOM
    insert_emoji: bool = False
    comment_image_path: str | None = attrs.field(default=None, metadata=marked(Mark.HOST_FILE))

    def __attrs_post_init__(self) -> None:
        check(
            missing_targets(self.urls, "target_post_urls", "target_post_url"),
            problem_if(not self.comments, "comment_content", "required: comments, one per line"),
        )

    @property
    def urls(self) -> tuple[str, ...]:
        """The post URLs, in order."""
        return targets(self.target_post_urls, self.target_post_url)

    @property
    def comments(self) -> tuple[str, ...]:
        """The comments, one per non-blank line of `comment_content`."""
        return lines(self.comment_content or "")


def fan_out(
    config: CommentConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per URL; task k of the request (k = `start` + i) gets its comment by
    `comment_order`, plus a random emoji when `insert_emoji` is set. The task's
    `comment_content` is then final: its config says `insert_emoji: false`, so that it
    fans out to itself again."""
    tasks = []
    for index, url in enumerate(config.urls, start):
        comment = pick_comment(config.comments, config.comment_order, index, rng)
        if config.insert_emoji:
            comment = add_emoji(comment, rng)
        tasks.append(
            task_config(
                config,
                extra,
                target_post_urls=(url,),
                target_post_url=url,
                comment_content=comment,
                insert_emoji=False,
            )
        )
    return tasks


async def run(driver: DeviceDriver, config: CommentConfig, ctx: ScriptContext) -> RunResult:
    """Comment on each post (a task has one, with its comment already chosen), and
    check the comment is listed under the post. `comment_image_path` is not attached
    yet: the remark says so."""
    ui = await flows.as_account(driver, ctx)
    done: dict[str, str] = {}
    for index, url in enumerate(config.urls):
        text = pick_comment(config.comments, config.comment_order, index, ctx.rng)
        if config.insert_emoji:
            text = add_emoji(text, ctx.rng)
        await flows.open_post(ui, url)
        await flows.comment_here(ui, text)
        done[url] = text
    remark = "; ".join(f"commented {text!r} on {url}" for url, text in done.items())
    if config.comment_image_path:
        remark += " (comment image not attached: not supported yet)"
    return RunResult(remark, {"comments": done})


SCRIPT = Script(config_class=CommentConfig, fan_out=fan_out, run=run)
