"""`AppData`: what the scripts look for in one app, read from `<platform>.toml`."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import attrs

from ..driver import Selector

__all__ = ["OPTIONAL", "PLATFORMS", "REQUIRED", "AppData", "load_app"]

PLATFORMS = ("tiktok", "instagram")
#: Selectors every app's data must name: the flows cannot work without them.
REQUIRED = frozenset({
    "tab_home", "tab_search", "tab_create", "tab_profile", "back", "video",
    "video_author_avatar", "like_button", "comment_button", "comment_text", "comment_input",
    "comment_send", "search_input", "search_submit", "search_user_name", "follow_button",
    "not_found", "account_switcher", "account_name", "gallery_item", "gallery_next",
    "caption_input", "publish", "toast", "error_message",
    # profiles, messages, follower lists, Edit profile
    "profile_nickname", "profile_bio", "followers_count", "following_count", "posts_count",
    "profile_post", "follower_list", "follower_name", "message_button", "message_input",
    "message_send", "message_text", "edit_profile", "change_avatar", "edit_nickname", "edit_bio",
    "edit_website", "edit_nickname_clear", "edit_bio_clear", "edit_website_clear",
    "save_profile",
})
#: Selectors an app may lack: the step that needs one is skipped (or not needed there).
OPTIONAL = frozenset({"video_caption", "collect_button", "unfollow_confirm", "search_empty",
                      "error_ok"})
_TEXTS = frozenset({"follow", "following", "posted", "profile_saved"})


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class AppData:
    """One app as the scripts see it: package, URL of a profile, selectors by logical
    name, the texts that tell states apart, and the placement tabs of a post."""

    platform: str
    package: str
    label: str
    profile_url: str
    media_dir: str
    texts: Mapping[str, str] = attrs.field(converter=_frozen_map)
    selectors: Mapping[str, Selector] = attrs.field(converter=_frozen_map)
    placements: Mapping[str, Selector] = attrs.field(converter=_frozen_map)

    @classmethod
    def from_toml(cls, data: Mapping[str, Any]) -> AppData:
        """From a parsed data file; names the table at fault on any error.

        Raises:
            ValueError: a required selector or text is missing, or an entry is malformed.
        """
        selectors = {name: Selector.from_mapping(raw)
                     for name, raw in data.get("selectors", {}).items()}
        missing = sorted(REQUIRED - selectors.keys())
        unknown = sorted(selectors.keys() - REQUIRED - OPTIONAL)
        texts = dict(data.get("texts", {}))
        problems = [f"texts: missing {name}" for name in sorted(_TEXTS - texts.keys())]
        if missing:
            problems.append(f"selectors: missing {', '.join(missing)}")
        if unknown:
            problems.append(f"selectors: unknown {', '.join(unknown)}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(
            platform=data["platform"], package=data["package"], label=data["label"],
            profile_url=data["profile_url"], media_dir=data["media_dir"], texts=texts,
            selectors=selectors,
            placements={name: Selector.from_mapping(raw)
                        for name, raw in data.get("placements", {}).items()},
        )

    def selector(self, name: str) -> Selector:
        """The selector of the view `name` (one of REQUIRED or OPTIONAL).

        Raises:
            KeyError: an optional view this app does not have.
        """
        return self.selectors[name]

    def has(self, name: str) -> bool:
        return name in self.selectors

    def profile_url_of(self, user: str) -> str:
        return self.profile_url.format(user=user)


@cache
def load_app(platform: str) -> AppData:
    """The data of `platform` ("tiktok" or "instagram"), parsed once.

    Raises:
        ValueError: unknown platform, or a broken data file (naming what is wrong).
    """
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; known: {', '.join(PLATFORMS)}")
    text = resources.files(__package__).joinpath(f"{platform}.toml").read_text("utf-8")
    try:
        return AppData.from_toml(tomllib.loads(text))
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{platform}.toml: {error}") from error
