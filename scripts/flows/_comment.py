"""Opening a post by its URL and commenting on the post on screen."""

from __future__ import annotations

from ..errors import StepFailed
from ._ui import KEYCODE_BACK, SCREEN_WAIT, STEP_WAIT, Ui

__all__ = ["comment_here", "open_post"]


async def open_post(ui: Ui, url: str) -> None:
    """Open the post at `url`.

    Raises:
        StepFailed: "post <url> not found", or it did not open.
    """
    await ui.open_url(url)
    found = await ui.wait_any({"post": "comment_button", "missing": "not_found"},
                              SCREEN_WAIT)
    if found is None:
        raise StepFailed(f"post {url} did not open in {SCREEN_WAIT:g} s")
    if found[0] == "missing":
        raise StepFailed(f"post {url} not found", permanent=True)


async def comment_here(ui: Ui, text: str) -> None:
    """Comment `text` on the post on screen and check it is listed; closes the sheet.

    Raises:
        StepFailed: the comment box did not appear, or the comment did not show up.
    """
    await ui.tap("comment_button", "the comment button")
    await ui.type_into("comment_input", text, "comment box")
    await ui.tap("comment_send", "the comment send button")
    posted = ui.sent("comment_text", "comment_input", text)
    if await ui.wait_any({"posted": posted}, STEP_WAIT) is None:
        reason = await ui.toast() or f"it did not appear in the list within {STEP_WAIT:g} s"
        raise StepFailed(f"comment was not posted: {reason}")
    await ui.driver.key(KEYCODE_BACK)  # close the comment sheet
