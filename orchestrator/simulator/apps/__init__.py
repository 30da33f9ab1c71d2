"""Simulated apps a script can really drive: a TikTok-like and an Instagram-like app.

Both are one engine (`SocialApp`) fed by a data file per app (`tiktok.toml`,
`instagram.toml`). Tests read an app's state back from `phone.apps[package]`:
`accounts`, `current`, each `Account`'s following/liked/comments/posts, and `world`.
"""

from __future__ import annotations

from .._phone import AppFactory
from ._accounts import Account, PostedMedia
from ._social import SocialApp
from ._spec import AppSpec, load_spec
from ._world import Comment, Post, Profile, World

__all__ = ["INSTAGRAM", "TIKTOK", "Account", "AppSpec", "Comment", "Post", "PostedMedia",
           "Profile", "SocialApp", "World", "default_apps", "load_spec"]

TIKTOK = "com.zhiliaoapp.musically"
INSTAGRAM = "com.instagram.android"


def default_apps() -> list[AppFactory]:
    """The apps every simulated phone gets unless told otherwise."""
    return [SocialApp.factory("tiktok"), SocialApp.factory("instagram")]
