"""Switching the app to the task's account."""

from __future__ import annotations

from .._context import ScriptContext
from ..driver import DeviceDriver
from ..errors import StepFailed
from ._ui import SCREEN_WAIT, Ui

__all__ = ["as_account", "switch_account"]


async def as_account(driver: DeviceDriver, ctx: ScriptContext, *,
                     restart: bool = False) -> Ui:
    """The task's app on its phone, switched to `ctx.username` if set (which restarts
    the app), else restarted only if `restart`.

    Raises:
        StepFailed: the app is missing, or the account is not logged in.
    """
    ui = Ui(driver, ctx.app, ctx.package)
    if ctx.username:
        await switch_account(ui, ctx.username)
    elif restart:
        await ui.restart()
    return ui


async def switch_account(ui: Ui, username: str) -> None:
    """Make `username` the app's current account, through the profile tab's switcher.
    Leaves the app (restarted) on the own-profile screen.

    Raises:
        StepFailed: "account @x is not logged in on <serial>" when the phone does not
            list it or the app refuses it (a logged-out session).
    """
    not_logged_in = StepFailed(f"account @{username} is not logged in on {ui.serial}",
                               permanent=True)
    await ui.restart()
    await ui.tap("tab_profile", "the profile tab")
    switcher = await ui.wait("account_switcher", "the account switcher", SCREEN_WAIT)
    if switcher.text.casefold() == username.casefold():
        return
    await ui.driver.tap_element(switcher)
    found = await ui.wait_any({"row": ui.named("account_name", username),
                               "list": "account_name"}, timeout=SCREEN_WAIT)
    if found is None:
        raise StepFailed(f"the account list did not appear in {SCREEN_WAIT:g} s")
    if found[0] != "row":
        raise not_logged_in
    await ui.driver.tap_element(found[1])
    found = await ui.wait_any({"me": ui.named("account_switcher", username),
                               "refused": "toast"}, timeout=SCREEN_WAIT)
    if found is None or found[0] != "me":
        raise not_logged_in
