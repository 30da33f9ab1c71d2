"""`account_warmup`: watch, like, follow, collect and comment like a person, per device.

The per-video picks (topic, actions by probability, comments by `comment_order`) happen
while the task runs; the fan-out makes one task per device with the config as given.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._marks import Mark, marked
from ._rules import FieldProblem, at_least, between, check, http_url, problem_if
from ._spec import Script
from ._text import CommentOrder, add_emoji, lines, pick_comment
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["SCRIPT", "AccountWarmupConfig", "ChatGPTSettings", "CommentOrder", "fan_out", "run"]


def _url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if (complaint := http_url(value)) is not None:
        raise FieldProblem(complaint, attribute.name)


@attrs.frozen(kw_only=True)
class ChatGPTSettings:
    """An OpenAI-compatible chat endpoint that writes the comments; `api_key` is a
    secret: the API shows it masked."""

    api_key: str = attrs.field(default="", metadata=marked(Mark.SECRET))
    model: str = "gpt-4o-mini"
    prompt: str = "Write a short, friendly comment for this video. Reply with the comment only."
    max_tokens: int = attrs.field(default=60, validator=at_least(1))
    temperature: float = attrs.field(default=0.7, validator=between(0, 2))
    base_url: str = attrs.field(default="https://api.openai.com/v1", validator=_url)


@attrs.frozen(kw_only=True)
class AccountWarmupConfig:
    """The `script_config` of `account_warmup`. Durations in seconds; `*_probable` are
    percentages (`floow_probable` is the product's spelling); `topic` and `comment` hold
    one entry per line."""

    task_duration: int = attrs.field(default=600, validator=at_least(1))
    topic: str = ""
    min_duration: int = attrs.field(default=15, validator=at_least(1))
    max_duration: int = attrs.field(default=30, validator=at_least(1))
    like_probable: int = attrs.field(default=0, validator=between(0, 100))
    floow_probable: int = attrs.field(default=0, validator=between(0, 100))
    collect_probable: int = attrs.field(default=0, validator=between(0, 100))
    comment_probable: int = attrs.field(default=0, validator=between(0, 100))
    comment: str = ""
    insert_emoji: bool = False
    comment_order: CommentOrder = CommentOrder.RANDOM
    generate_by_chatgpt: bool = False
    chatgpt_settings: ChatGPTSettings | None = None

    def __attrs_post_init__(self) -> None:
        check(
            problem_if(
                self.min_duration > self.max_duration,
                "min_duration",
                f"must not exceed max_duration ({self.max_duration})",
            ),
            problem_if(
                self.generate_by_chatgpt and self.chatgpt_settings is None,
                "chatgpt_settings",
                "required when generate_by_chatgpt is true",
            ),
        )

    @property
    def topics(self) -> tuple[str, ...]:
        """The search keywords, one per line of `topic`."""
        return lines(self.topic)

    @property
    def comments(self) -> tuple[str, ...]:
        """The comment templates, one per line of `comment`."""
        return lines(self.comment)


def fan_out(
    config: AccountWarmupConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task, with the config as given."""
    return [task_config(config, extra)]


def _writer(config: AccountWarmupConfig, ctx: ScriptContext) -> Callable[[str], Awaitable[str]]:
    """Writes the k-th comment of the run for a video's caption: by the endpoint when
    `generate_by_chatgpt`, else from the templates by `comment_order`."""
    written = 0

    async def write(caption: str) -> str:
        nonlocal written
        settings = config.chatgpt_settings
        if config.generate_by_chatgpt and settings is not None:
            text = await flows.chat_comment(
                ctx.http, base_url=settings.base_url, api_key=settings.api_key,
                model=settings.model, prompt=settings.prompt, max_tokens=settings.max_tokens,
                temperature=settings.temperature, about=caption)
        else:
            text = pick_comment(config.comments, config.comment_order, written, ctx.rng)
        written += 1
        return add_emoji(text, ctx.rng) if config.insert_emoji else text

    return write


async def run(driver: DeviceDriver, config: AccountWarmupConfig, ctx: ScriptContext) -> RunResult:
    """For `task_duration` s watch the feed (after searching one `topic`, if any), each
    video `min_duration`..`max_duration` s, acting by the given chances. Without
    comment templates or ChatGPT no comment is written (the remark says so)."""
    can_comment = config.generate_by_chatgpt or bool(config.comments)
    plan = flows.WarmupPlan(
        duration=config.task_duration, min_watch=config.min_duration,
        max_watch=config.max_duration, like=config.like_probable,
        follow=config.floow_probable, collect=config.collect_probable,
        comment=config.comment_probable if can_comment else 0,
        topic=ctx.rng.choice(config.topics) if config.topics else None)
    ui = await flows.as_account(driver, ctx, restart=True)
    counts = await flows.warm_up(ui, plan, ctx.rng, _writer(config, ctx))
    remark = (f"watched {counts.watched} videos, liked {counts.liked}, followed "
              f"{counts.followed}, collected {counts.collected}, commented {counts.commented}")
    notes = [f"searched {plan.topic!r}"] if plan.topic else []
    if "collect" in counts.notes:
        notes.append(f"{ctx.app.label} has no collect button here")
    if config.comment_probable and not can_comment:
        notes.append("no comment templates")
    if notes:
        remark += f" ({'; '.join(notes)})"
    return RunResult(remark, {**counts.as_dict(), "topic": plan.topic})


SCRIPT = Script(config_class=AccountWarmupConfig, fan_out=fan_out, run=run)
