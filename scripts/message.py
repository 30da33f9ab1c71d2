"""`message`: send a direct message to users, one task per target user."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._rules import FieldProblem, check, problem_if
from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, missing_targets
from ._text import CommentOrder, add_emoji, lines, pick_comment
from .convert import task_config
from .driver import DeviceDriver

__all__ = ["SCRIPT", "MessageConfig", "MessageOrder", "fan_out", "pick_message", "run"]

#: `message_order`: `random` or `sequential`, as `comment_order`.
MessageOrder = CommentOrder


@attrs.frozen(kw_only=True)
class MessageConfig(UserTargetsConfig):
    """The `script_config` of `message`: the targets as follow's (`target_users`, or
    `target_user` split on newlines and commas; `access_method`), `message_content`
    (the texts, one per line), `message_order` and `insert_emoji` as comment's."""

    message_content: str | None = None
    message_order: MessageOrder = MessageOrder.RANDOM
    insert_emoji: bool = False

    def __attrs_post_init__(self) -> None:
        check(missing_targets(self.users, "target_users", "target_user"),
              self.missing_messages(needed=True))

    def missing_messages(self, *, needed: bool) -> FieldProblem | None:
        """A problem at `message_content` when texts are `needed` and there are none."""
        return problem_if(needed and not self.messages, "message_content",
                          "required: messages, one per line")

    @property
    def messages(self) -> tuple[str, ...]:
        """The texts, one per non-blank line of `message_content`."""
        return lines(self.message_content or "")


def pick_message(config: MessageConfig, index: int, rng: random.Random) -> str:
    """The `index`-th message of a run: by `message_order`, plus a random emoji when
    `insert_emoji` is set."""
    text = pick_comment(config.messages, config.message_order, index, rng)
    return add_emoji(text, rng) if config.insert_emoji else text


def fan_out(
    config: MessageConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per target user; task k of the request (k = `start` + i) gets its text
    by `message_order` (and its emoji), so its config holds the final text and says
    `insert_emoji: false`."""
    return [
        task_config(config, extra, target_users=(user,), target_user=user,
                    target_username=None, message_content=pick_message(config, index, rng),
                    insert_emoji=False)
        for index, user in enumerate(config.users, start)
    ]


async def run(driver: DeviceDriver, config: MessageConfig, ctx: ScriptContext) -> RunResult:
    """Open each target's profile (a task has one) by `access_method`, tap Message,
    type the text, send it, and check the thread shows it."""
    ui = await flows.as_account(driver, ctx)
    search = config.access_method is AccessMethod.SEARCH
    sent: dict[str, str] = {}
    for index, user in enumerate(config.users):
        text = pick_message(config, index, ctx.rng)
        await flows.send_message(ui, user, text, search=search)
        sent[user] = text
    return RunResult("; ".join(f"messaged @{user}: {text!r}" for user, text in sent.items()),
                   {"messages": sent})


SCRIPT = Script(config_class=MessageConfig, fan_out=fan_out, run=run)
