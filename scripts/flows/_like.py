"""Liking the post on screen, or a post by its URL."""

from __future__ import annotations

from collections.abc import Callable

from ..driver import UiElement, UiTree
from ..errors import StepFailed
from ._comment import open_post
from ._ui import SCREEN_WAIT, STEP_WAIT, Ui

__all__ = ["like_here", "like_latest", "like_post"]


def _liked(ui: Ui) -> Callable[[UiTree], UiElement | None]:
    """A probe: the like button in its liked (selected) state."""
    selector = ui.app.selector("like_button")
    return lambda tree: next((e for e in tree.find_all(selector) if e.selected), None)


async def like_here(ui: Ui) -> bool:
    """Like the post on screen; whether this liked it (False: it was liked already).

    Raises:
        StepFailed: no like button, or the button did not turn liked (the app's toast
            says why, e.g. logged out).
    """
    button = await ui.wait("like_button", "the like button")
    if button.selected:
        return False
    await ui.driver.tap_element(button)
    found = await ui.wait_any({"liked": _liked(ui), "refused": "toast"}, STEP_WAIT)
    if found is None or found[0] != "liked":
        reason = found[1].text if found else f"the button did not change in {STEP_WAIT:g} s"
        raise StepFailed(f"could not like the post: {reason}")
    return True


async def like_post(ui: Ui, url: str) -> bool:
    """Open the post at `url` and like it; whether this liked it (False: liked already).

    Raises:
        StepFailed: "post <url> not found", or as `like_here` (naming the URL).
    """
    await open_post(ui, url)
    try:
        return await like_here(ui)
    except StepFailed as error:
        raise StepFailed(f"{error.remark} ({url})", permanent=error.permanent) from None


async def like_latest(ui: Ui, user: str, count: int) -> int:
    """On @`user`'s profile: open each of their `count` latest posts (the first cells
    of the profile's grid, as many as it shows), like it, and go back; the number this
    liked (posts liked already are left as they are).

    Raises:
        StepFailed: a post or the profile did not appear again, or a like failed.
    """
    liked = 0
    for index in range(count):
        cells = (await ui.look()).find_all(ui.app.selector("profile_post"))
        if index >= len(cells):
            break
        await ui.driver.tap_element(cells[index])
        await ui.wait("like_button", f"@{user}'s post", SCREEN_WAIT)
        liked += await like_here(ui)
        await ui.back()
        await ui.wait("follow_button", f"@{user}'s profile")
    return liked
