"""Editing the own profile: nickname, bio, website and photo, through Edit profile."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ..errors import StepFailed
from ._ui import SCREEN_WAIT, STEP_WAIT, Ui

__all__ = ["PROFILE_FIELDS", "edit_profile"]

#: The text fields of the Edit profile screen a script may set.
PROFILE_FIELDS = ("nickname", "bio", "website")


async def edit_profile(ui: Ui, fields: Mapping[str, str], *, photo: str | None = None) -> None:
    """Set the current account's profile: each of `fields` (keys of PROFILE_FIELDS) is
    cleared and typed literally; `photo` is the file name of a picture already in the
    phone's gallery. Saves, and waits for the app's confirmation.

    Raises:
        StepFailed: the app's error ("profile was not saved: ..."), or a view that did
            not appear.
    """
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise ValueError(f"unknown profile field(s): {', '.join(unknown)}")
    await ui.restart()
    await ui.tap("tab_profile", "the profile tab")
    await ui.tap("edit_profile", "the Edit profile button", SCREEN_WAIT)
    if photo:
        await ui.tap("change_avatar", "the change photo button")
        item = attrs.evolve(ui.app.selector("gallery_item"), content_desc=photo)
        await ui.tap(item, f"{photo} in the gallery", SCREEN_WAIT)
    for name, value in fields.items():
        await ui.tap(f"edit_{name}_clear", f"the {name} field's clear button")
        if value:
            await ui.type_into(f"edit_{name}", value, f"the {name} field")
    await ui.tap("save_profile", "the Save button")
    found = await ui.wait_any({"saved": ui.named("toast", ui.text("profile_saved")),
                               "error": "error_message", "toast": "toast"}, STEP_WAIT)
    if found is None:
        raise StepFailed(f"profile was not saved: no confirmation in {STEP_WAIT:g} s")
    if found[0] != "saved":
        if found[0] == "error" and ui.app.has("error_ok"):
            await ui.tap("error_ok", "the error dialog's button")
        raise StepFailed(f"profile was not saved: {found[1].text}")
