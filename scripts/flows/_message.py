"""Sending a direct message from a user's profile."""

from __future__ import annotations

from ..errors import StepFailed
from ._profile import open_profile
from ._ui import STEP_WAIT, Ui

__all__ = ["message_shown", "send_message"]


async def message_shown(ui: Ui, user: str, text: str) -> None:
    """On @`user`'s profile: Message, type `text` literally, send, and check the thread
    lists it last; then back to the profile.

    Raises:
        StepFailed: "message to @x was not sent: <why>", or a view that did not appear.
    """
    await ui.tap("message_button", "the Message button")
    await ui.type_into("message_input", text, "the message box")
    await ui.tap("message_send", "the send button")

    sent = ui.sent("message_text", "message_input", text)
    found = await ui.wait_any({"sent": sent, "refused": "toast"}, STEP_WAIT)
    if found is None or found[0] != "sent":
        reason = (found[1].text if found
                  else f"it did not appear in the thread within {STEP_WAIT:g} s")
        raise StepFailed(f"message to @{user} was not sent: {reason}")
    await ui.back()  # leave the thread
    await ui.wait("follow_button", f"@{user}'s profile")


async def send_message(ui: Ui, user: str, text: str, *, search: bool = False) -> None:
    """Open @`user`'s profile (by URL, or by search) and send them `text`.

    Raises:
        StepFailed: "profile @x not found", or as `message_shown`.
    """
    await open_profile(ui, user, search=search)
    await message_shown(ui, user, text)
