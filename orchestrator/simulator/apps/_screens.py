"""Screen states of a social app: frozen values kept on a back stack.

A screen with a text field carries `draft` (its text) and `focused`: typed text
lands in `draft` only while the field has focus, as on a phone.
"""

from __future__ import annotations

import attrs

__all__ = ["Chat", "Compose", "Editable", "Gallery", "Inbox", "Missing", "MyProfile", "Profile",
           "Screen", "Search", "Switcher", "Video"]


@attrs.frozen(kw_only=True)
class Video:
    """A full-screen video player: the feed when `feed_index` is set, else one post."""

    post_id: str
    author: str | None = None
    feed_index: int | None = None
    sheet: bool = False  # comment sheet open
    draft: str = ""
    focused: bool = False


@attrs.frozen(kw_only=True)
class Search:
    draft: str = ""
    focused: bool = True
    submitted: bool = False


@attrs.frozen(kw_only=True)
class Profile:
    username: str
    confirm_unfollow: bool = False


@attrs.frozen(kw_only=True)
class Chat:
    """A direct-message thread with `username`."""

    username: str
    draft: str = ""
    focused: bool = True


@attrs.frozen(kw_only=True)
class MyProfile:
    pass


@attrs.frozen(kw_only=True)
class Switcher:
    pass


@attrs.frozen(kw_only=True)
class Inbox:
    pass


@attrs.frozen(kw_only=True)
class Missing:
    """A user or post that does not exist."""

    what: str  # "user" | "post"


@attrs.frozen(kw_only=True)
class Gallery:
    selected: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class Compose:
    """Caption screen of an upload; `placement` is a tab on Instagram."""

    media: tuple[str, ...]
    placement: str
    draft: str = ""
    focused: bool = False


Screen = (Video | Search | Profile | Chat | MyProfile | Switcher | Inbox | Missing | Gallery
          | Compose)
#: Screens with a text field (`draft`, `focused`).
Editable = Video | Search | Chat | Compose
