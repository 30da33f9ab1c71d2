"""The UI flows scripts are made of, one generic flow per action, driven by app data
(`scripts.apps`): open a profile (URL or search), follow, unfollow, open a post,
comment, upload media, switch account, warm up on the feed."""

from ._account import as_account, switch_account
from ._chatgpt import chat_comment
from ._comment import comment_here, open_post
from ._profile import follow, follow_shown, open_profile, unfollow
from ._ui import Probe, Ui
from ._upload import upload
from ._warmup import WarmupCounts, WarmupPlan, warm_up

__all__ = [
    "Probe",
    "Ui",
    "WarmupCounts",
    "WarmupPlan",
    "as_account",
    "chat_comment",
    "comment_here",
    "follow",
    "follow_shown",
    "open_post",
    "open_profile",
    "switch_account",
    "unfollow",
    "upload",
    "warm_up",
]
