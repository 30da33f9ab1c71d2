"""`follow`: follow users, one task per target user; "already following @x" is a success."""

from __future__ import annotations

import attrs

from . import flows
from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, fan_out_per_user, run_per_user

__all__ = ["SCRIPT", "AccessMethod", "FollowConfig", "fan_out", "run"]


@attrs.frozen(kw_only=True)
class FollowConfig(UserTargetsConfig):
    """The `script_config` of `follow`: `target_users` (a list, wins) or `target_user`
    (alias `target_username`; split on newlines and commas), and `access_method`."""


fan_out = fan_out_per_user
run = run_per_user(flows.follow)
SCRIPT = Script(config_class=FollowConfig, fan_out=fan_out, run=run,
                same_on_every_device=True)
