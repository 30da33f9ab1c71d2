"""`account_warmup`: watch, like, follow, collect and comment like a person, per device.

The per-video picks (topic, actions by probability, comments by `comment_order`) happen
while the task runs; the fan-out makes one task per device with the config as given.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from ._convert import task_config
from ._rules import FieldProblem, at_least, between, check, http_url, problem_if
from ._spec import Script
from ._text import CommentOrder, lines

__all__ = ["SCRIPT", "AccountWarmupConfig", "ChatGPTSettings", "CommentOrder", "fan_out"]


def _url(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if (complaint := http_url(value)) is not None:
        raise FieldProblem(complaint, attribute.name)


@attrs.frozen(kw_only=True)
class ChatGPTSettings:
    """An OpenAI-compatible chat endpoint that writes the comments."""

    api_key: str = ""
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


SCRIPT = Script(config_class=AccountWarmupConfig, fan_out=fan_out)
