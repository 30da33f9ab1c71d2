"""`unfollow`: unfollow users, one task per target user."""

from __future__ import annotations

import attrs

from . import flows
from ._context import Outcome, ScriptContext
from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, fan_out_per_user
from .driver import DeviceDriver

__all__ = ["SCRIPT", "AccessMethod", "UnfollowConfig", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class UnfollowConfig(UserTargetsConfig):
    """The `script_config` of `unfollow`: `target_users` (a list, wins) or `target_user`
    (alias `target_username`; split on newlines and commas), and `access_method`."""


fan_out = fan_out_per_user


async def run(driver: DeviceDriver, config: UnfollowConfig, ctx: ScriptContext) -> Outcome:
    """Unfollow each target user (a task has one) by `access_method`;
    "not following @x" is a success."""
    ui = await flows.as_account(driver, ctx)
    search = config.access_method is AccessMethod.SEARCH
    remarks = [await flows.unfollow(ui, user, search=search) for user in config.users]
    return Outcome("; ".join(remarks), {"users": list(config.users)})


SCRIPT = Script(config_class=UnfollowConfig, fan_out=fan_out, run=run)
