"""Opening a user's profile (by its URL or by search), following and unfollowing."""

from __future__ import annotations

from ..driver import UiElement
from ..errors import StepFailed
from ._ui import SCREEN_WAIT, STEP_WAIT, Probe, Ui

__all__ = ["follow", "follow_shown", "open_profile", "unfollow"]


async def open_profile(ui: Ui, user: str, *, search: bool) -> UiElement:
    """Open @`user`'s profile: its URL, or the search tab and the result row (after a
    fresh start of the app). Returns the follow button.

    Raises:
        StepFailed: "profile @x not found", or a screen that did not appear.
    """
    missing = StepFailed(f"profile @{user} not found", permanent=True)
    if search:
        await ui.restart()
        await ui.tap("tab_search", "the search tab")
        await ui.type_into("search_input", user, "the search field")
        await ui.tap("search_submit", "the search button")
        # In one dump, the exact row wins over look-alikes: probes are tried in order.
        probes: dict[str, Probe] = {"row": ui.named("search_user_name", user),
                                    "others": "search_user_name"}
        if ui.app.has("search_empty"):
            probes["none"] = "search_empty"
        found = await ui.wait_any(probes, SCREEN_WAIT)
        if found is None:  # no results yet (a slow network): another try may see them
            raise StepFailed(f"search results for @{user} did not appear in "
                             f"{SCREEN_WAIT:g} s")
        if found[0] != "row":
            raise missing
        await ui.driver.tap_element(found[1])
    else:
        await ui.open_url(ui.app.profile_url_of(user))
    found = await ui.wait_any({"button": "follow_button", "missing": "not_found"},
                              SCREEN_WAIT)
    if found is None:
        raise StepFailed(f"profile @{user} did not open in {SCREEN_WAIT:g} s")
    if found[0] == "missing":
        raise missing
    return found[1]


def _following(ui: Ui, button: UiElement) -> bool:
    return button.text.casefold() == ui.text("following").casefold()


async def _settle(ui: Ui, user: str, following: bool, verb: str) -> None:
    """Wait until the follow button shows the `following` state (confirming an
    unfollow sheet on the way, if the app asks)."""
    state = ui.named("follow_button", ui.text("following" if following else "follow"))
    probes: dict[str, Probe] = {"done": state}
    if ui.app.has("unfollow_confirm"):
        probes["confirm"] = "unfollow_confirm"
    for _ in range(2):
        found = await ui.wait_any(probes, STEP_WAIT)
        if found is None:
            break
        if found[0] == "done":
            return
        await ui.driver.tap_element(found[1])
        del probes["confirm"]
    reason = await ui.toast() or f"the button did not change in {STEP_WAIT:g} s"
    raise StepFailed(f"could not {verb} @{user}: {reason}")


async def follow_shown(ui: Ui, user: str, button: UiElement) -> bool:
    """Follow the user whose profile is on screen (`button` is its follow button);
    whether this followed them (False: already following)."""
    if _following(ui, button):
        return False
    await ui.driver.tap_element(button)
    await _settle(ui, user, True, "follow")
    return True


async def follow(ui: Ui, user: str, *, search: bool = False) -> str:
    """Follow @`user`; the remark. Following already is a success."""
    button = await open_profile(ui, user, search=search)
    if await follow_shown(ui, user, button):
        return f"followed @{user}"
    return f"already following @{user}"


async def unfollow(ui: Ui, user: str, *, search: bool = False) -> str:
    """Unfollow @`user` (confirming if the app asks); the remark. Not following is a
    success."""
    button = await open_profile(ui, user, search=search)
    if not _following(ui, button):
        return f"not following @{user}"
    await ui.driver.tap_element(button)
    await _settle(ui, user, False, "unfollow")
    return f"unfollowed @{user}"
