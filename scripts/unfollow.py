"""`unfollow`: unfollow users, one task per target user; "not following @x" is a success."""

from __future__ import annotations

import attrs

from . import flows
from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, fan_out_per_user, run_per_user

__all__ = ["SCRIPT", "AccessMethod", "UnfollowConfig", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class UnfollowConfig(UserTargetsConfig):
    """The `script_config` of `unfollow`: `target_users` (a list, wins) or `target_user`
    (alias `target_username`; split on newlines and commas), and `access_method`."""


fan_out = fan_out_per_user
run = run_per_user(flows.unfollow)
SCRIPT = Script(config_class=UnfollowConfig, fan_out=fan_out, run=run,
                same_on_every_device=True)
