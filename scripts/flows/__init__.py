"""The UI flows scripts are made of, one generic flow per action, driven by app data
(`scripts.apps`): open a profile (URL or search), follow, unfollow, open a post,
comment, like, message, read a profile or follower list, edit the own profile, upload
media, switch account, warm up on the feed."""

from ._account import as_account, switch_account
from ._chatgpt import chat_comment
from ._comment import comment_here, open_post
from ._edit_profile import PROFILE_FIELDS, edit_profile
from ._like import like_here, like_latest, like_post
from ._message import message_shown, send_message
from ._profile import follow, follow_shown, open_profile, unfollow
from ._scrape import parse_count, read_followers, read_profile
from ._ui import Probe, Ui
from ._upload import upload
from ._warmup import WarmupCounts, WarmupPlan, warm_up

__all__ = [
    "PROFILE_FIELDS",
    "Probe",
    "Ui",
    "WarmupCounts",
    "WarmupPlan",
    "as_account",
    "chat_comment",
    "comment_here",
    "edit_profile",
    "follow",
    "follow_shown",
    "like_here",
    "like_latest",
    "like_post",
    "message_shown",
    "open_post",
    "open_profile",
    "parse_count",
    "read_followers",
    "read_profile",
    "send_message",
    "switch_account",
    "unfollow",
    "upload",
    "warm_up",
]
