"""What each account on a simulated app did: the state tests read back.

It lives on the app object and survives crashes and force-stops, as an app's
data folder does. Post URLs are canonical (`World.post_url`).
"""

from __future__ import annotations

import attrs

__all__ = ["Account", "PostedMedia"]


@attrs.frozen(kw_only=True)
class PostedMedia:
    """One upload: what was posted, from which files, where (Instagram reel or story)."""

    post_url: str
    caption: str
    media: tuple[str, ...]
    kind: str  # "video" | "images"
    placement: str  # "post" on TikTok; "reel" | "story" on Instagram


@attrs.define(kw_only=True)
class Account:
    """One account logged in (or remembered but logged out) on an app."""

    username: str
    logged_in: bool = True
    following: set[str] = attrs.field(factory=set)
    liked: set[str] = attrs.field(factory=set)
    comments: dict[str, list[str]] = attrs.field(factory=dict)
    posts: list[PostedMedia] = attrs.field(factory=list)
    messages: dict[str, list[str]] = attrs.field(factory=dict)
    nickname: str = ""
    bio: str = ""
    website: str = ""
    avatar: str | None = None

    def follows(self, username: str) -> bool:
        return username.lower() in self.following
