"""`unfollow`: unfollow users, one task per target user."""

from __future__ import annotations

import attrs

from ._spec import Script
from ._targets import AccessMethod, UserTargetsConfig, fan_out_per_user

__all__ = ["SCRIPT", "AccessMethod", "UnfollowConfig", "fan_out"]


@attrs.frozen(kw_only=True)
class UnfollowConfig(UserTargetsConfig):
    """The `script_config` of `unfollow`: `target_users` (a list, wins) or `target_user`
    (alias `target_username`; split on newlines and commas), and `access_method`."""


fan_out = fan_out_per_user
SCRIPT = Script(config_class=UnfollowConfig, fan_out=fan_out)
