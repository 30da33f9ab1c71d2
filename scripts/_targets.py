"""The target rule of follow, unfollow and comment (and, later, like and message).

A script takes its targets either as a list (`target_users`), which wins when it has
entries, or as one string (`target_user`) split on newlines and commas. Each target
becomes one task whose config holds just that target, in both shapes: the list with one
entry and the string. So a task's config is a valid config of its script again.
Follow and unfollow also share their `run`: one profile step per target user.
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from . import flows
from ._context import RunResult, ScriptContext
from ._rules import FieldProblem, Validator, check, problem_if
from ._spec import Runner
from .convert import task_config
from .driver import DeviceDriver

__all__ = [
    "AccessMethod",
    "ProfileStep",
    "UserTargetsConfig",
    "each_target",
    "fan_out_per_user",
    "missing_targets",
    "run_per_user",
    "split_targets",
    "targets",
]

_SEPARATORS = re.compile(r"[\r\n,]")


def split_targets(text: str) -> tuple[str, ...]:
    """`text` split on newlines and commas, stripped, without empty entries."""
    return tuple(part.strip() for part in _SEPARATORS.split(text) if part.strip())


def targets(listed: Sequence[str] | None, *texts: str | None) -> tuple[str, ...]:
    """The list's entries if it has any, else those of the first text that names some."""
    if listed:
        return tuple(item.strip() for item in listed)
    return next((found for text in texts if text and (found := split_targets(text))), ())


def each_target(rule: Callable[[str], str | None]) -> Validator:
    """An attrs validator for a list or a newline/comma string: each entry passes `rule`
    (which returns a complaint or None). A list entry's error names its index."""

    def validate(
        _: object, attribute: attrs.Attribute[Any], value: str | Sequence[str] | None
    ) -> None:
        if isinstance(value, str):
            found = ((attribute.name, item) for item in split_targets(value))
        else:
            found = ((f"{attribute.name}[{i}]", item) for i, item in enumerate(value or ()))
        for field, item in found:
            if (complaint := rule(item)) is not None:
                raise FieldProblem(complaint, field)

    return validate


def missing_targets(found: Sequence[str], list_field: str, text_field: str) -> FieldProblem | None:
    """A problem at `list_field` when no target was `found` (for `check`)."""
    return problem_if(
        not found,
        list_field,
        f"required: {list_field} (a list) or {text_field} (one string, split on newlines"
        " and commas)",
    )


def _user_name(text: str) -> str | None:
    return None if text.strip().removeprefix("@") else "must name a user"


class AccessMethod(enum.StrEnum):
    DIRECT = "direct"  # open the profile URL
    SEARCH = "search"  # search the name and tap the result


@attrs.frozen(kw_only=True)
class UserTargetsConfig:
    """The `script_config` of follow and unfollow. `target_username` is an alias of
    `target_user` (one of the product's example pages uses it)."""

    target_users: tuple[str, ...] | None = attrs.field(
        default=None, validator=each_target(_user_name)
    )
    target_user: str | None = None
    target_username: str | None = None
    access_method: AccessMethod = AccessMethod.DIRECT

    def __attrs_post_init__(self) -> None:
        check(missing_targets(self.users, "target_users", "target_user"))

    @property
    def users(self) -> tuple[str, ...]:
        """The target user names, in order, each without a leading "@"."""
        found = targets(self.target_users, self.target_user, self.target_username)
        return tuple(name for target in found if (name := target.removeprefix("@")))


def fan_out_per_user(
    config: UserTargetsConfig, extra: Mapping[str, Any], *, start: int, rng: random.Random
) -> list[dict[str, Any]]:
    """One task per target user, in the order given."""
    return [
        task_config(config, extra, target_users=(user,), target_user=user, target_username=None)
        for user in config.users
    ]


class ProfileStep(Protocol):
    async def __call__(self, ui: flows.Ui, user: str, *, search: bool = False) -> str:
        """Do the step on @`user`'s profile (found by search if `search`); the remark."""
        ...


def run_per_user(step: ProfileStep) -> Runner[UserTargetsConfig]:
    """The `run` of follow and unfollow: `step` on each target user (a task has one),
    whose profile is reached by `access_method`; the remarks joined."""

    async def run(driver: DeviceDriver, config: UserTargetsConfig, ctx: ScriptContext) -> RunResult:
        ui = await flows.as_account(driver, ctx)
        search = config.access_method is AccessMethod.SEARCH
        remarks = [await step(ui, user, search=search) for user in config.users]
        return RunResult("; ".join(remarks), {"users": list(config.users)})

    return run
