"""What makes one social app differ from another: data read from a TOML file per app.

The engine (`_social.py`) is shared; an app is its package, labels, resource ids, texts
and URL patterns. Changing a selector is an edit of `<app>.toml`, never of code.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import attrs

__all__ = ["AppSpec", "Tab", "load_spec"]

TAB_NAMES = ("home", "search", "create", "inbox", "profile")


@attrs.frozen(kw_only=True)
class Tab:
    """One entry of the bottom navigation bar."""

    name: str = attrs.field(validator=attrs.validators.in_(TAB_NAMES))
    label: str


def _patterns(raw: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in raw)


@attrs.frozen(kw_only=True)
class AppSpec:
    """One app's identity, selectors, texts and URL grammar."""

    package: str
    label: str
    version_name: str
    username_pattern: re.Pattern[str]
    post_id_pattern: re.Pattern[str]
    post_id_digits: bool
    default_accounts: tuple[str, ...]
    placements: tuple[str, ...]
    default_placement: str
    unfollow_confirm: bool
    media_dirs: tuple[str, ...]
    post_url: str
    profile_urls: tuple[re.Pattern[str], ...]
    post_urls: tuple[re.Pattern[str], ...]
    activities: dict[str, str]
    ids: dict[str, str]
    texts: dict[str, str]
    tabs: tuple[Tab, ...]

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> AppSpec:
        return cls(
            package=data["package"], label=data["label"], version_name=data["version_name"],
            username_pattern=re.compile(data["username_pattern"]),
            post_id_pattern=re.compile(data["post_id_pattern"]),
            post_id_digits=data["post_id_digits"],
            default_accounts=tuple(data["default_accounts"]),
            placements=tuple(data["placements"]), default_placement=data["default_placement"],
            unfollow_confirm=data["unfollow_confirm"], media_dirs=tuple(data["media_dirs"]),
            post_url=data["post_url"],
            profile_urls=_patterns(data["urls"]["profile"]),
            post_urls=_patterns(data["urls"]["post"]),
            activities=dict(data["activities"]), ids=dict(data["ids"]),
            texts=dict(data["texts"]),
            tabs=tuple(Tab(name=t["name"], label=t["label"]) for t in data["tabs"]),
        )

    def rid(self, name: str) -> str:
        """The full resource id of the logical view `name`."""
        return f"{self.package}:id/{self.ids[name]}"


@cache
def load_spec(name: str) -> AppSpec:
    """The spec shipped as `orchestrator/simulator/apps/<name>.toml` (parsed once)."""
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return AppSpec.from_toml(tomllib.loads(text))
