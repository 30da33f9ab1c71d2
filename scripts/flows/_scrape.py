"""Reading what a profile shows, and a user's follower list."""

from __future__ import annotations

import re

from ..driver import UiElement, UiTree
from ._profile import open_profile
from ._ui import SCREEN_WAIT, Ui

__all__ = ["LOAD_WAIT", "parse_count", "read_followers", "read_profile"]

#: Seconds a scrolled list may take to show (load) new rows before it counts as ended.
LOAD_WAIT = 3.0
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KkMmBb]?)\s*$")
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(text: str) -> int | None:
    """A count as apps print it ("987", "12,345", "1.2K", "3M") as a number (rounded
    as printed: "1.2K" is 1200); None if it is not a count."""
    match = _COUNT.match(text)
    if match is None:
        return None
    digits, suffix = match.groups()
    try:
        value = float(digits.replace(",", "")) if suffix else int(digits.replace(",", ""))
    except ValueError:
        return None
    return round(value * _SCALE[suffix.lower()])


def _text(ui: Ui, tree: UiTree, name: str) -> str:
    found = ui.find(tree, name)
    return found.text if found is not None else ""


async def read_profile(ui: Ui, user: str, *, search: bool = False) -> dict[str, object]:
    """Open @`user`'s profile and read it: username, nickname, bio, and the follower,
    following and post counts (numbers as printed: "1.2K" is 1200; None if unreadable).

    Raises:
        StepFailed: "profile @x not found", or the profile did not open.
    """
    await open_profile(ui, user, search=search)
    tree = await ui.look()
    return {
        "username": user,
        "nickname": _text(ui, tree, "profile_nickname"),
        "bio": _text(ui, tree, "profile_bio"),
        "followers": parse_count(_text(ui, tree, "followers_count")),
        "following": parse_count(_text(ui, tree, "following_count")),
        "posts": parse_count(_text(ui, tree, "posts_count")),
    }


def _names(ui: Ui, tree: UiTree) -> list[str]:
    return [e.text for e in tree.find_all(ui.app.selector("follower_name")) if e.text]


async def read_followers(ui: Ui, user: str, limit: int, *,
                         search: bool = False) -> list[str]:
    """The first `limit` followers of @`user`, in the order the list shows them: the
    profile's follower count opens the list, and swipes scroll it until `limit` names
    are read or a swipe brings no new row (the end).

    Raises:
        StepFailed: "profile @x not found", or the list did not open.
    """
    await open_profile(ui, user, search=search)
    await ui.tap("followers_count", f"@{user}'s follower count")
    listing = await ui.wait("follower_list", f"the follower list of @{user}", SCREEN_WAIT)
    names: list[str] = []
    seen: set[str] = set()
    shown = _names(ui, await ui.look())
    while True:
        for name in shown:
            if name not in seen and len(names) < limit:
                seen.add(name)
                names.append(name)
        if len(names) >= limit or not shown:
            return names
        x, _ = listing.center
        top, bottom = listing.bounds.top, listing.bounds.bottom
        await ui.driver.swipe(x, top + (bottom - top) * 3 // 4, x, top + (bottom - top) // 4)

        def moved(tree: UiTree, before: list[str] = shown) -> UiElement | None:
            return tree.find(ui.app.selector("follower_list")) \
                if _names(ui, tree) != before else None

        if await ui.wait_any({"moved": moved}, LOAD_WAIT) is None:
            return names  # a swipe brought no new row: the end of the list
        shown = _names(ui, await ui.look())
