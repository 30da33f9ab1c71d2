"""What a task does on a phone: one module per script, each declaring its `script_config`
(a frozen attrs class: defaults, validation) and how a request fans out into tasks.

This package is the bottom layer: it imports nothing else of the project's.
"""

from ._registry import SCRIPTS, plan_tasks, validate
from ._spec import FanOut, Script, ScriptSpec
from .account_warmup import AccountWarmupConfig, ChatGPTSettings
from .comment import CommentConfig
from .errors import FieldError, InvalidConfig, ScriptError, ScriptNotEnabled, UnknownScript
from .follow import FollowConfig
from .post import PostConfig
from .unfollow import UnfollowConfig

__all__ = [
    "SCRIPTS",
    "AccountWarmupConfig",
    "ChatGPTSettings",
    "CommentConfig",
    "FanOut",
    "FieldError",
    "FollowConfig",
    "InvalidConfig",
    "PostConfig",
    "Script",
    "ScriptError",
    "ScriptNotEnabled",
    "ScriptSpec",
    "UnfollowConfig",
    "UnknownScript",
    "plan_tasks",
    "validate",
]
