"""What a task does on a phone: one module per script, each declaring its `script_config`
(a frozen attrs class: defaults, validation) and how a request fans out into tasks.

This package is the bottom layer: it imports nothing else of the project's.
"""

from ._context import RunResult, ScriptContext
from ._host_files import NO_HOST_FILES, HostFiles
from ._marks import Mark, marked
from ._materials import MaterialLibrary
from ._registry import SCRIPTS, api_script, plan_tasks, public_config, run_task, validate
from ._spec import FanOut, Script, ScriptSpec
from ._steps import RunningSteps, Step, StepLog
from .account_warmup import AccountWarmupConfig, ChatGPTSettings
from .comment import CommentConfig
from .errors import (
    FieldError,
    InvalidConfig,
    ScriptError,
    ScriptNotEnabled,
    StepFailed,
    UnknownScript,
)
from .follow import FollowConfig
from .like import LikeConfig
from .message import MessageConfig
from .post import PostConfig
from .profile import ProfileConfig
from .scrape_user import ScrapeUserConfig
from .super_marketing import SuperMarketingConfig
from .unfollow import UnfollowConfig

__all__ = [
    "NO_HOST_FILES",
    "SCRIPTS",
    "AccountWarmupConfig",
    "ChatGPTSettings",
    "CommentConfig",
    "FanOut",
    "FieldError",
    "FollowConfig",
    "HostFiles",
    "InvalidConfig",
    "LikeConfig",
    "Mark",
    "MaterialLibrary",
    "MessageConfig",
    "PostConfig",
    "ProfileConfig",
    "RunResult",
    "RunningSteps",
    "ScrapeUserConfig",
    "Script",
    "ScriptContext",
    "ScriptError",
    "ScriptNotEnabled",
    "ScriptSpec",
    "Step",
    "StepFailed",
    "StepLog",
    "SuperMarketingConfig",
    "UnfollowConfig",
    "UnknownScript",
    "api_script",
    "marked",
    "plan_tasks",
    "public_config",
    "run_task",
    "validate",
]
