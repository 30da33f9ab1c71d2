"""Posting media already on the phone: by a share intent or through the app's + button,
then the caption screen, the placement, and the wait for the upload."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

import attrs

from ..driver import CommandFailed
from ..errors import StepFailed
from ._ui import SCREEN_WAIT, Ui

__all__ = ["upload"]


async def _share(ui: Ui, paths: Sequence[str], mime: str) -> None:
    try:
        await ui.driver.share_files(ui.package, paths, mime)
    except CommandFailed as error:
        raise StepFailed(f"{ui.app.label} did not take the shared files: "
                         f"{error.output.strip() or 'no activity'}") from error


async def _pick(ui: Ui, paths: Sequence[str]) -> None:
    """The + button, then the files in the gallery, in order, then Next."""
    await ui.restart()
    await ui.tap("tab_create", "the + button")
    for path in paths:
        name = posixpath.basename(path)
        item = attrs.evolve(ui.app.selector("gallery_item"), content_desc=name)
        await ui.tap(item, f"{name} in the gallery", SCREEN_WAIT)
    await ui.tap("gallery_next", "the gallery's Next button")


async def upload(ui: Ui, paths: Sequence[str], caption: str, *, share: bool, mime: str,
                 placement: str | None, wait: float) -> None:
    """Post the phone's files `paths` with `caption` (typed literally), to `placement`
    where the app has placements, and wait up to `wait` s for the app's confirmation.

    Raises:
        StepFailed: "upload did not finish in 60 s", the app's error message, or a
            screen that did not appear.
    """
    if share:
        await _share(ui, paths, mime)
    else:
        await _pick(ui, paths)
    await ui.wait("caption_input", "the caption screen", SCREEN_WAIT)
    if caption:
        await ui.type_into("caption_input", caption, "the caption field")
    if placement and ui.app.placements:
        if placement not in ui.app.placements:
            raise StepFailed(f"{ui.app.label} has no placement {placement!r}", permanent=True)
        await ui.tap(ui.app.placements[placement], f"the {placement} tab")
    await ui.tap("publish", "the post button")
    found = await ui.wait_any({"error": "error_message", "toast": "toast"}, wait)
    if found is None:
        raise StepFailed(f"upload did not finish in {wait:g} s")
    kind, element = found
    if kind == "error" or element.text != ui.text("posted"):
        if kind == "error" and ui.app.has("error_ok"):
            await ui.tap("error_ok", "the error dialog's button")
        raise StepFailed(f"upload failed: {element.text}")
