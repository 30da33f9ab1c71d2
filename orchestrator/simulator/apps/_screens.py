"""Screen states of a social app: frozen values kept on a back stack.

A screen with a text field carries `draft` (its text) and `focused`: typed text
lands in `draft` only while the field has focus, as on a phone.
"""

from __future__ import annotations

import attrs

__all__ = ["PROFILE_FIELDS", "Chat", "Compose", "EditProfile", "Editable", "Followers", "Gallery",
           "Inbox", "Missing", "MyProfile", "Profile", "Screen", "Search", "Switcher", "Video"]

#: The text fields of the Edit profile screen, top to bottom.
PROFILE_FIELDS = ("nickname", "bio", "website")


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
    """The media picker: of a new post, or (`for_avatar`) of a profile photo, where one
    tap picks the photo and returns to the Edit profile screen."""

    selected: tuple[str, ...] = ()
    for_avatar: bool = False


@attrs.frozen(kw_only=True)
class Followers:
    """The follower list of `username`, scrolled down to its `offset`-th row; a swipe
    up scrolls (and loads) more."""

    username: str
    offset: int = 0


@attrs.frozen(kw_only=True)
class EditProfile:
    """The own account's Edit profile screen: one text field per `PROFILE_FIELDS`
    entry (typed text lands in the `focused` one), the photo, and Save."""

    nickname: str
    bio: str
    website: str
    avatar: str | None = None
    focused: str | None = None


@attrs.frozen(kw_only=True)
class Compose:
    """Caption screen of an upload; `placement` is a tab on Instagram."""

    media: tuple[str, ...]
    placement: str
    draft: str = ""
    focused: bool = False


Screen = (Video | Search | Profile | Chat | MyProfile | Switcher | Inbox | Missing | Gallery
          | Compose | Followers | EditProfile)
#: Screens with a text field (`draft`, `focused`).
Editable = Video | Search | Chat | Compose
